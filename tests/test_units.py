"""The storage's unit of work: writes of one update commit together, reads outside a unit see committed data
only, so the reminder dispatcher never sees a checklist half-replaced by a concurrent update."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.reminders import dispatcher_of
from bot.schedule import epoch
from bot.standin import SimUser, StandIn
from bot.storage import SqliteStorage
from bot.storage.base import UserSettings
from conversations.reminder_buttons import render_reminder
from tests.harness import running_bot

NOON_JST = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
USER = 6001
OLD = ("docomo:online:esim", ["settle_final_bill", "keep_cancellation_proof"])
NEW = ("au:online:esim", ["au_unpaid", "settle_final_bill", "keep_cancellation_proof"])


async def test_a_unit_commits_all_or_nothing(db: Path) -> None:
    storage = SqliteStorage(db)
    await storage.open()
    try:
        async with storage.unit(USER) as tx:
            await tx.put_record({"view": "provider"})
            await tx.make_checklist(*OLD)

        async def failing_update() -> None:
            async with storage.unit(USER) as tx:
                await tx.put_record({"view": "steps"})
                await tx.make_checklist(*NEW)
                assert (await tx.checklist())[0] == NEW[0]  # a unit reads its own writes
                raise RuntimeError("the handler failed")

        with pytest.raises(RuntimeError):
            await failing_update()
        assert await storage.read_record(USER) == {"view": "provider"}
        assert [i.item_id for i in (await storage.read_checklist(USER))[1]] == OLD[1]
    finally:
        await storage.close()


async def test_reads_outside_a_unit_never_see_its_uncommitted_writes(db: Path) -> None:
    storage = SqliteStorage(db)
    await storage.open()
    try:
        async with storage.unit(USER) as tx:
            await tx.make_checklist(*OLD)
        async with storage.unit(USER) as tx:
            await tx.make_checklist(*NEW)  # items deleted and inserted, not yet committed
            key, items = await storage.read_checklist(USER)
            assert (key, [i.item_id for i in items]) == (OLD[0], OLD[1])
        key, items = await storage.read_checklist(USER)
        assert (key, [i.item_id for i in items]) == (NEW[0], NEW[1])
    finally:
        await storage.close()


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
