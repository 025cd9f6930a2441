"""Nothing stays in memory per user: the flow record is read from storage in each update's unit of work, and
python-telegram-bot's per-user and per-chat dicts (user_data, chat_data), which grow by one entry per user
for good once a handler touches them, stay empty. (Memory per active user: `python -m bench memory`.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.standin import SimUser, StandIn
from tests.harness import Chat, running_bot

pytestmark = pytest.mark.asyncio


async def test_python_telegram_bots_per_user_dicts_stay_empty(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        for user_id in range(5001, 5006):
            chat = Chat(standin, app, SimUser(user_id, language_code="en"))
            await chat.send("/start")
            await chat.click("NTT docomo")
            await chat.send("/settings")
            await chat.send("/checklist")
        assert len(standin.bot_messages(5005)) >= 3  # the users were served
        assert dict(app.user_data) == {}
        assert dict(app.chat_data) == {}
