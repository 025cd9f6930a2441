"""The departure plan on the injectable clock: asked for when leaving, dated items in every locale, reminders
that move with the date and follow the time zone after departure, and the calendar export."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from bot.clock import ManualClock
from bot.reminders import dispatcher_of
from bot.schedule import epoch
from bot.standin import SimUser, StandIn
from bot.storage.base import ChecklistItem, UserSettings
from content.plan import by_day
from conversations import plan_views as pv
from conversations.plan_ics import plan_calendar
from tests.harness import Chat, running_bot, shared_content

NOON_JST = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # Tuesday 1 December, 12:00 in Tokyo
TODAY = date(2026, 12, 1)
DEPARTURE = TODAY + timedelta(days=20)  # 2026-12-21
KEY = "docomo:online:esim"
QUIET_INTERVAL = 3600.0
ALL_LOCALES = ("zh-Hans", "en", "ja", "zh-Hant", "vi", "ko")


def ui(key: str, **values: object) -> str:
    return shared_content().text(key, "en", **values)


def docomo_plan(done: frozenset[str] = frozenset()) -> pv.PlanOf:
    content = shared_content()
    proc = content.providers["docomo"].procedure("online")
    assert proc is not None
    answers = {"provider": "docomo", "sim": "esim", "channel": "online", "goal": "cancel", "stay": "leaving"}
    items = [ChecklistItem(i, i in done, False) for i in proc.items_for(answers)]
    return pv.PlanOf(KEY, proc, answers, items)


# What the catalogue's `due` gives for a departure on 2026-12-21, cancelling 3 days before (2026-12-18).
EXPECTED_DAYS = {
    "move_2fa_sms": date(2026, 11, 30),  # 21 days before: already overdue today
    **dict.fromkeys(
        (
            "line_transfer",
            "backup_data",
            "carrier_email",
            "unlink_carrier_payments",
            "sim_unlock",
            "device_instalments",
        ),
        date(2026, 12, 7),
    ),
    "use_points": date(2026, 12, 11),
    "check_login_before_leaving": date(2026, 12, 14),
    "keep_cancellation_proof": date(2026, 12, 18),
    "confirm_cancellation": date(2026, 12, 19),
    "delete_esim_profile": date(2026, 12, 20),  # after the confirmation
    "residence_card_airport": date(2026, 12, 21),
    "check_last_bill": date(2027, 1, 22),
    "settle_final_bill": date(2027, 2, 1),
    "bank_account_timing": date(2027, 2, 16),  # last
}


def test_a_departure_20_days_ahead_dates_every_item() -> None:
    plan = docomo_plan()
    entries = plan.entries(shared_content(), DEPARTURE)
    days = {e.ref: e.day for e in entries if e.kind == "item"}
    assert days == EXPECTED_DAYS
    assert {e.kind: e.day for e in entries if e.kind != "item"} == {
        "cancel": date(2026, 12, 18),
        "departure": DEPARTURE,
    }
    assert [d for d, _ in by_day(entries)] == sorted({e.day for e in entries})
    assert set(days) == {i.item_id for i in plan.items}


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_the_plan_screen_shows_each_item_under_its_day_in_every_locale(locale: str) -> None:
    content = shared_content()
    plan = docomo_plan(done=frozenset({"backup_data"}))
    settings = UserSettings(1, 1, locale, "Asia/Tokyo", departure=DEPARTURE)
    text = pv.plan_screen(content, locale, settings, plan, TODAY).text
    blocks = {block.splitlines()[0]: block for block in text.split("\n\n") if block.startswith(pv.DAY_MARK)}
    for entry in plan.entries(content, DEPARTURE):
        block = blocks[f"{pv.DAY_MARK} <b>{entry.day:%Y-%m-%d}</b>"]
        if entry.kind == "item":
            title = content.catalogue.items[entry.ref].title[locale]
            assert title.replace("&", "&amp;") in block, (locale, entry)
    overdue = next(b for b in blocks.values() if "2026-11-30" in b.splitlines()[0])
    assert overdue.splitlines()[1].startswith(pv.OVERDUE)  # 2FA, due yesterday and open
    assert "☑" in next(b for h, b in blocks.items() if "2026-12-07" in h)  # ticked items shown done
    assert content.text("plan_departure_line", locale) in blocks[f"{pv.DAY_MARK} <b>2026-12-21</b>"]


def test_the_ics_holds_one_event_per_entry_with_stable_uids() -> None:
    content = shared_content()
    plan = docomo_plan()
    first = Calendar.from_ical(plan_calendar(content, "en", 7, plan, DEPARTURE, NOON_JST))
    moved = Calendar.from_ical(
        plan_calendar(content, "en", 7, plan, DEPARTURE + timedelta(days=5), NOON_JST + timedelta(hours=1))
    )
    events = first.walk("VEVENT")
    assert len(events) == len(plan.items) + 1  # every item and the cancellation itself
    official = content.providers["docomo"].links[plan.procedure.official_link].url
    assert all(official in str(e["description"]) for e in events)
    by_uid = {str(e["uid"]): e for e in events}
    moved_by_uid = {str(e["uid"]): e for e in moved.walk("VEVENT")}
    assert by_uid.keys() == moved_by_uid.keys()
    for uid, event in by_uid.items():
        assert moved_by_uid[uid]["dtstart"].dt == event["dtstart"].dt + timedelta(days=5)
        assert int(moved_by_uid[uid]["sequence"]) > int(event["sequence"])
    assert all(re.fullmatch(r"[0-9a-f]{24}@jpsim-bot", uid) for uid in by_uid)  # hashed, not the user id


def _pending(db: Path, user: int) -> list[tuple[str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT item_id, due_at FROM reminders WHERE user_id = ? AND kind = 'plan' AND status = 'pending' "
            "ORDER BY due_at",
            (user,),
        ).fetchall()


async def _leaving_docomo(chat: Chat) -> None:
    await chat.send("/start")
    await chat.click("NTT docomo")
    await chat.click(ui("sim_esim"))
    await chat.click(ui("channel_online"))
    await chat.click(ui("goal_cancel"))
    await chat.click(ui("stay_leaving"))


async def test_leaving_asks_for_the_date_and_typed_dates_move_reminders(standin: StandIn, db: Path) -> None:
    clock = ManualClock(NOON_JST)
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, SimUser(3001))
        await _leaving_docomo(chat)
        step = chat.screen
        assert ui("btn_ask_departure") in chat.labels(step)  # the step screen asks, skippably
        await chat.click(ui("btn_ask_departure"))
        assert ui("btn_skip") in chat.labels(chat.last)  # the calendar, with Skip
        await chat.send("yesterday")
        assert chat.last["text"] == ui("date_past", date="2026-11-30")
        await chat.send("2026-12-21")
        assert ui("plan_title", date="2026-12-21") in chat.last["text"]
        # The step screen stops asking once the date is known.
        assert ui("btn_ask_departure") not in chat.labels(standin.messages[(3001, step["message_id"])])
        first = _pending(db, 3001)
        # One reminder per future day with open items, at 09:00 Tokyo.
        assert [d for d, _ in first] == sorted({d.isoformat() for d in EXPECTED_DAYS.values() if d >= TODAY})
        assert all(datetime.fromtimestamp(due, UTC).hour == 0 for _, due in first)
        # Changing the date moves them: the same days shifted, no duplicate pending reminder.
        plan_message = chat.last
        await chat.click(ui("btn_change_departure"), message=plan_message)
        await chat.send("26/12")
        moved = _pending(db, 3001)
        shifted = sorted({d + timedelta(days=5) for d in EXPECTED_DAYS.values()} - {TODAY - timedelta(days=1)})
        assert [date.fromisoformat(d) for d, _ in moved] == [d for d in shifted if d >= TODAY]  # 2FA: 5 Dec now
        assert len(moved) == len({d for d, _ in moved})  # one pending reminder per day
        # Ticking on the plan edits it in place and drops an emptied day's reminder.
        plan_message = chat.last
        points = shared_content().catalogue.items["use_points"].title["en"]
        await chat.click(points, message=plan_message)
        edited = standin.messages[(3001, plan_message["message_id"])]
        assert f"☑ {points}" in str(edited["text"])
        assert [d for d, _ in _pending(db, 3001)] == [d for d, _ in moved if d != "2026-12-16"]
        # The calendar button sends an .ics that icalendar parses.
        await chat.click(ui("btn_ics"), message=edited)
        (document,) = [v for (c, _), v in standin.documents.items() if c == 3001]
        assert len(Calendar.from_ical(document).walk("VEVENT")) >= len(EXPECTED_DAYS)
        # The first reminder goes out on its morning with that day's items.
        clock.set(datetime.fromisoformat(f"{moved[0][0]}T00:00:00+00:00"))
        assert (await dispatcher_of(app).run()).sent == 1


async def test_after_departure_reminders_follow_the_new_zone_and_its_quiet_hours(standin: StandIn, db: Path) -> None:
    clock = ManualClock(NOON_JST)
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, SimUser(3002))
        await _leaving_docomo(chat)
        await chat.click(ui("btn_ask_departure"))
        await chat.send("2026-12-21")
        await chat.click(ui("btn_abroad_tz"), message=chat.last)
        await chat.send("new york")
        assert ui("plan_abroad_line", tz="America/New_York") in chat.last["text"]
        due = dict(_pending(db, 3002))
        # Before leaving: 09:00 in Tokyo. After: 09:00 in New York (14:00 UTC), which is 23:00 in Tokyo and
        # would sit in Tokyo's quiet hours.
        assert due["2026-12-14"] == epoch(datetime(2026, 12, 14, 0, 0, tzinfo=UTC))
        assert due["2027-01-22"] == epoch(datetime(2027, 1, 22, 14, 0, tzinfo=UTC))
        clock.set(datetime(2027, 1, 22, 14, 0, tzinfo=UTC))
        report = await dispatcher_of(app).run()
        assert report.sent >= 1
        assert report.deferred == 0
        # Quiet hours after departure are New York's: 03:00 there is deferred to 08:00 there.
        with sqlite3.connect(db) as conn:
            conn.execute(
                "UPDATE reminders SET due_at = ? WHERE user_id = 3002 AND item_id = '2027-02-01' AND status = 'pending'",
                (epoch(datetime(2027, 2, 1, 8, 0, tzinfo=UTC)),),
            )
        clock.set(datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
        report = await dispatcher_of(app).run()
        assert (report.sent, report.deferred) == (0, 1)
        assert dict(_pending(db, 3002))["2027-02-01"] == epoch(datetime(2027, 2, 1, 13, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("language", "locale", "text", "when"),
    [
        ("en", "en", "tomorrow 8pm", "2026-12-02 20:00"),
        ("zh-hans", "zh-Hans", "明天上午9点", "2026-12-02 09:00"),
        ("ja", "ja", "3月15日 10時", "2027-03-15 10:00"),
    ],
)
async def test_remind_me_reads_a_typed_time_and_shows_it(
    standin: StandIn, db: Path, language: str, locale: str, text: str, when: str
) -> None:
    content = shared_content()
    clock = ManualClock(NOON_JST)
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, SimUser(3003, language_code=language))
        await _leaving_docomo_in(chat, locale)
        await chat.click(content.text("btn_remind", locale))
        assert content.text("remind_type_hint", locale) in chat.last["text"]
        await chat.send("banana")
        assert chat.last["text"] == content.text("date_unreadable", locale, text="banana")
        await chat.send(text)
        assert chat.last["text"] == content.text("remind_set", locale, when=when, tz="Asia/Tokyo")
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT kind FROM reminders WHERE user_id = 3003 AND kind = 'user'").fetchall()
        assert rows == [("user",)]
        # The picker has its reminder: the same text again is not read as a second one.
        await chat.send(text)
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM reminders WHERE user_id = 3003 AND kind = 'user'").fetchone() == (
                1,
            )


async def _leaving_docomo_in(chat: Chat, locale: str) -> None:
    content = shared_content()
    await chat.send("/start")
    await chat.click(content.providers["docomo"].name[locale])
    for key in ("sim_esim", "channel_online", "goal_cancel", "stay_leaving"):
        await chat.click(content.text(key, locale))
