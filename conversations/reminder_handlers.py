"""Checklist, reminders, settings and /deletemydata. Their buttons sit on long-lived messages (a reminder
may be tapped days later), so they are validated against the database, not against the live screen.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from telegram import Update
from telegram.ext import ConversationHandler

from bot import schedule
from bot.context import AppContext, Services
from bot.reminders import schedule_reminder, user_settings
from bot.screens import Screen, redraw
from bot.storage.base import ChecklistItem, Reminder, UserSettings
from conversations import flow
from conversations import reminder_views as rv
from conversations.callbacks import Callback, decode
from conversations.common import chat_id, locale, user_id
from conversations.views import notice

FOLLOW_UP = "follow_up"
USER = "user"


async def _settings(update: Update, context: AppContext) -> UserSettings:
    services = context.services
    return await user_settings(
        services.storage, user_id(update), chat_id(update), locale(update, context), services.settings.bot_timezone
    )


async def _edit(update: Update, screen: Screen) -> None:
    query = update.callback_query
    assert query is not None
    await redraw(query, chat_id(update), screen)


async def _reply(update: Update, screen: Screen) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(screen.text, reply_markup=screen.keyboard)


async def _refuse(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(context.content.text("expired_button", locale(update, context)))


def _callback(update: Update) -> Callback | None:
    query = update.callback_query
    return decode(query.data) if query is not None else None


# -- the checklist follows the procedure the user is looking at --


async def sync_checklist(update: Update, context: AppContext) -> None:
    """On reaching a procedure's steps, its outstanding items become the user's checklist."""
    sel = flow.answers(context.ud)
    proc = flow.procedure_of(context.content, sel)
    if proc is None:
        return
    key = rv.checklist_key(sel["provider"], proc.id, sel["sim"])
    storage = context.services.storage
    current, _ = await storage.get_checklist(user_id(update))
    if current == key:
        return
    await storage.cancel_reminders(user_id(update), kind=FOLLOW_UP)  # they belonged to the old procedure
    await storage.replace_checklist(user_id(update), key, proc.items_for(sel))


async def schedule_follow_ups(update: Update, context: AppContext) -> None:
    """At the summary, the catalogue's automatic follow-ups (e.g. check the last bill next month)."""
    services = context.services
    _, items = await services.storage.get_checklist(user_id(update))
    settings: UserSettings | None = None
    for item in rv.open_items(items):
        days = context.content.catalogue.items[item.item_id].follow_up_days
        if days is None:
            continue
        settings = settings or await _settings(update, context)
        due = schedule.follow_up_due(services.clock.now(), days, settings)
        key = f"fu:{settings.user_id}:{item.item_id}"
        await schedule_reminder(services.storage, settings, due, kind=FOLLOW_UP, item_id=item.item_id, key=key)


async def checklist_of(update: Update, context: AppContext) -> dict[str, ChecklistItem]:
    _, items = await context.services.storage.get_checklist(user_id(update))
    return {i.item_id: i for i in items}


async def checklist_command(update: Update, context: AppContext) -> None:
    key, items = await context.services.storage.get_checklist(user_id(update))
    loc = locale(update, context)
    if key is None:
        await _reply(update, notice(context.content, loc, "remind_no_checklist"))
        return
    await _reply(update, rv.checklist_screen(context.content, loc, key, items))


