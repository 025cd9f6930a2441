"""Taps that count once: every button pressed twice at the same moment (two updates handled concurrently
by the real Application) and the first press delivered again, as Telegram does after a crash. Each has
exactly one effect, no handler raises, and no Bot API call is refused (a "not modified" edit included)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.context import AppContext, AppType
from bot.reminders import dispatcher_of
from bot.standin import SimUser, StandIn
from tests.harness import Chat, running_bot, shared_content

NOON_JST = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def ui(key: str, **values: object) -> str:
    return shared_content().text(key, "en", **values)


def rows(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def pending(db: Path, user: int) -> int:
    ((count,),) = rows(db, "SELECT count(*) FROM reminders WHERE user_id = ? AND status = 'pending'", user)
    return int(str(count))


@pytest.fixture
async def bot(standin: StandIn, db: Path) -> AsyncIterator[AppType]:
    errors: list[BaseException] = []

    async def record(update: object, context: AppContext) -> None:
        if context.error is not None:
            errors.append(context.error)

    async with running_bot(standin, db, clock=ManualClock(NOON_JST), bot_reminder_interval=3600.0) as app:
        app.add_error_handler(record)
        yield app
    assert not errors, errors
    # Every call was accepted, but answers to a re-delivered query (Telegram: too old) and edits of a message
    # another copy of the tap had already edited.
    refused = [
        (c.method, c.result)
        for c in standin.calls
        if not c.ok and c.method != "answerCallbackQuery" and "not modified" not in str(c.result)
    ]
    assert not refused, refused


async def to_steps(chat: Chat) -> None:
    await chat.send("/start docomo-e-on-cl")


async def test_flow_buttons_twice(standin: StandIn, bot: AppType, db: Path) -> None:
    chat = Chat(standin, bot, SimUser(5001))
    await chat.send("/start")
    menu = chat.screen
    await chat.tap_twice("NTT docomo", menu)
    assert ui("ask_sim") in chat.screen["text"]
    assert len(chat.labels()) > 1, "the keyboard was reduced to Start over"
    await chat.tap_twice(ui("sim_esim"))
    await chat.tap_twice(ui("channel_online"))
    assert ui("ask_goal") in chat.screen["text"]
    await chat.tap_twice(ui("btn_back"))  # back to the channel question, not two questions back
    assert ui("ask_channel", provider="NTT docomo") in chat.screen["text"]
    await chat.click(ui("channel_online"))
    await chat.click(ui("goal_cancel"))
    await chat.click(ui("stay_leaving"))
    await chat.tap_twice(ui("btn_next"))  # step 2, not 3
    assert "Step 2 of" in chat.screen["text"]
    await chat.tap_twice(ui("btn_mark_done"))  # marked, not marked and unmarked
    assert ui("step_done_mark") in chat.screen["text"]
    record = rows(db, "SELECT data FROM flow_records WHERE user_id = 5001")[0][0]
    assert '"done":["' in str(record)


async def test_long_lived_buttons_twice(standin: StandIn, bot: AppType, db: Path) -> None:
    user = 5002
    chat = Chat(standin, bot, SimUser(user))
    await to_steps(chat)
    step = chat.screen
    # Remind me twice: one picker.
    sent = len(standin.bot_messages(user))
    await chat.tap_twice(ui("btn_remind"), step)
    assert len(standin.bot_messages(user)) == sent + 1
    picker = chat.last
    # A preset twice: one reminder.
    await chat.tap_twice(ui("preset_3h"), picker)
    assert pending(db, user) == 1
    # A calendar day twice on a new picker: one more reminder.
    await chat.click(ui("btn_remind"), step)
    picker = chat.last
    await chat.click(ui("preset_cal"), picker)
    await chat.tap_twice("15", standin.messages[(user, picker["message_id"])])
    assert pending(db, user) == 2
    # A box on the /checklist message twice: ticked.
    await chat.send("/checklist")
    checklist = chat.last
    first_box = next(label for label in chat.labels(checklist) if label.startswith("☐"))
    await chat.tap_twice(first_box, checklist)
    assert rows(db, "SELECT count(*) FROM checklist_items WHERE user_id = ? AND done", user) == [(1,)]
    assert "☑" + first_box[1:] in chat.labels(standin.messages[(user, checklist["message_id"])])
    # /settings: a time zone twice: set.
    await chat.send("/settings")
    menu = chat.last
    await chat.click(ui("btn_tz"), menu)
    await chat.tap_twice("Asia/Shanghai", standin.messages[(user, menu["message_id"])])
    assert rows(db, "SELECT timezone FROM user_settings WHERE user_id = ?", user) == [("Asia/Shanghai",)]
    # /reminders: Cancel twice: cancelled, the other one untouched.
    await chat.send("/reminders")
    listing = chat.last
    cancel = chat.labels(listing)[0]
    await chat.tap_twice(cancel, listing)
    assert pending(db, user) == 1


async def test_reminder_buttons_twice(standin: StandIn, bot: AppType, db: Path) -> None:
    user = 5003
    chat = Chat(standin, bot, SimUser(user))
    await to_steps(chat)
    await chat.click(ui("btn_remind"))
    await chat.click(ui("preset_3h"), message=chat.last)
    clock = bot.bot_data["services"].clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(hours=3))
    assert (await dispatcher_of(bot).run()).sent == 1
    reminder = chat.last
    # Snooze twice: one new reminder.
    await chat.tap_twice(ui("btn_snooze_1h"), reminder)
    assert pending(db, user) == 1
    # Done for an item twice (on a second reminder): the item ticked, once.
    clock.advance(timedelta(hours=2))
    assert (await dispatcher_of(bot).run()).sent == 1
    reminder = chat.last
    done = next(label for label in chat.labels(reminder) if label.startswith("✓"))
    await chat.tap_twice(done, reminder)
    assert rows(db, "SELECT count(*) FROM checklist_items WHERE user_id = ? AND done", user) == [(1,)]


async def test_delete_twice(standin: StandIn, bot: AppType, db: Path) -> None:
    other = Chat(standin, bot, SimUser(5005))
    await to_steps(other)
    chat = Chat(standin, bot, SimUser(5004))
    await to_steps(chat)
    await chat.send("/deletemydata")
    prompt = chat.last
    await chat.tap_twice(ui("btn_delete_yes"), prompt)
    assert standin.messages[(5004, prompt["message_id"])]["text"] == ui("deleted")
    for table in ("flow_records", "checklists", "checklist_items", "reminders", "user_settings"):
        assert rows(db, f"SELECT count(*) FROM {table} WHERE user_id = 5004") == [(0,)], table
    assert rows(db, "SELECT count(*) FROM flow_records WHERE user_id = 5005") == [(1,)]
    assert rows(db, "SELECT count(*) FROM checklist_items WHERE user_id = 5005")[0][0] != 0
