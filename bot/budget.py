"""The bulk send budget: how fast the bot may send what it starts itself (reminders, follow-ups).

Telegram allows about 30 bulk messages per second over all chats; `BOT_MAX_SEND_RATE` keeps us under it.
Interactive replies (answers, edits and screens for a user's own update) never draw on this budget: they are
held back only by Telegram's per-chat limit (bot/sending.py). The Protocol is what the reminder dispatcher
depends on, so an implementation shared by several replicas (backed by the database) can replace the
in-process one below without touching the dispatcher.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Protocol


class BulkBudget(Protocol):
    def slot(self) -> AbstractAsyncContextManager[None]:
        """Entered once one more bulk message may be sent; held while it is being sent."""


class Pace:
    """Telegram-style pacing with bursts: `rate` per `per` seconds, up to `burst` at once after a quiet spell
    (the generic cell rate algorithm: one "theoretical arrival time", no timers, no per-message history)."""

    def __init__(self, rate: float, per: float = 1.0, burst: int = 1) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("the rate must be positive and the burst at least 1")
        self.interval = per / rate
        self._tolerance = self.interval * (burst - 1)
        self._tat = float("-inf")

    def delay(self, now: float) -> float:
        """Seconds until one more may go (0: now), without taking it."""
        return max(0.0, self._tat - self._tolerance - now)

    def take(self, now: float) -> float:
        """Reserve the next slot; returns the seconds to wait for it."""
        wait = self.delay(now)
        self._tat = max(self._tat, now) + self.interval
        return wait

    def arrived(self, now: float) -> None:
        """One taken earlier was seen arriving by `now` (answered): count it from then if that is later than
        its slot, so a request slower than the next one cannot make two arrive too close together."""
        self._tat = max(self._tat, now + self.interval)

    def idle(self, now: float) -> bool:
        """Nothing reserved any more: the same as a fresh Pace, so a holder may drop it."""
        return self._tat <= now


class PacedBudget:
    """At most `rate` bulk messages reach Telegram in any one second, from this process.

    Starts are spaced 1/rate apart (evenly rather than a bucket of `rate`: a full bucket plus its refill would
    allow up to twice the rate in the first second). Spacing alone is not enough: a send reaches Telegram some
    time between its start and its answer, so sends delayed by a busy moment can arrive bunched (measured: 27
    in one second at a pace of 25). Hence a window too: a send starts only while fewer than `rate` others are
    under way or were answered less than a second ago. Any second then holds at most `rate` arrivals, since
    every other send arriving in it was under way or answered within the second before the last one started.
    """

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._pace = Pace(rate)
        self._most = max(1, math.floor(rate))
        self._clock = clock
        self._under_way = 0
        self._answered: deque[float] = deque()  # when recent sends were answered, oldest first
        self._change = asyncio.Condition()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        # The spacing slot is reserved before sleeping (no await in between): callers go out in the order asked.
        wait = self._pace.take(self._clock())
        if wait > 0:
            await asyncio.sleep(wait)
        async with self._change:
            while (wait := self._window_wait()) > 0:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._change.wait(), None if wait == math.inf else wait)
            self._under_way += 1
        try:
            yield
        finally:
            async with self._change:
                self._under_way -= 1
                self._answered.append(self._clock())
                self._change.notify_all()

    def _window_wait(self) -> float:
        """Seconds until the window has room (inf: until a send under way is answered; 0: now)."""
        now = self._clock()
        while self._answered and self._answered[0] <= now - 1.0:
            self._answered.popleft()
        if self._under_way + len(self._answered) < self._most:
            return 0.0
        return self._answered[0] + 1.0 - now if self._answered else math.inf