async def checklist_button(update: Update, context: AppContext) -> None:
    """The Checklist button on a step: the same message as /checklist, where items are ticked off."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await checklist_command(update, context)


async def toggle_item(update: Update, context: AppContext) -> bool:
    """Tick an item off or undo it; returns False (and says so) when the user has no such item."""
    callback = _callback(update)
    items = await checklist_of(update, context)
    if callback is None or callback.arg not in items:
        await _refuse(update, context)
        return False
    done = not items[callback.arg].done
    await context.services.storage.set_item(user_id(update), callback.arg, done=done)
    query = update.callback_query
    assert query is not None
    loc = locale(update, context)
    title = rv.item_title(context.content, callback.arg, loc)
    await query.answer(context.content.text("item_ticked", loc, item=title) if done else None)
    return True


async def checklist_toggle(update: Update, context: AppContext) -> None:
    """A tap on the /checklist message: toggle, then redraw that message."""
    if await toggle_item(update, context):
        key, items = await context.services.storage.get_checklist(user_id(update))
        await _edit(update, rv.checklist_screen(context.content, locale(update, context), key, items))


# -- asking for a reminder --


async def remind_me(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None
    loc = locale(update, context)
    _, items = await context.services.storage.get_checklist(user_id(update))
    if not items:
        await query.answer(context.content.text("remind_no_checklist", loc), show_alert=True)
        return
    if not rv.open_items(items):
        await query.answer(context.content.text("remind_nothing_open", loc), show_alert=True)
        return
    await query.answer()
    settings = await _settings(update, context)
    picker = rv.remind_picker(context.content, loc, settings, context.services.clock.now())
    await context.bot.send_message(chat_id(update), picker.text, reply_markup=picker.keyboard)


async def _confirm(update: Update, context: AppContext, settings: UserSettings, due: datetime, key: str) -> None:
    services = context.services
    when = await schedule_reminder(services.storage, settings, due, kind=USER, item_id=None, key=key)
    loc = locale(update, context)
    query = update.callback_query
    assert query is not None
    await query.answer()
    if when is None:
        await _edit(update, notice(context.content, loc, "remind_exists"))
        return
    shown = schedule.format_local(when, settings)
    await _edit(update, notice(context.content, loc, "remind_set", when=shown, tz=settings.timezone))


async def choose_preset(update: Update, context: AppContext) -> None:
    callback = _callback(update)
    settings = await _settings(update, context)
    now = context.services.clock.now()
    due = schedule.preset_due(callback.arg, now, settings) if callback and callback.arg in schedule.PRESETS else None
    if due is None:
        await _refuse(update, context)
        return
    await _confirm(update, context, settings, due, f"u:{settings.user_id}:{schedule.epoch(due)}")


def _month(arg: str, today: date) -> date | None:
    try:
        month = datetime.strptime(arg, "%Y%m").date()
    except ValueError:
        return None
    first = today.replace(day=1)
    return month if first <= month <= first + timedelta(days=31 * rv.MONTHS_AHEAD) else None


async def show_calendar(update: Update, context: AppContext) -> None:
    callback = _callback(update)
    settings = await _settings(update, context)
    today = schedule.local_today(context.services.clock.now(), settings)
    purpose, arg = (callback.arg[:1], callback.arg[1:]) if callback else ("", "")
    month = _month(arg, today) if arg else today.replace(day=1)
    if purpose not in ("r", "d") or month is None:
        await _refuse(update, context)
        return
    query = update.callback_query
    assert query is not None
    await query.answer()
    await _edit(update, rv.calendar_screen(context.content, locale(update, context), purpose, month, today))


async def choose_day(update: Update, context: AppContext) -> None:
    callback = _callback(update)
    settings = await _settings(update, context)
    now = context.services.clock.now()
    today = schedule.local_today(now, settings)
    try:
        day = datetime.strptime(callback.arg[1:], "%Y%m%d").date() if callback else None
    except ValueError:
        day = None
    purpose = callback.arg[:1] if callback else ""
    if day is None or day < today or _month(f"{day:%Y%m}", today) is None or purpose not in ("r", "d"):
        await _refuse(update, context)
        return
    if purpose == "d":
        settings.departure = day
        await context.services.storage.save_settings(settings)
        query = update.callback_query
        assert query is not None
        await query.answer(context.content.text("settings_saved", locale(update, context)))
        await _edit(update, rv.settings_screen(context.content, locale(update, context), settings))
        return
    due = max(schedule.at_local(day, schedule.MORNING, settings), now)
    await _confirm(update, context, settings, due, f"u:{settings.user_id}:{schedule.epoch(due)}")


# -- buttons on a reminder message --


async def _own_reminder(update: Update, context: AppContext) -> tuple[Reminder, str] | None:
    """The reminder a button refers to, if it belongs to this user; and the rest of the argument."""
    callback = _callback(update)
    if callback is None:
        return None
    head, _, rest = callback.arg.partition("-")
    if not head.isdigit():
        return None
    reminder = await context.services.storage.get_reminder(int(head))
    if reminder is None or reminder.user_id != user_id(update):
        return None
    return reminder, rest


async def render_reminder(services: Services, settings: UserSettings, reminder: Reminder) -> Screen | None:
    """What the dispatcher sends: the still-open items (or the one item), None when nothing is open."""
    key, items = await services.storage.get_checklist(reminder.user_id)
    still_open = [i for i in rv.open_items(items) if reminder.item_id in (None, i.item_id)]
    if not still_open:
        return None
    return rv.reminder_message(services.content, settings, reminder, key, still_open)


async def reminder_done(update: Update, context: AppContext) -> None:
    owned = await _own_reminder(update, context)
    items = await checklist_of(update, context)
    if owned is None or owned[1] not in items:
        await _refuse(update, context)
        return
    reminder, item_id = owned
    await context.services.storage.set_item(reminder.user_id, item_id, done=True)
    loc = locale(update, context)
    query = update.callback_query
    assert query is not None
    await query.answer(context.content.text("item_ticked", loc, item=rv.item_title(context.content, item_id, loc)))
    settings = await _settings(update, context)
    rendered = await render_reminder(context.services, settings, reminder)
    if rendered is None:
        await _edit(update, notice(context.content, loc, "remind_nothing_open"))
    else:
        await _edit(update, rendered)


async def snooze(update: Update, context: AppContext) -> None:
    owned = await _own_reminder(update, context)
    if owned is None or owned[1] not in ("1h", "tm"):
        await _refuse(update, context)
        return
    reminder, how = owned
    settings = await _settings(update, context)
    now = context.services.clock.now()
    due = now + schedule.SNOOZES["1h"] if how == "1h" else schedule.preset_due("tm", now, settings)
    assert due is not None
    when = await schedule_reminder(
        context.services.storage,
        settings,
        due,
        kind=reminder.kind,
        item_id=reminder.item_id,
        key=f"s:{reminder.id}:{schedule.epoch(due)}",
    )
    query = update.callback_query
    assert query is not None
    await query.answer()
    shown = schedule.format_local(when or schedule.after_quiet_hours(due, settings), settings)
    await _edit(update, notice(context.content, locale(update, context), "snoozed", when=shown))


async def stop(update: Update, context: AppContext) -> None:
    owned = await _own_reminder(update, context)
    if owned is None:
        await _refuse(update, context)
        return
    reminder, item_id = owned
    storage = context.services.storage
    if item_id:
        if not await storage.set_item(reminder.user_id, item_id, muted=True):
            await _refuse(update, context)
            return
    else:
        await storage.cancel_reminders(reminder.user_id, kind=USER)
    query = update.callback_query
    assert query is not None
    await query.answer()
    await _edit(update, notice(context.content, locale(update, context), "stopped"))


# -- /reminders --


async def reminders_command(update: Update, context: AppContext) -> None:
    settings = await _settings(update, context)
    pending = await context.services.storage.user_reminders(settings.user_id)
    await _reply(update, rv.reminders_screen(context.content, locale(update, context), settings, pending))


async def cancel_reminder(update: Update, context: AppContext) -> None:
    owned = await _own_reminder(update, context)
    if owned is None or owned[0].status not in ("pending", "paused"):
        await _refuse(update, context)
        return
    storage = context.services.storage
    await storage.set_reminder_status(owned[0].id, "cancelled")
    loc = locale(update, context)
    query = update.callback_query
    assert query is not None
    await query.answer(context.content.text("reminder_cancelled", loc))
    settings = await _settings(update, context)
    await _edit(
        update, rv.reminders_screen(context.content, loc, settings, await storage.user_reminders(settings.user_id))
    )


# -- /settings --


async def settings_command(update: Update, context: AppContext) -> None:
    settings = await _settings(update, context)
    await _reply(update, rv.settings_screen(context.content, locale(update, context), settings))


async def settings_menu(update: Update, context: AppContext) -> None:
    callback = _callback(update)
    settings = await _settings(update, context)
    loc = locale(update, context)
    today = schedule.local_today(context.services.clock.now(), settings)
    screens = {
        "tz": lambda: rv.timezone_screen(context.content, loc),
        "quiet": lambda: rv.quiet_screen(context.content, loc),
        "dep": lambda: rv.calendar_screen(context.content, loc, "d", today.replace(day=1), today),
        "menu": lambda: rv.settings_screen(context.content, loc, settings),
    }
    arg = callback.arg if callback else ""
    if arg == "clear":
        settings.departure = None
        await context.services.storage.save_settings(settings)
        arg = "menu"
    if arg not in screens:
        await _refuse(update, context)
        return
    query = update.callback_query
    assert query is not None
    await query.answer()
    await _edit(update, screens[arg]())


async def choose_timezone(update: Update, context: AppContext) -> None:
    callback = _callback(update)
    index = callback.index() if callback else None
    if index is None or index >= len(schedule.TIMEZONES):
        await _refuse(update, context)
        return
    settings = await _settings(update, context)
    settings.timezone = schedule.TIMEZONES[index]
    await _save_and_show(update, context, settings)


async def choose_quiet(update: Update, context: AppContext) -> None:
    callback = _callback(update)
    choices = {f"{s}-{e}": (s, e) for s, e in schedule.QUIET_CHOICES}
    if callback is None or callback.arg not in choices:
        await _refuse(update, context)
        return
    settings = await _settings(update, context)
    settings.quiet_start, settings.quiet_end = choices[callback.arg]
    await _save_and_show(update, context, settings)


async def _save_and_show(update: Update, context: AppContext, settings: UserSettings) -> None:
    await context.services.storage.save_settings(settings)
    loc = locale(update, context)
    query = update.callback_query
    assert query is not None
    await query.answer(context.content.text("settings_saved", loc))
    await _edit(update, rv.settings_screen(context.content, loc, settings))


# -- /deletemydata --


async def delete_command(update: Update, context: AppContext) -> None:
    await _reply(update, rv.delete_screen(context.content, locale(update, context)))


async def delete_confirmed(update: Update, context: AppContext) -> int | None:
    """Erase every row of this user and their in-memory state; ends the conversation (an entry point)."""
    callback = _callback(update)
    query = update.callback_query
    assert query is not None
    loc = locale(update, context)
    if callback is None or callback.arg not in ("yes", "no"):
        await _refuse(update, context)
        return None
    await query.answer()
    if callback.arg == "no":
        await _edit(update, notice(context.content, loc, "delete_kept"))
        return None
    uid = user_id(update)
    await context.services.storage.erase_user(uid)
    context.application.drop_user_data(uid)
    await _edit(update, notice(context.content, loc, "deleted"))
    return ConversationHandler.END


async def sync_locale(update: Update, context: AppContext) -> None:
    """Reminders are written in the user's language: keep the stored copy in step with /language."""
    settings = await context.services.storage.get_settings(user_id(update))
    if settings is not None:
        await _settings(update, context)


async def resume_if_blocked(update: Update, context: AppContext) -> None:
    """A user who had blocked the bot writes again: their paused reminders go out again."""
    user = update.effective_user
    if user is None:
        return
    settings = await context.services.storage.get_settings(user.id)
    if settings is not None and settings.blocked:
        await context.services.storage.resume_user_reminders(user.id, schedule.epoch(context.services.clock.now()))
