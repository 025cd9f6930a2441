"""The storage's unit of work seen from the bot: the reminder dispatcher never sees a checklist half-replaced
by a concurrent update. (The units' own guarantees are in tests/test_storage_contract.py, for every backend.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.reminders import dispatcher_of
from bot.schedule import epoch
from bot.standin import SimUser, StandIn
from bot.storage.base import UserSettings
from conversations.reminder_buttons import render_reminder
from tests.harness import running_bot

NOON_JST = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
USER = 6001
OLD = ("docomo:online:esim", ["settle_final_bill", "keep_cancellation_proof"])
NEW = ("au:online:esim", ["au_unpaid", "settle_final_bill", "keep_cancellation_proof"])


async def test_reminder_dispatch_interleaved_with_checklist_changes(standin: StandIn, db: Path) -> None:
    """The dispatcher renders 40 due reminders while other updates of the same user replace the checklist
    back and forth 60 times (every item open in both): each render sees one whole checklist, so no reminder is
    dropped as "nothing open" and each is sent once."""
    clock = ManualClock(NOON_JST)
    reminders = 40
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=3600.0) as app:
        standin.message_update(SimUser(USER), "hi")
        storage = app.bot_data["services"].storage
        async with storage.unit(USER) as tx:
            await tx.save_settings(UserSettings(USER, USER, "en", "Asia/Tokyo", quiet_start=0, quiet_end=0))
            await tx.make_checklist(*OLD)
            for k in range(reminders):
                await tx.add_reminder(USER, "user", None, epoch(clock.now() - timedelta(minutes=k + 1)), f"t{k}")
        seen: list[tuple[str | None, int]] = []

        async def swap() -> None:
            for n in range(60):
                async with storage.unit(USER) as tx:
                    await tx.make_checklist(*(NEW if n % 2 == 0 else OLD))
                key, items = await storage.read_checklist(USER)
                seen.append((key, len(items)))
                await asyncio.sleep(0)

        report, _ = await asyncio.gather(dispatcher_of(app).run(), swap())
        assert report.dropped == 0, report
        assert report.sent == reminders, report
        assert set(seen) <= {(OLD[0], len(OLD[1])), (NEW[0], len(NEW[1]))}, set(seen)
        # The render the dispatcher uses, while a unit holds a half-replaced checklist.
        settings = await storage.read_settings(USER)
        assert settings is not None
        async with storage.unit(USER) as tx:
            rid = await tx.add_reminder(USER, "user", None, epoch(clock.now()), "last")
            assert rid is not None
            reminder = await tx.reminder(rid)
        assert reminder is not None
        async with storage.unit(USER) as tx:
            await tx.make_checklist("softbank:shop:physical", [])  # a procedure with nothing outstanding
            assert await render_reminder(app.bot_data["services"], settings, reminder) is not None
        assert await render_reminder(app.bot_data["services"], settings, reminder) is None
