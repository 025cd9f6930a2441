"""End-to-end harness: the real Application over real HTTP against the local Bot API stand-in.

A `Chat` plays one Telegram user: send text, press buttons by their label, read what the bot shows.
Each action waits until the bot has fetched and fully processed the update (PTB's update queue is joined),
so tests never sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from telegram import Update

from app import build_application
from bot.budget import BulkBudget
from bot.client import SimClient
from bot.clock import Clock
from bot.context import AppType
from bot.lifecycle import polling
from bot.settings import Settings
from bot.standin import StandIn
from content import Content, load_content

TOKEN = "4242:stand-in-token"
_CONTENT: Content | None = None


def shared_content() -> Content:
    global _CONTENT
    if _CONTENT is None:
        _CONTENT = load_content()
    return _CONTENT


def settings_for(standin: StandIn, db_path: Path, **overrides: Any) -> Settings:
    """Private chats not paced unless a test asks: tests tap without reading, and a stand-in without limits
    models no per-chat limit either (tests of the pacing pass bot_private_chat_rate)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_base_url=standin.base_url,
        bot_db_path=db_path,
        **{"bot_private_chat_rate": 0.0, **overrides},
    )


@asynccontextmanager
async def running_bot(
    standin: StandIn, db_path: Path, *, clock: Clock | None = None, budget: BulkBudget | None = None, **overrides: Any
) -> AsyncIterator[AppType]:
    """The real Application, started as `run_polling` starts it, polling the stand-in."""
    app = build_application(settings_for(standin, db_path, **overrides), shared_content(), clock=clock, budget=budget)
    async with polling(app):
        yield app


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


class Chat(SimClient):
    """The shared client (bot/client.py) plus what tests need: buttons by label, answers, double taps."""

    def labels(self, message: dict[str, Any] | None = None) -> list[str]:
        return [label for label, _ in buttons(message or self.screen)]

    async def click(self, label: str, message: dict[str, Any] | None = None) -> str:
        """Press the first button whose label contains `label`; returns the callback query id."""
        target = message or self.screen
        matches = [data for text, data in buttons(target) if label in text]
        assert matches, f"no button {label!r} in {self.labels(target)}"
        return await self.tap(target, matches[0])

    async def tap_twice(self, label: str, message: dict[str, Any] | None = None) -> list[str]:
        """Two taps of the same button handled at once by the real Application, then the first one delivered
        again (as Telegram does after a crash); returns the two callback query ids."""
        target = dict(message or self.screen)
        data = next((d for text, d in buttons(target) if label in text), None)
        assert data is not None, f"no button {label!r} in {self.labels(target)}"
        first, second = (
            Update.de_json(
                {"update_id": self.standin.next_update_id(), **self.standin.callback_update(self.user, target, data)},
                self.app.bot,
            )
            for _ in range(2)
        )
        await asyncio.gather(self.app.process_update(first), self.app.process_update(second))
        await self.app.process_update(first)
        return [u.callback_query.id for u in (first, second) if u.callback_query is not None]

    async def click_data(self, data: str, message: dict[str, Any] | None = None) -> str:
        return await self.tap(message or self.screen, data)

    def answer(self, query_id: str) -> dict[str, Any]:
        answer = self.standin.callback_answers.get(query_id)
        assert answer is not None, f"callback {query_id} was not answered"
        return answer
