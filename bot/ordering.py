"""Updates of different users run at the same time; updates of one user, or of one chat, run one after another
in the order Telegram sent them.

One busy chat (a user flooding messages, a group full of commands, a chat paused by a 429) then delays only
itself: every other user's tap is handled at once. The order within a user matters (the second tap must see
the first one's record); the storage's unit of work keeps concurrent units of different users apart.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# python-telegram-bot counts an update waiting for its user's previous one as "in process"; this bound is
# only a guard against unbounded memory, the real concurrency is `running`.
ADMITTED = 100_000


def keys_of(update: object) -> tuple[str, ...]:
    """What an update must wait for: its user and its chat (both, in a group)."""
    if not isinstance(update, Update):
        return ()
    keys = []
    if update.effective_user is not None:
        keys.append(f"u{update.effective_user.id}")
    if update.effective_chat is not None:
        keys.append(f"c{update.effective_chat.id}")
    return tuple(keys)


class PerChatProcessor(BaseUpdateProcessor):
    def __init__(self, running: int = 256) -> None:
        super().__init__(ADMITTED)
        self._running = asyncio.Semaphore(running)
        self._tails: dict[str, asyncio.Future[None]] = {}  # per key: done when its latest update is

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # PTB starts these in arrival order; the queueing below happens before the first await, so each key's
        # updates keep that order.
        keys = keys_of(update)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        before = [tail for key in keys if (tail := self._tails.get(key)) is not None]
        for key in keys:
            self._tails[key] = done
        try:
            for tail in before:
                await asyncio.shield(tail)
            async with self._running:
                await coroutine
        finally:
            if inspect.iscoroutine(coroutine) and inspect.getcoroutinestate(coroutine) == inspect.CORO_CREATED:
                coroutine.close()  # cancelled while waiting: never started
            done.set_result(None)
            for key in keys:
                if self._tails.get(key) is done:
                    del self._tails[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: PTB waits for the updates in process before shutting down."""
