"""Conversation states. The values are stored in the database: never rename or reuse one."""

from __future__ import annotations

from enum import StrEnum

# The persistent ConversationHandler's name: its states are stored under it.
CONVERSATION_NAME = "cancel_flow"


class State(StrEnum):
    PROVIDER = "provider"
    SIM = "sim"
    CHANNEL = "channel"
    GOAL = "goal"
    STAY = "stay"
    STEPS = "steps"
    SUMMARY = "summary"
