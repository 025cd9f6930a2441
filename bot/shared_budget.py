"""The bulk send budget shared by every replica on one database (`BulkBudget` in bot/budget.py).

Telegram's limit of about 30 bulk messages per second is per bot, not per process: with one in-process
budget per replica, two replicas would send at twice `BOT_MAX_SEND_RATE`. Here the bucket is a row in the
database (`Storage.take_bulk_slot`), so the replicas draw from one budget. The bucket's time is the wall clock
(`bot/clock.py`), not a monotonic one: it is compared across processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.clock import Clock, SystemClock
from bot.metrics import BUDGET_WAIT_SECONDS, BUDGET_WAITS
from bot.storage.base import Storage


class SharedBulkBudget:
    """`rate` bulk messages per second over all replicas; `burst` 1 spaces them evenly (a larger burst lets a
    quiet bucket send that many at once)."""

    def __init__(
        self,
        storage: Storage,
        rate: float,
        *,
        burst: int = 1,
        clock: Clock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("the rate must be positive and the burst at least 1")
        self.storage, self.rate, self.burst = storage, rate, burst
        self._clock = clock or SystemClock()
        self._sleep = sleep

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Replicas share the pace of starts only (what each has under way stays in its process)."""
        await self.acquire()
        yield

    async def acquire(self) -> None:
        # Ask, and when told to wait, wait that long and ask again: another replica may take the slot first.
        while wait := await self.storage.take_bulk_slot(self._clock.now().timestamp(), self.rate, self.burst):
            BUDGET_WAITS.inc()
            BUDGET_WAIT_SECONDS.inc(wait)
            await self._sleep(wait)
