"""Reminders as database rows, sent by one dispatcher that claims due rows in a transaction.

Delivery guarantees:
- A reminder is claimed (status pending -> claimed) in one UPDATE ... RETURNING statement, so two
  dispatch runs never both get it; it is marked sent right after Telegram accepted it.
- After downtime, the first run on start (and every run after) sends what became due meanwhile: once.
- A crash between Telegram accepting the message and the row being marked sent leaves it "claimed";
  a claim older than CLAIM_TIMEOUT is taken again, so such a reminder is sent at most twice, and only
  when the process died in that window (one duplicate per crash, never a loss).
- Forbidden (the user blocked the bot) pauses the user's reminders until they write again; RetryAfter
  and network errors put the row back with a back-off; other API errors mark it failed after logging.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot import schedule
from bot.budget import BulkBudget
from bot.context import Services
from bot.screens import Screen
from bot.sending import BULK
from bot.storage.base import Reminder, Unit, UserSettings

log = logging.getLogger(__name__)
Render = Callable[[Services, UserSettings, Reminder], Awaitable[Screen | None]]

CLAIM_TIMEOUT = timedelta(minutes=5)  # longer than any send with the rate limiter's retries
BATCH = 500
CONCURRENT_SENDS = 8  # the bulk budget paces them; this only bounds open requests
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


async def user_settings(tx: Unit, chat_id: int, locale: str, default_tz: str) -> UserSettings:
    """The user's reminder settings, created with the defaults on first use. `chat_id` is the chat the update came
    from; reminders go to the user's private chat (Telegram gives it the user's id), so a button tapped on a
    message in a group never moves them there."""
    private = chat_id == tx.user_id
    settings = await tx.settings()
    if settings is None:
        settings = UserSettings(user_id=tx.user_id, chat_id=tx.user_id, locale=locale, timezone=default_tz)
        await tx.save_settings(settings)
    elif settings.locale != locale or (private and settings.chat_id != chat_id):
        settings.locale = locale
        if private:
            settings.chat_id = chat_id
        await tx.save_settings(settings)
    return settings


async def schedule_reminder(
    tx: Unit, settings: UserSettings, due: datetime, *, kind: str, item_id: str | None, key: str
) -> datetime | None:
    """Store a reminder, moved out of quiet hours; returns when it will be sent (None if already scheduled)."""
    when = schedule.after_quiet_hours(due, settings)
    added = await tx.add_reminder(settings.chat_id, kind, item_id, schedule.epoch(when), key)
    return when if added is not None else None


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    deferred: int = 0
    paused: int = 0
    dropped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class Dispatcher:
    """Claims due reminders and sends them. `render(services, settings, reminder)` returns the message or
    None when nothing is open any more; it lives in the conversations layer. Every send first waits for the
    bulk `budget` (in-process or shared by replicas), so reminders never crowd out replies to users."""

    def __init__(self, services: Services, bot: ExtBot[Any], render: Render, budget: BulkBudget) -> None:
        self.services, self.bot, self.render, self.budget = services, bot, render, budget
        self._lock = asyncio.Lock()

    async def run(self) -> DispatchReport:
        async with self._lock:  # a slow run and the next tick never overlap
            report = DispatchReport()
            while True:
                now = self.services.clock.now()
                stale = schedule.epoch(now - CLAIM_TIMEOUT)
                batch = await self.services.storage.claim_due(schedule.epoch(now), BATCH, stale)
                if not batch:
                    return report
                report.claimed += len(batch)
                limit = asyncio.Semaphore(CONCURRENT_SENDS)

                async def deliver(reminder: Reminder, limit: asyncio.Semaphore = limit) -> None:
                    async with limit:
                        await self._deliver(reminder, report)

                await asyncio.gather(*(deliver(r) for r in batch))
                if len(batch) < BATCH:
                    return report

    async def _deliver(self, reminder: Reminder, report: DispatchReport) -> None:
        storage, now = self.services.storage, self.services.clock.now()
        settings = await storage.read_settings(reminder.user_id)
        if settings is None:
            await storage.mark_reminder(reminder.id, "cancelled", error="no settings (data deleted)")
            report.dropped += 1
            return
        if settings.blocked:
            await storage.mark_reminder(reminder.id, "paused")
            report.paused += 1
            return
        if schedule.in_quiet_hours(now, settings):  # settings may have changed since it was scheduled
            later = schedule.after_quiet_hours(now, settings)
            await storage.mark_reminder(reminder.id, "pending", due_at=schedule.epoch(later))
            report.deferred += 1
            return
        screen = await self.render(self.services, settings, reminder)
        if screen is None:
            await storage.mark_reminder(reminder.id, "cancelled", error="nothing open")
            report.dropped += 1
            return
        try:
            async with self.budget.slot():
                await self.bot.send_message(
                    chat_id=reminder.chat_id, text=screen.text, reply_markup=screen.keyboard, rate_limit_args=BULK
                )
        except Forbidden as exc:
            log.info("user %s blocked the bot; pausing their reminders (%s)", reminder.user_id, exc.message)
            await storage.pause_user_reminders(reminder.user_id)
            report.paused += 1
        except RetryAfter as exc:
            retry = exc.retry_after if isinstance(exc.retry_after, timedelta) else timedelta(seconds=exc.retry_after)
            await self._retry(reminder, now + retry, f"retry after {retry}", report)
        except BadRequest as exc:
            log.warning("reminder %s cannot be sent: %s", reminder.id, exc.message)
            await storage.mark_reminder(reminder.id, "failed", error=exc.message)
            report.failed += 1
        except (NetworkError, TelegramError) as exc:
            await self._retry(reminder, now + backoff(reminder.attempts), repr(exc), report)
        else:
            await storage.mark_reminder(reminder.id, "sent")
            report.sent += 1

    async def _retry(self, reminder: Reminder, when: datetime, reason: str, report: DispatchReport) -> None:
        if reminder.attempts >= MAX_ATTEMPTS:
            log.error("reminder %s failed %d times, giving up: %s", reminder.id, reminder.attempts, reason)
            await self.services.storage.mark_reminder(reminder.id, "failed", error=reason)
            report.failed += 1
            return
        await self.services.storage.mark_reminder(reminder.id, "pending", due_at=schedule.epoch(when), error=reason)
        report.deferred += 1
        report.errors.append(reason)


def dispatcher_of(application: Any) -> Dispatcher:
    dispatcher: Dispatcher = application.bot_data["dispatcher"]
    return dispatcher
