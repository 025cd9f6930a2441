"""Checklist and reminders end to end, with a controllable clock: no test sleeps for a reminder."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.context import AppType
from bot.reminders import CLAIM_TIMEOUT, dispatcher_of
from bot.schedule import epoch
from bot.standin import Fault, SimUser, StandIn
from bot.storage import SqliteStorage
from tests.harness import Chat, running_bot, shared_content

pytestmark = pytest.mark.asyncio
NOON_JST = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
QUIET_INTERVAL = 3600.0  # the JobQueue ticker runs once at start; tests dispatch by hand


def ui(key: str, **values: object) -> str:
    return shared_content().text(key, "en", **values)


def rows(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def reminders(db: Path, user: int) -> list[tuple[object, ...]]:
    return rows(db, "SELECT kind, item_id, due_at, status FROM reminders WHERE user_id = ? ORDER BY id", user)


async def walk_to_steps(chat: Chat) -> None:
    await chat.send("/start")
    await chat.click("NTT docomo")
    await chat.click(ui("sim_esim"))
    await chat.click(ui("channel_online"))
    await chat.click(ui("goal_cancel"))
    await chat.click(ui("stay_leaving"))


async def walk_to_summary(chat: Chat) -> None:
    await walk_to_steps(chat)
    while ui("btn_next") in " ".join(chat.labels()):
        await chat.click(ui("btn_next"))
    await chat.click(ui("btn_summary"))


async def ask_reminder(chat: Chat, preset: str) -> None:
    """Remind me (from the live screen), then a preset in the picker that opens."""
    await chat.click(ui("btn_remind"))
    await chat.click(ui(preset), message=chat.last)


@asynccontextmanager
async def reminded(standin: StandIn, db: Path, user: int) -> AsyncIterator[tuple[AppType, Chat, ManualClock]]:
    """A bot at noon in Tokyo whose user walked to the steps and asked for a reminder in 3 hours."""
    clock = ManualClock(NOON_JST)
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, SimUser(user))
        await walk_to_steps(chat)
        await ask_reminder(chat, "preset_3h")
        yield app, chat, clock


def reminder_messages(standin: StandIn, user: int) -> list[dict[str, object]]:
    return [m for m in standin.bot_messages(user) if str(m.get("text", "")).startswith("⏰")]


async def test_remind_me_from_a_step_with_quiet_hours(standin: StandIn, db: Path) -> None:
    clock = ManualClock(datetime(2026, 12, 1, 11, 0, tzinfo=UTC))  # 20:00 JST
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, SimUser(2001))
        await walk_to_steps(chat)
        await chat.click(ui("btn_remind"))
        picker = chat.last
        assert ui("preset_3h") in chat.labels(picker)
        await chat.click(ui("preset_3h"), message=picker)
        # 23:00 JST falls in the default quiet hours (22-08): moved to 08:00 JST.
        assert standin.messages[(2001, picker["message_id"])]["text"] == ui(
            "remind_set", when="2026-12-02 08:00", tz="Asia/Tokyo"
        )
        assert reminders(db, 2001) == [("user", None, epoch(datetime(2026, 12, 1, 23, 0, tzinfo=UTC)), "pending")]
        # Nothing is sent before it is due.
        clock.advance(timedelta(hours=11))
        assert (await dispatcher_of(app).run()).sent == 0
        clock.advance(timedelta(hours=1))  # 08:00 JST
        report = await dispatcher_of(app).run()
        assert report.sent == 1
        message = reminder_messages(standin, 2001)[-1]
        assert ui("reminder_title", procedure="Cancel docomo online (My docomo)") in str(message["text"])
        done_label = ui("btn_item_done", item=shared_content().catalogue.items["move_2fa_sms"].title["en"])
        assert done_label in chat.labels(message)
        # Ticking an item on the reminder removes it from the reminder and the checklist.
        await chat.click(done_label, message=message)
        assert done_label not in chat.labels(standin.messages[(2001, message["message_id"])])  # type: ignore[index]
        assert rows(db, "SELECT done FROM checklist_items WHERE user_id = 2001 AND item_id = 'move_2fa_sms'") == [(1,)]


async def test_checklist_summary_and_follow_ups(standin: StandIn, db: Path) -> None:
    clock = ManualClock(NOON_JST)
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, SimUser(2002))
        await walk_to_summary(chat)
        # The catalogue's follow-ups are scheduled on reaching the summary, at 10:00 JST.
        kinds = {(kind, item): due for kind, item, due, _ in reminders(db, 2002)}
        assert kinds[("follow_up", "confirm_cancellation")] == epoch(datetime(2026, 12, 4, 1, 0, tzinfo=UTC))
        assert kinds[("follow_up", "check_last_bill")] == epoch(datetime(2026, 12, 31, 1, 0, tzinfo=UTC))
        # The checklist opens from a step too.
        await chat.click(ui("btn_back"))
        last_step = chat.screen
        await chat.click(ui("btn_checklist"))
        assert ui("checklist_title", procedure="Cancel docomo online (My docomo)") in chat.last["text"]
        await chat.click(ui("btn_summary"), message=standin.messages[(2002, last_step["message_id"])])
        # Tick an item on the summary, then see it in /checklist.
        backup = shared_content().catalogue.items["backup_data"].title["en"]
        await chat.click(f"☐ {backup}")
        assert f"☑ {backup}" in chat.labels()
        await chat.send("/checklist")
        checklist = chat.last
        assert f"☑ {backup}" in chat.labels(checklist)
        await chat.click(f"☑ {backup}", message=checklist)  # untick from the checklist
        assert f"☐ {backup}" in chat.labels(standin.messages[(2002, checklist["message_id"])])
        # Remind me from the checklist, with a date from the picker.
        await chat.click(ui("btn_remind"), message=standin.messages[(2002, checklist["message_id"])])
        picker = chat.last
        await chat.click(ui("preset_cal"), message=picker)
        calendar = standin.messages[(2002, picker["message_id"])]
        assert ui("calendar_prompt", month="2026-12") in str(calendar["text"])
        await chat.click("24", message=calendar)
        assert standin.messages[(2002, picker["message_id"])]["text"] == ui(
            "remind_set", when="2026-12-24 09:00", tz="Asia/Tokyo"
        )
        # A follow-up only lists its own item.
        clock.set(datetime(2026, 12, 4, 1, 0, tzinfo=UTC))
        assert (await dispatcher_of(app).run()).sent == 1
        follow = reminder_messages(standin, 2002)[-1]
        confirm = shared_content().catalogue.items["confirm_cancellation"].title["en"]
        assert chat.labels(follow)[0] == ui("btn_item_done", item=confirm)
        assert ui("btn_stop_item", item=confirm) in chat.labels(follow)


async def test_snooze_stop_and_cancel(standin: StandIn, db: Path) -> None:
    async with reminded(standin, db, 2003) as (app, chat, clock):
        clock.advance(timedelta(hours=3))
        await dispatcher_of(app).run()
        message = reminder_messages(standin, 2003)[-1]
        await chat.click(ui("btn_snooze_1h"), message=message)
        assert standin.messages[(2003, message["message_id"])]["text"] == ui("snoozed", when="2026-12-01 16:00")  # type: ignore[index]
        assert reminders(db, 2003)[-1] == ("user", None, epoch(NOON_JST + timedelta(hours=4)), "pending")
        # /reminders lists it with a cancel button.
        await chat.send("/reminders")
        listing = chat.last
        assert ui("reminder_line", when="2026-12-01 16:00", what=ui("reminder_all_items")) in listing["text"]
        await chat.click("✕ 2026-12-01 16:00", message=listing)
        assert standin.messages[(2003, listing["message_id"])]["text"] == ui("reminders_none")
        assert reminders(db, 2003)[-1][3] == "cancelled"
        clock.advance(timedelta(hours=2))
        assert (await dispatcher_of(app).run()).sent == 0
        # "Stop these reminders" on a reminder cancels the user's pending reminders.
        await ask_reminder(chat, "preset_3h")
        await ask_reminder(chat, "preset_3d")
        clock.advance(timedelta(hours=3))
        await dispatcher_of(app).run()
        await chat.click(ui("btn_stop_all"), message=reminder_messages(standin, 2003)[-1])
        assert [r[3] for r in reminders(db, 2003)][-2:] == ["sent", "cancelled"]


async def test_time_zone_change_defers_a_reminder_into_new_quiet_hours(standin: StandIn, db: Path) -> None:
    clock = ManualClock(NOON_JST)
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, SimUser(2004))
        await walk_to_steps(chat)
        await ask_reminder(chat, "preset_3h")  # 15:00 JST = 06:00 UTC
        await chat.send("/settings")
        menu = chat.last
        await chat.click(ui("btn_tz"), message=menu)
        await chat.click("America/Los_Angeles", message=standin.messages[(2004, menu["message_id"])])
        assert "America/Los_Angeles" in str(standin.messages[(2004, menu["message_id"])]["text"])
        clock.advance(timedelta(hours=3))  # 06:00 UTC is 22:00 in Los Angeles: quiet
        report = await dispatcher_of(app).run()
        assert (report.sent, report.deferred) == (0, 1)
        assert reminders(db, 2004)[-1][2] == epoch(datetime(2026, 12, 1, 16, 0, tzinfo=UTC))  # 08:00 in LA
        # Quiet hours off: the next run sends it.
        await chat.click(ui("btn_quiet"), message=standin.messages[(2004, menu["message_id"])])
        await chat.click(ui("btn_quiet_off"), message=standin.messages[(2004, menu["message_id"])])
        clock.advance(timedelta(hours=10))
        assert (await dispatcher_of(app).run()).sent == 1


async def test_catch_up_after_downtime_sends_exactly_once(standin: StandIn, db: Path) -> None:
    clock = ManualClock(NOON_JST)
    user = SimUser(2005)
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, user)
        await walk_to_steps(chat)
        await ask_reminder(chat, "preset_3h")
    clock.advance(timedelta(days=2))  # the bot was down past the due time
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        await dispatcher_of(app).run()  # the start-up run (first=0) may already have sent it
        await dispatcher_of(app).run()
        assert len(reminder_messages(standin, 2005)) == 1
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        await dispatcher_of(app).run()
    assert len(reminder_messages(standin, 2005)) == 1
    assert [r[3] for r in reminders(db, 2005)] == ["sent"]


async def test_restart_between_claim_and_send(standin: StandIn, db: Path) -> None:
    async with reminded(standin, db, 2006) as (_, _, clock):
        pass
    # A process claims the due reminder and dies before sending it.
    clock.advance(timedelta(hours=3))
    storage = SqliteStorage(db)
    await storage.open()
    claimed = await storage.claim_due(epoch(clock.now()), 10, epoch(clock.now() - CLAIM_TIMEOUT))
    await storage.close()
    assert len(claimed) == 1
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        assert (await dispatcher_of(app).run()).sent == 0  # a fresh claim belongs to someone else
        clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))
        assert (await dispatcher_of(app).run()).sent == 1  # the stale claim is taken over
        assert (await dispatcher_of(app).run()).sent == 0
    assert len(reminder_messages(standin, 2006)) == 1


async def test_blocked_user_is_paused_then_resumed(standin: StandIn, db: Path) -> None:
    async with reminded(standin, db, 2007) as (app, chat, clock):
        standin.blocked.add(2007)
        clock.advance(timedelta(hours=3))
        report = await dispatcher_of(app).run()
        assert report.paused == 1
        assert reminders(db, 2007)[-1][3] == "paused"
        attempts = sum(1 for c in standin.calls if c.method == "sendMessage" and c.params.get("chat_id") == 2007)
        clock.advance(timedelta(days=1))
        await dispatcher_of(app).run()
        assert (
            sum(1 for c in standin.calls if c.method == "sendMessage" and c.params.get("chat_id") == 2007) == attempts
        )
        # The user unblocks and writes: the paused reminder goes out on the next run.
        standin.blocked.discard(2007)
        await chat.send("/help")
        assert reminders(db, 2007)[-1][3] == "pending"
        assert (await dispatcher_of(app).run()).sent == 1


async def test_retry_after_is_retried(standin: StandIn, db: Path) -> None:
    clock = ManualClock(NOON_JST)
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, SimUser(2008))
        await walk_to_steps(chat)
        for preset in ("preset_3h", "preset_tm"):
            await ask_reminder(chat, preset)
        clock.advance(timedelta(hours=3))
        # One 429: the rate limiter waits retry_after and sends.
        standin.inject(Fault("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, chat_id=2008))
        assert (await dispatcher_of(app).run()).sent == 1
        assert [c.ok for c in standin.calls if c.method == "sendMessage"][-2:] == [False, True]
        # 429 on every try: the reminder goes back to pending, due after retry_after.
        clock.set(datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
        standin.inject(
            Fault("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=10, chat_id=2008)
        )
        report = await dispatcher_of(app).run()
        assert (report.sent, report.deferred) == (0, 1)
        assert reminders(db, 2008)[-1][2:] == (epoch(clock.now()) + 1, "pending")
        standin.faults.clear()
        clock.advance(timedelta(seconds=1))
        assert (await dispatcher_of(app).run()).sent == 1


async def test_network_errors_back_off(standin: StandIn, db: Path) -> None:
    async with reminded(standin, db, 2009) as (app, _, clock):
        clock.advance(timedelta(hours=3))
        standin.inject(Fault("sendMessage", 502, "Bad Gateway", chat_id=2009))
        report = await dispatcher_of(app).run()
        assert (report.sent, report.deferred) == (0, 1)
        assert reminders(db, 2009)[-1][2] == epoch(clock.now()) + 30
        clock.advance(timedelta(seconds=30))
        assert (await dispatcher_of(app).run()).sent == 1


async def test_deletemydata_leaves_no_row(standin: StandIn, db: Path) -> None:
    clock = ManualClock(NOON_JST)
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, SimUser(2010))
        other = Chat(standin, app, SimUser(2011))
        for c in (chat, other):
            await walk_to_steps(c)
            await ask_reminder(c, "preset_3h")
        await chat.send("/settings")
        await chat.send("/deletemydata")
        prompt = chat.last
        await chat.click(ui("btn_delete_no"), message=prompt)
        assert rows(db, "SELECT count(*) FROM reminders WHERE user_id = 2010") == [(1,)]
        await chat.send("/deletemydata")
        prompt = chat.last
        await chat.click(ui("btn_delete_yes"), message=prompt)
        assert standin.messages[(2010, prompt["message_id"])]["text"] == ui("deleted")
    # Every table with a user_id column, found in the schema rather than listed here.
    tables = [
        name
        for (name,) in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")
        if any(col[1] == "user_id" for col in rows(db, f"PRAGMA table_info({name})"))
    ]
    assert {"flow_records", "user_settings", "checklists", "checklist_items", "reminders"} <= set(tables)
    for table in tables:
        assert rows(db, f"SELECT count(*) FROM {table} WHERE user_id = 2010") == [(0,)], table
    assert rows(db, "SELECT count(*) FROM reminders WHERE user_id = 2011") == [(1,)]
    assert rows(db, "SELECT count(*) FROM flow_records WHERE user_id = 2011") == [(1,)]


async def test_remind_me_from_the_summary_the_day_before_departure(standin: StandIn, db: Path) -> None:
    clock = ManualClock(NOON_JST)
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, SimUser(2012))
        await walk_to_summary(chat)
        summary = chat.screen
        # No departure date yet: the picker does not offer "the day before I leave".
        await chat.click(ui("btn_remind"), message=summary)
        assert not any("(" in label and "2026" in label for label in chat.labels(chat.last))
        # Set one in /settings with the date picker.
        await chat.send("/settings")
        menu = chat.last
        await chat.click(ui("btn_departure"), message=menu)
        await chat.click("20", message=standin.messages[(2012, menu["message_id"])])
        assert "2026-12-20" in str(standin.messages[(2012, menu["message_id"])]["text"])
        # Now the summary's Remind me offers it, at 09:00 local the day before.
        await chat.click(ui("btn_remind"), message=standin.messages[(2012, summary["message_id"])])
        picker = chat.last
        await chat.click(ui("preset_dep", date="2026-12-20"), message=picker)
        assert standin.messages[(2012, picker["message_id"])]["text"] == ui(
            "remind_set", when="2026-12-19 09:00", tz="Asia/Tokyo"
        )
        assert ("user", None, epoch(datetime(2026, 12, 19, 0, 0, tzinfo=UTC)), "pending") in reminders(db, 2012)
