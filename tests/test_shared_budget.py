"""The bulk send budget shared through the database: two budgets on one database (two replicas) together
never go over the rate, on every backend."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock, SystemClock
from bot.shared_budget import SharedBulkBudget
from bot.storage.base import Storage
from tests.postgres import opened

START = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


class RecordingClock:
    """The system clock, remembering the last reading: after `acquire` returns, that is the moment the
    database granted the slot."""

    def __init__(self) -> None:
        self.last = SystemClock().now()

    def now(self) -> datetime:
        self.last = SystemClock().now()
        return self.last


async def test_waits_come_from_the_bucket_and_the_injected_clock(database_url: str) -> None:
    clock = ManualClock(START)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    async with opened(database_url) as storage:
        budget = SharedBulkBudget(storage, rate=4.0, burst=2, clock=clock, sleep=sleep)
        for _ in range(5):
            await budget.acquire()
    assert slept == [0.25, 0.25, 0.25]  # two at once from the full bucket, then one every 1/rate


async def test_two_replicas_together_stay_within_the_rate(database_url: str) -> None:
    """Two budgets, each on its own storage over one database, each sending 15 as fast as allowed: with a
    rate of 20/s and no burst, any two grants (over both) are at least 1/20 s apart on the clock they used.
    Two unshared budgets would each allow 20/s, so grants would pair up."""
    rate, each = 20.0, 15
    grants: list[datetime] = []
    async with opened(database_url) as one, opened(database_url) as two:

        async def replica(storage: Storage) -> None:
            clock = RecordingClock()
            budget = SharedBulkBudget(storage, rate=rate, clock=clock)
            for _ in range(each):
                await budget.acquire()
                grants.append(clock.last)

        await asyncio.gather(replica(one), replica(two))
    assert len(grants) == 2 * each
    times = sorted(g.timestamp() for g in grants)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 1 / rate - 1e-5, gaps  # 10 µs: the rounding of epoch seconds held as doubles
