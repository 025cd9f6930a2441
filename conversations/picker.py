"""Asking for a reminder: Remind me opens a picker (presets, a calendar); the picker's number is in each of
its buttons, and a picker sets at most one reminder, so tapping a preset twice schedules it once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot import schedule, typed_dates
from bot.reminders import schedule_reminder
from bot.storage.base import UserSettings
from conversations import plan
from conversations import reminder_views as rv
from conversations.flow import TYPED_TIME_KEY, base36
from conversations.lasting import lasting_button, settings_of
from conversations.turn import Turn
from conversations.views import notice

USER = "user"
PICKER_KEY = "picker"  # the number of the newest picker
TYPED_KEY = TYPED_TIME_KEY


@lasting_button
async def remind_me(turn: Turn) -> None:
    _, items = await turn.tx.checklist()
    if not items:
        turn.answer("remind_no_checklist", alert=True)
        return
    if not rv.open_items(items):
        turn.answer("remind_nothing_open", alert=True)
        return
    if not turn.once("picker"):
        return  # a double tap: the picker is already there
    number = int(turn.record.get(PICKER_KEY, 0)) + 1
    turn.record[PICKER_KEY] = number
    turn.record[TYPED_KEY] = number
    settings = await settings_of(turn)
    turn.send_opened(rv.remind_picker(turn.content, turn.locale, settings, turn.services.clock.now(), base36(number)))


def _picker(turn: Turn) -> str | None:
    """The picker a button belongs to, if the user has had one with that number."""
    token = turn.button.token
    newest = int(turn.record.get(PICKER_KEY, 0))
    try:
        number = int(token, 36)
    except ValueError:
        return None
    return token if 0 < number <= newest else None


async def _confirm(turn: Turn, settings: UserSettings, due: datetime, picker: str) -> None:
    key = f"u:{settings.user_id}:p{picker}"
    if turn.record.get(TYPED_KEY) == int(picker, 36):
        turn.record.pop(TYPED_KEY)  # this picker's reminder is set: typed text means something else again
    when = await schedule_reminder(turn.tx, settings, due, kind=USER, item_id=None, key=key)
    if when is None:
        turn.answer("remind_exists")  # a second tap on this picker: its reminder is already set
        return
    turn.edit_tapped(
        notice(
            turn.content, turn.locale, "remind_set", when=schedule.format_local(when, settings), tz=settings.timezone
        )
    )


async def typed_time(turn: Turn, text: str) -> bool:
    """A typed time ("tomorrow 8pm", "明天上午9点", "3月15日 10時") for the open picker; False when no picker
    waits for one. The confirmation shows the time as read, in the user's zone, after quiet hours."""
    number = turn.record.get(TYPED_KEY)
    if not isinstance(number, int):
        return False
    settings = await settings_of(turn)
    now = turn.services.clock.now()
    result = typed_dates.parse(text, turn.locale, now, settings.timezone)
    if isinstance(result, typed_dates.Refusal):
        typed = typed_dates.read(text, turn.locale, now, settings.timezone)
        values = {"date": typed.day.isoformat()} if typed else {"text": text[:40]}
        turn.say(f"date_{result.value}", **values)
        return True
    due = max(result.moment(settings.timezone, schedule.MORNING), now)
    await _confirm(turn, settings, due, base36(number))
    return True


@lasting_button
async def choose_preset(turn: Turn) -> None:
    callback, picker = turn.button, _picker(turn)
    settings = await settings_of(turn)
    now = turn.services.clock.now()
    arg = callback.arg
    due = schedule.preset_due(arg, now, settings) if arg in schedule.PRESETS else None
    if due is None or picker is None:
        turn.refuse()
        return
    await _confirm(turn, settings, due, picker)


def _month(arg: str, today: date) -> date | None:
    try:
        month = datetime.strptime(arg, "%Y%m").date()
    except ValueError:
        return None
    first = today.replace(day=1)
    return month if first <= month <= first + timedelta(days=31 * rv.MONTHS_AHEAD) else None


def _purpose_ok(turn: Turn, purpose: str) -> bool:
    """r (a reminder date) belongs to a picker; d (the departure date) to /settings, p to the plan."""
    token = turn.button.token
    return (purpose == "r" and _picker(turn) is not None) or (purpose in ("d", "p") and not token)


@lasting_button
async def show_calendar(turn: Turn) -> None:
    callback = turn.button
    settings = await settings_of(turn)
    today = schedule.local_today(turn.services.clock.now(), settings)
    purpose, arg = callback.arg[:1], callback.arg[1:]
    month = _month(arg, today) if arg else today.replace(day=1)
    if not _purpose_ok(turn, purpose) or month is None:
        turn.refuse()
        return
    turn.edit_tapped(rv.calendar_screen(turn.content, turn.locale, purpose, month, today, callback.token))


@lasting_button
async def choose_day(turn: Turn) -> None:
    callback = turn.button
    settings = await settings_of(turn)
    now = turn.services.clock.now()
    today = schedule.local_today(now, settings)
    try:
        day: date | None = datetime.strptime(callback.arg[1:], "%Y%m%d").date()
    except ValueError:
        day = None
    purpose = callback.arg[:1]
    if day is None or day < today or _month(f"{day:%Y%m}", today) is None or not _purpose_ok(turn, purpose):
        turn.refuse()
        return
    if purpose in ("d", "p"):
        await plan.set_departure(turn, settings, day)
        turn.answer("settings_saved")
        if purpose == "d":
            turn.edit_tapped(rv.settings_screen(turn.content, turn.locale, settings))
        else:
            await plan.show_plan(turn, settings, edit=True)
        return
    due = max(schedule.at_local(day, schedule.MORNING, settings), now)
    await _confirm(turn, settings, due, callback.token)
