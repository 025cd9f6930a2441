"""The bot in a group: it answers only commands addressed to it, a button tapped there does not move the
user's reminders, and messages without a sender are ignored without an error."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from bot.standin import SimUser, StandIn
from tests.harness import Chat, buttons, running_bot
from tests.test_reminders import ui

GROUP = -100555
USER = SimUser(5401)


def group_message(standin: StandIn, text: str, sender: SimUser | None = USER) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": 10_000 + len(standin.messages),
        "date": int(time.time()),
        "chat": {"id": GROUP, "type": "supergroup", "title": "Leaving Japan"},
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
    }
    if sender is not None:
        message["from"] = sender.as_json()
    return {"message": message}


async def test_only_commands_addressed_to_this_bot_are_answered_in_a_group(standin: StandIn, db: Path) -> None:
    standin.open_chat(GROUP)
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, USER)
        this_bot = app.bot.username
        await chat.push(group_message(standin, "/help@OtherBot"))
        await chat.push(group_message(standin, "/start@OtherBot hello"))
        assert standin.bot_messages(GROUP) == []
        await chat.push(group_message(standin, f"/help@{this_bot}"))
        assert [m["text"] for m in standin.bot_messages(GROUP)] == [ui("private_only")]
        await chat.push(group_message(standin, "/help"))
        assert [m["text"] for m in standin.bot_messages(GROUP)] == [ui("private_only")] * 2


async def test_a_button_tapped_in_a_group_keeps_reminders_in_the_private_chat(standin: StandIn, db: Path) -> None:
    standin.open_chat(GROUP)
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, USER)
        await chat.send("/settings")
        time_zone = next(data for label, data in buttons(chat.last) if label == ui("btn_tz"))
        await chat.push(group_message(standin, "/help"))
        in_group = standin.bot_messages(GROUP)[-1]
        await chat.click_data(time_zone, in_group)  # the same button, on a message in the group
        assert standin.bot_messages(GROUP)[-1]["text"] != ui("private_only")  # handled: the time zone list
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT chat_id FROM user_settings WHERE user_id = ?", (USER.id,)).fetchall() == [
            (USER.id,)
        ]


async def test_messages_without_a_sender_are_ignored(
    standin: StandIn, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    standin.open_chat(GROUP)
    standin.open_chat(USER.id)
    caplog.set_level(logging.ERROR)
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, USER)
        await chat.push(group_message(standin, "/help", sender=None))
        private = {"message_id": 1, "date": int(time.time()), "chat": {"id": USER.id, "type": "private"}}
        await chat.push(
            {
                "message": {
                    **private,
                    "text": "/help",
                    "entities": group_message(standin, "/help")["message"]["entities"],
                }
            }
        )
        await chat.push({"message": {**private, "message_id": 2, "text": "docomo"}})
    assert standin.bot_messages(GROUP) == []
    assert standin.bot_messages(USER.id) == []
    assert [r.getMessage() for r in caplog.records] == []
