"""A reminder message and its buttons: Done for an item, Snooze, Stop. The message may be tapped days later,
so each button names its reminder and is checked against the user's rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot import schedule
from bot.context import Services
from bot.reminders import schedule_reminder
from bot.screens import Screen
from bot.storage.base import ChecklistItem, Reminder, UserSettings
from content import Content
from conversations import plan_views as pv
from conversations import reminder_views as rv
from conversations.checklist import item_title
from conversations.lasting import lasting_button, settings_of
from conversations.plan import PLAN
from conversations.turn import Turn
from conversations.views import notice


def _plan_day(
    content: Content, settings: UserSettings, reminder: Reminder, key: str | None, items: list[ChecklistItem]
) -> set[str]:
    """The open items the plan dates on a plan reminder's day (under the current departure date)."""
    plan = pv.plan_of(content, key, items, {})
    try:
        day = date.fromisoformat(reminder.item_id or "")
    except ValueError:
        return set()
    return pv.open_on(content, plan, settings.departure, day) if plan and settings.departure else set()


def reminder_screen(
    content: Content, settings: UserSettings, reminder: Reminder, key: str | None, items: list[ChecklistItem]
) -> Screen | None:
    """The still-open items (or the one item, or a plan day's items) a reminder is about; None when nothing is
    open."""
    if reminder.kind == PLAN:
        day_items = _plan_day(content, settings, reminder, key, items)
        still_open = [i for i in rv.open_items(items) if i.item_id in day_items]
        reminder = replace(reminder, item_id=None)  # its item_id is the day; Stop stops the plan's reminders
    else:
        still_open = [i for i in rv.open_items(items) if reminder.item_id in (None, i.item_id)]
    return rv.reminder_message(content, settings, reminder, key, still_open) if still_open else None


async def render_reminder(services: Services, settings: UserSettings, reminder: Reminder) -> Screen | None:
    """What the dispatcher sends. It reads committed rows only, so a checklist being replaced in another
    update is seen either before or after, never half-written."""
    key, items = await services.storage.read_checklist(reminder.user_id)
    return reminder_screen(services.content, settings, reminder, key, items)


async def _own(turn: Turn) -> tuple[Reminder, str] | None:
    """The user's reminder a button refers to, and the rest of its argument."""
    head, _, rest = turn.button.arg.partition("-")
    reminder = await turn.tx.reminder(int(head)) if head.isdigit() and len(head) < 19 else None
    return (reminder, rest) if reminder is not None else None


@lasting_button
async def reminder_done(turn: Turn) -> None:
    owned = await _own(turn)
    if owned is None or not await turn.tx.set_item(owned[1], done=True):
        turn.refuse()
        return
    reminder, item_id = owned
    turn.answer("item_ticked", item=item_title(turn, item_id))
    key, items = await turn.tx.checklist()
    screen = reminder_screen(turn.content, await settings_of(turn), reminder, key, items)
    turn.edit_tapped(screen or notice(turn.content, turn.locale, "remind_nothing_open"))


@lasting_button
async def snooze(turn: Turn) -> None:
    """One snooze per reminder message: its key names the reminder, so a second tap schedules nothing."""
    owned = await _own(turn)
    if owned is None or owned[1] not in ("1h", "tm"):
        turn.refuse()
        return
    reminder, how = owned
    settings = await settings_of(turn)
    now = turn.services.clock.now()
    due = now + schedule.SNOOZES["1h"] if how == "1h" else schedule.preset_due("tm", now, settings)
    assert due is not None
    key = f"s:{reminder.id}"
    when = await schedule_reminder(turn.tx, settings, due, kind=reminder.kind, item_id=reminder.item_id, key=key)
    if when is None:
        turn.answer("remind_exists")
        return
    turn.edit_tapped(notice(turn.content, turn.locale, "snoozed", when=schedule.format_local(when, settings)))


@lasting_button
async def stop(turn: Turn) -> None:
    owned = await _own(turn)
    if owned is None:
        turn.refuse()
        return
    reminder, item_id = owned
    if item_id:
        if not await turn.tx.set_item(item_id, muted=True):
            turn.refuse()
            return
    else:
        await turn.tx.cancel_reminders(kind=reminder.kind)
    turn.edit_tapped(notice(turn.content, turn.locale, "stopped"))
