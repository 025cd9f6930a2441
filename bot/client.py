"""One simulated Telegram user driving the real Application over HTTP through the Bot API stand-in. The
offline demo and the tests use this same client. Each action waits until the bot has fetched the update and
fully processed it (PTB's update queue is joined), so nobody sleeps."""

from __future__ import annotations

from typing import Any

from bot.context import AppType
from bot.standin import SimUser, StandIn


class SimClient:
    def __init__(self, standin: StandIn, app: AppType, user: SimUser) -> None:
        self.standin, self.app, self.user = standin, app, user

    async def settle(self, update_id: int) -> None:
        await self.standin.wait_fetched(update_id)
        await self.app.update_queue.join()

    async def send(self, text: str | None = None, **extra: Any) -> None:
        """A message from the user (a command, text, or with `extra` anything else a message can carry)."""
        await self.settle(self.standin.push_message(self.user, text, **extra))

    async def push(self, payload: dict[str, Any]) -> None:
        await self.settle(self.standin.push_update(payload))

    async def tap(self, message: dict[str, Any], data: str) -> str:
        """Press a callback button of this message; returns the callback query id."""
        update_id, query_id = self.standin.push_callback(self.user, dict(message), data)
        await self.settle(update_id)
        return query_id

    async def inline(self, query: str) -> str:
        update_id, query_id = self.standin.push_inline_query(self.user, query)
        await self.settle(update_id)
        return query_id

    @property
    def last(self) -> dict[str, Any]:
        return self.standin.bot_messages(self.user.id)[-1]

    @property
    def screen(self) -> dict[str, Any]:
        """The newest bot message with an inline keyboard: the screen the user looks at."""
        with_keyboard = [m for m in self.standin.bot_messages(self.user.id) if m.get("reply_markup")]
        assert with_keyboard, "the bot has shown no screen"
        return with_keyboard[-1]
