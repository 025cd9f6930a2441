"""What the flow's screen shows (the record's `view`). The values are stored in the database: never rename
or reuse one."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    PROVIDER = "provider"
    SIM = "sim"
    CHANNEL = "channel"
    GOAL = "goal"
    STAY = "stay"
    STEPS = "steps"
    SUMMARY = "summary"
