"""The Storage contract, run against every backend (SQLite and PostgreSQL, via the `database_url` fixture).
Where several processes matter (units of one user, reminder claims, the send budget) the test opens two
storages on the same database, as two replicas would."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.exitcodes import ExitCode, FatalError
from bot.storage.base import Incoming, Storage, UserSettings
from bot.storage.factory import storage_for
from bot.storage.postgres import PostgresStorage
from bot.storage.sqlite import SqliteStorage
from tests.postgres import opened

USER, OTHER = 7_000_000_001, 7_000_000_002  # above 2**32: Telegram ids need 64 bits
OLD = ("docomo:online:esim", ["settle_final_bill", "keep_cancellation_proof"])
NEW = ("au:online:esim", ["au_unpaid", "settle_final_bill", "keep_cancellation_proof"])


@pytest.fixture
async def storage(database_url: str) -> AsyncIterator[Storage]:
    async with opened(database_url) as storage:
        yield storage


async def test_a_unit_commits_all_or_nothing_and_reads_its_own_writes(storage: Storage) -> None:
    async with storage.unit(USER) as tx:
        await tx.put_record({"view": "provider", "answers": {"sim": "esim"}, "name": "ドコモ 中文"})
        await tx.make_checklist(*OLD)

    async def failing_update() -> None:
        async with storage.unit(USER) as tx:
            await tx.put_record({"view": "steps"})
            await tx.make_checklist(*NEW)
            assert await tx.record() == {"view": "steps"}
            assert (await tx.checklist())[0] == NEW[0]
            raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError):
        await failing_update()
    assert await storage.read_record(USER) == {"view": "provider", "answers": {"sim": "esim"}, "name": "ドコモ 中文"}
    key, items = await storage.read_checklist(USER)
    assert (key, [i.item_id for i in items]) == OLD


async def test_reads_outside_a_unit_see_committed_data_only(storage: Storage) -> None:
    async with storage.unit(USER) as tx:
        await tx.make_checklist(*OLD)
        await tx.put_record({"flow": 1})
    async with storage.unit(USER) as tx:
        await tx.make_checklist(*NEW)
        await tx.put_record({"flow": 2})
        assert await storage.read_record(USER) == {"flow": 1}
        key, items = await storage.read_checklist(USER)
        assert (key, [i.item_id for i in items]) == OLD
    assert await storage.read_record(USER) == {"flow": 2}
    assert (await storage.read_checklist(USER))[0] == NEW[0]


async def test_an_empty_record_deletes_it(storage: Storage) -> None:
    async with storage.unit(USER) as tx:
        await tx.put_record({"view": "summary"})
    async with storage.unit(USER) as tx:
        await tx.put_record({})
    assert await storage.read_record(USER) == {}


async def test_settings_round_trip(storage: Storage) -> None:
    assert await storage.read_settings(USER) is None
    saved = UserSettings(USER, USER + 1, "ja", "Europe/Berlin", 23, 7, date(2027, 3, 31), blocked=True)
    async with storage.unit(USER) as tx:
        await tx.save_settings(saved)
    assert await storage.read_settings(USER) == saved
    changed = UserSettings(USER, USER + 1, "en", "Asia/Tokyo", 0, 0, None, blocked=False)
    async with storage.unit(USER) as tx:
        await tx.save_settings(changed)
        assert await tx.settings() == changed
    assert await storage.read_settings(USER) == changed


async def test_a_units_settings_follow_its_own_writes_and_are_the_callers_to_change(storage: Storage) -> None:
    async with storage.unit(USER) as tx:
        await tx.put_record({"view": "summary"})
        await tx.save_settings(UserSettings(USER, USER, "en", "Asia/Tokyo", blocked=True))
    async with storage.unit(USER) as tx:
        assert await tx.record() == {"view": "summary"}
        seen = await tx.settings()
        assert seen is not None
        assert seen.blocked
        seen.locale = "ko"  # changed but not saved: nothing changes
        await tx.resume_reminders(now=0)
        after = await tx.settings()
        assert after is not None
        assert (after.blocked, after.locale) == (False, "en")
        await tx.erase()
        assert await tx.settings() is None
        assert await tx.record() == {}
    assert await storage.read_settings(USER) is None


async def test_a_record_is_patched_only_while_it_holds_the_expected_values(storage: Storage) -> None:
    assert not await storage.patch_record(USER, {"screen": 9}, when={"shown": 1})  # no record
    async with storage.unit(USER) as tx:
        await tx.put_record({"shown": 2, "view": "step", "answers": {"provider": "au"}})
    assert not await storage.patch_record(USER, {"screen": 9}, when={"shown": 1})  # a later screen was shown
    assert not await storage.patch_record(USER, {"screen": 9}, when={"shown": 2, "view": "summary"})
    assert await storage.patch_record(USER, {"screen": 10, "view": "summary"}, when={"shown": 2, "view": "step"})
    expected = {"shown": 2, "view": "summary", "answers": {"provider": "au"}, "screen": 10}
    assert await storage.read_record(USER) == expected
    assert await storage.read_record(OTHER) == {}


async def test_a_units_checklist_follows_its_own_writes(storage: Storage) -> None:
    async with storage.unit(USER) as tx:
        assert await tx.checklist() == (None, [])
        await tx.make_checklist(*OLD)
        key, items = await tx.checklist()
        assert key == OLD[0]
        assert not any(i.done for i in items)
        items.clear()  # the caller's copy
        await tx.set_item("settle_final_bill", done=True)
        assert [i.item_id for i in (await tx.checklist())[1] if i.done] == ["settle_final_bill"]
        await tx.make_checklist(*NEW)
        assert (await tx.checklist())[0] == NEW[0]
    assert (await storage.read_checklist(USER))[0] == NEW[0]


async def test_checklist_keeps_flags_of_kept_items_and_cancels_old_follow_ups(storage: Storage) -> None:
    async with storage.unit(USER) as tx:
        assert await tx.make_checklist(*OLD)
        assert not await tx.make_checklist(*OLD)  # already this procedure's
        assert await tx.set_item("settle_final_bill", done=True)
        assert await tx.set_item("keep_cancellation_proof", muted=True)
        assert await tx.set_item("keep_cancellation_proof", muted=True)  # set, never toggle
        assert not await tx.set_item("no_such_item", done=True)
        await tx.add_reminder(USER, "follow_up", "settle_final_bill", 100, "f1")
        await tx.add_reminder(USER, "user", None, 100, "u1")
        assert await tx.make_checklist(*NEW)
        kinds = [r.kind for r in await tx.reminders()]
    assert kinds == ["user"]
    key, items = await storage.read_checklist(USER)
    assert key == NEW[0]
    assert [(i.item_id, i.done, i.muted) for i in items] == [
        ("au_unpaid", False, False),
        ("settle_final_bill", True, False),
        ("keep_cancellation_proof", False, True),
    ]


async def test_reminders_are_idempotent_by_key_and_private_to_their_user(storage: Storage) -> None:
    async with storage.unit(USER) as tx:
        first = await tx.add_reminder(USER, "user", "settle_final_bill", 1000, "k")
        assert first is not None
        assert await tx.add_reminder(USER, "user", "settle_final_bill", 2000, "k") is None
        reminder = await tx.reminder(first)
        assert reminder is not None
        assert (reminder.user_id, reminder.chat_id, reminder.kind, reminder.item_id) == (
            USER,
            USER,
            "user",
            "settle_final_bill",
        )
        assert (reminder.due_at, reminder.status, reminder.attempts) == (1000, "pending", 0)
    async with storage.unit(OTHER) as tx:
        assert await tx.reminder(first) is None
        await tx.set_reminder_status(first, "cancelled")  # not theirs: no effect
    await storage.mark_reminder(first, "sent")
    async with storage.unit(USER) as tx:
        assert (await tx.reminder(first)).status == "sent"  # type: ignore[union-attr]
        again = await tx.add_reminder(USER, "user", None, 3000, "k")  # the key is free once sent
        assert again is not None
        assert again != first
        assert [r.id for r in await tx.reminders(("sent",))] == [first]


async def test_cancel_pause_and_resume(storage: Storage) -> None:
    async with storage.unit(USER) as tx:
        await tx.save_settings(UserSettings(USER, USER, "en", "Asia/Tokyo"))
        follow = await tx.add_reminder(USER, "follow_up", "a", 50, "f")
        mine = await tx.add_reminder(USER, "user", None, 500, "u")
        assert await tx.cancel_reminders(kind="follow_up") == 1
        assert [r.id for r in await tx.reminders()] == [mine]
    await storage.pause_user_reminders(USER)
    settings = await storage.read_settings(USER)
    assert settings is not None
    assert settings.blocked
    async with storage.unit(USER) as tx:
        assert [r.status for r in await tx.reminders()] == ["paused"]
        await tx.resume_reminders(now=200)
        resumed = await tx.reminders()
    assert [(r.id, r.status, r.due_at) for r in resumed] == [(mine, "pending", 500)]
    assert not (await storage.read_settings(USER)).blocked  # type: ignore[union-attr]
    async with storage.unit(USER) as tx:
        await tx.add_reminder(USER, "user", None, 100, "early")
    await storage.pause_user_reminders(USER)
    async with storage.unit(USER) as tx:
        await tx.resume_reminders(now=300)
        assert [r.due_at for r in await tx.reminders()] == [300, 500]  # overdue ones become due now
        assert await tx.cancel_reminders() == 2
        assert await tx.reminders() == []
    assert follow is not None


async def test_erase_deletes_this_users_rows_only(storage: Storage) -> None:
    for user in (USER, OTHER):
        async with storage.unit(user) as tx:
            await tx.put_record({"view": "steps"})
            await tx.save_settings(UserSettings(user, user, "zh-Hans", "Asia/Tokyo"))
            await tx.make_checklist(*OLD)
            await tx.add_reminder(user, "user", None, 10, f"r{user}")
    async with storage.unit(USER) as tx:
        await tx.erase()
    assert await storage.read_record(USER) == {}
    assert await storage.read_settings(USER) is None
    assert await storage.read_checklist(USER) == (None, [])
    assert await storage.claim_due(now=100, limit=10, stale_before=0) != []  # OTHER's only
    assert await storage.read_record(OTHER) == {"view": "steps"}


async def test_claims_take_due_and_stale_rows_once(storage: Storage) -> None:
    async with storage.unit(USER) as tx:
        due = await tx.add_reminder(USER, "user", None, 100, "due")
        await tx.add_reminder(USER, "user", None, 10_000, "later")
    claimed = await storage.claim_due(now=200, limit=10, stale_before=0)
    assert [(r.id, r.status, r.attempts) for r in claimed] == [(due, "claimed", 1)]
    assert await storage.claim_due(now=300, limit=10, stale_before=0) == []
    # A claim left by a crashed process is taken again once it is older than stale_before.
    again = await storage.claim_due(now=900, limit=10, stale_before=500)
    assert [(r.id, r.attempts) for r in again] == [(due, 2)]
    await storage.mark_reminder(due, "pending", due_at=5000, error="429")  # type: ignore[arg-type]
    assert await storage.claim_due(now=1000, limit=10, stale_before=0) == []
    assert [r.id for r in await storage.claim_due(now=5000, limit=10, stale_before=0)] == [due]


async def test_two_replicas_claim_each_reminder_once(database_url: str) -> None:
    async with opened(database_url) as one, opened(database_url) as two:
        for user in range(40):
            async with one.unit(user) as tx:
                for k in range(5):
                    await tx.add_reminder(user, "user", None, k, f"{user}:{k}")

        async def drain(storage: Storage) -> list[int]:
            ids: list[int] = []
            while batch := await storage.claim_due(now=100, limit=7, stale_before=0):
                ids += [r.id for r in batch]
                await asyncio.sleep(0)
            return ids

        results = await asyncio.gather(drain(one), drain(two), drain(one), drain(two))
    everything = [i for ids in results for i in ids]
    assert len(everything) == 200
    assert len(set(everything)) == 200


async def test_one_users_units_never_interleave_across_replicas(database_url: str) -> None:
    """Read-modify-write of the record from two storages at once: with units serialised per user, no
    increment is lost; another user's units are not held up by this one's."""
    async with opened(database_url) as one, opened(database_url) as two:
        async with one.unit(USER) as tx:
            await tx.put_record({"count": 0})

        async def bump(storage: Storage, times: int) -> None:
            for _ in range(times):
                async with storage.unit(USER) as tx:
                    count = (await tx.record())["count"]
                    await asyncio.sleep(0)  # let the other replica try to get in between
                    await tx.put_record({"count": count + 1})

        await asyncio.gather(bump(one, 25), bump(two, 25), bump(one, 25), bump(two, 25))
        assert await two.read_record(USER) == {"count": 100}


async def test_opening_again_keeps_the_data(database_url: str) -> None:
    async with opened(database_url) as storage, storage.unit(USER) as tx:
        await tx.put_record({"view": "summary"})
    async with opened(database_url) as one, opened(database_url) as two:
        assert await one.read_record(USER) == await two.read_record(USER) == {"view": "summary"}


async def test_the_bulk_budget_is_a_shared_token_bucket(database_url: str) -> None:
    async with opened(database_url) as one, opened(database_url) as two:
        # A full bucket of 3 at t=0: three sends now, then a wait of 1/rate.
        waits = [await (one if k % 2 else two).take_bulk_slot(0.0, 2.0, 3) for k in range(4)]
        assert waits[:3] == [0.0, 0.0, 0.0]
        assert waits[3] == pytest.approx(0.5)
        assert await one.take_bulk_slot(0.25, 2.0, 3) == pytest.approx(0.25)
        assert await two.take_bulk_slot(0.5, 2.0, 3) == 0.0
        # A clock running behind neither refills nor drains the bucket.
        assert await one.take_bulk_slot(0.1, 2.0, 3) == pytest.approx(0.5)
        # After a long pause the bucket holds at most `burst`.
        waits = [await one.take_bulk_slot(100.0, 2.0, 3) for _ in range(4)]
        assert [w == 0.0 for w in waits] == [True, True, True, False]


async def test_a_database_url_names_its_backend(tmp_path: Path) -> None:
    sqlite = storage_for(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert isinstance(sqlite, SqliteStorage)
    assert sqlite.path == tmp_path / "x.sqlite3"
    assert isinstance(storage_for("postgresql://bot:pw@db:5432/bot"), PostgresStorage)


async def test_an_unreachable_postgresql_server_is_a_clear_fatal_error() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    storage = storage_for(f"postgresql://bot:s3cret-pw@127.0.0.1:{port}/bot")
    with pytest.raises(FatalError) as caught:
        await storage.open()
    assert caught.value.code == ExitCode.STORAGE
    assert "s3cret-pw" not in str(caught.value)
    assert f"127.0.0.1:{port}" in str(caught.value)


async def test_stats_count_activity_procedures_reminders_and_errors(storage: Storage) -> None:
    await storage.ping()
    for user, procedure in ((1, OLD), (2, NEW), (3, NEW), (USER, NEW)):
        async with storage.unit(user) as tx:
            await tx.make_checklist(*procedure)
    await storage.note_activity(1, now=1000)
    await storage.note_activity(2, now=5000)
    await storage.note_activity(2, now=4000)  # an older note never moves last_seen back
    await storage.note_activity(USER, now=6000)
    async with storage.unit(1) as tx:
        sent = await tx.add_reminder(1, "user", None, 10, "a")
        failed = await tx.add_reminder(1, "user", None, 10, "b")
        await tx.add_reminder(1, "user", None, 10, "c")
    assert sent is not None
    assert failed is not None
    await storage.mark_reminder(sent, "sent")
    await storage.mark_reminder(failed, "failed", error="400")
    for at in (100, 3000, 3500):
        await storage.note_error(now=at)
    async with storage.unit(USER) as tx:
        await tx.erase()  # their activity goes with their data
    stats = await storage.stats(active_since=4500, errors_since=3000, top=10)
    assert stats.active_users == 1
    assert stats.top_procedures == [(NEW[0], 2), (OLD[0], 1)]
    assert (stats.reminders_sent, stats.reminders_failed, stats.reminders_pending) == (1, 1, 1)
    assert stats.errors == 2
    assert (await storage.stats(active_since=0, errors_since=0, top=1)).top_procedures == [(NEW[0], 2)]
    await storage.note_error(now=3000 + 8 * 24 * 3600)  # a week later: the old ones are dropped
    assert (await storage.stats(active_since=0, errors_since=0)).errors == 1


def _update(update_id: int, user_id: int) -> Incoming:
    return Incoming(
        update_id, user_id, {"update_id": update_id, "message": {"from": {"id": user_id}, "text": "/start"}}
    )


async def test_the_inbox_keeps_each_update_once_and_forgets_handled_ones(storage: Storage) -> None:
    assert await storage.keep_updates([_update(1, USER), _update(2, OTHER)], now=1000) == {1, 2}
    # A re-sent copy (the same id, pending or handled) is not new.
    assert await storage.keep_updates([_update(2, OTHER), _update(3, USER)], now=1001) == {3}
    await storage.mark_handled([2], now=1002)
    pending = await storage.pending_updates()
    assert [u["update_id"] for u in pending] == [1, 3]
    assert pending[0]["message"]["from"]["id"] == USER
    assert await storage.keep_updates([_update(2, OTHER)], now=1003) == set()
    # A day later the handled id is forgotten; the pending ones stay.
    assert await storage.keep_updates([], now=1002 + 24 * 3600 + 1) == set()
    assert await storage.keep_updates([_update(2, OTHER)], now=1002 + 24 * 3600 + 2) == {2}
    # Erasing a user takes their waiting updates with them.
    async with storage.unit(USER) as tx:
        await tx.erase()
    assert [u["update_id"] for u in await storage.pending_updates()] == [2]
