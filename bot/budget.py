"""The bulk send budget: how fast the bot may send what it starts itself (reminders, follow-ups).

Telegram allows about 30 bulk messages per second over all chats; `BOT_MAX_SEND_RATE` keeps us under it.
Interactive replies (answers, edits and screens for a user's own update) never draw on this budget: they are
held back only by Telegram's per-chat limit (bot/sending.py). The Protocol is what the reminder dispatcher
depends on, so an implementation shared by several replicas (backed by the database) can replace the
in-process one below without touching the dispatcher.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol


class BulkBudget(Protocol):
    async def acquire(self) -> None:
        """Wait until one more bulk message may be sent."""


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


class PacedBudget:
    """One bulk message every 1/rate seconds, in this process. Evenly spaced rather than a bucket of `rate`: a
    full bucket plus its refill would allow up to twice the rate in the first second."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._pace = Pace(rate)
        self._clock = clock

    async def acquire(self) -> None:
        # The slot is reserved before sleeping (no await in between), so callers go out in the order they asked.
        wait = self._pace.take(self._clock())
        if wait > 0:
            await asyncio.sleep(wait)
