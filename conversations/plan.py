"""The departure plan: asking for the departure date (a calendar or a typed date, skippable), the dated
timeline (/plan, the summary's Plan button), ticking items on it in place, its reminders (one per day with open
items, in the zone the user is in that day) and the calendar export.

The record's `awaiting` key says what typed text answers: the departure date, or the place after leaving.
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import date, datetime

from telegram import InputFile, Update
from telegram.error import TelegramError

from bot import schedule, typed_dates
from bot.context import AppContext
from bot.reminders import schedule_reminder
from bot.storage.base import UserSettings
from conversations import flow
from conversations import plan_views as pv
from conversations import reminder_views as rv
from conversations.lasting import lasting_button, settings_of
from conversations.live import has_flow, show_flow
from conversations.locale import user_locale
from conversations.plan_ics import plan_calendar
from conversations.turn import SCREEN_KEY, Turn, on_update
from conversations.views import DATE_FORMAT, notice

log = logging.getLogger(__name__)
PLAN = "plan"  # the reminders' kind; their item_id holds the day (ISO) they are about
AWAITING_KEY, DEPARTURE, ABROAD = flow.AWAITING_KEY, flow.AWAITING_DEPARTURE, flow.AWAITING_ABROAD


async def _plan(turn: Turn) -> pv.PlanOf | None:
    key, items = await turn.tx.checklist()
    return pv.plan_of(turn.content, key, items, flow.answers(dict(turn.record)))


def _today(turn: Turn, settings: UserSettings) -> date:
    return schedule.local_today(turn.services.clock.now(), settings)


def _await(turn: Turn, what: str) -> None:
    """Typed text answers this question now, not an older reminder picker."""
    turn.record[AWAITING_KEY] = what
    turn.record.pop(flow.TYPED_TIME_KEY, None)


def ask_departure(turn: Turn, settings: UserSettings, *, edit: bool = False) -> None:
    """The departure question: a calendar from this month, a Skip button; typed dates are read meanwhile."""
    today = _today(turn, settings)
    _await(turn, DEPARTURE)
    screen = rv.calendar_screen(turn.content, turn.locale, "p", today.replace(day=1), today)
    if edit:
        turn.edit_tapped(screen)
    else:
        turn.send(screen)


async def ask_when_leaving(turn: Turn) -> None:
    """The user just answered that they are leaving Japan: unless the date is known, the step screens ask for
    it (a button that opens the calendar) and typed dates are read as it, until it is given or skipped."""
    settings = await turn.tx.settings()
    if settings is None or settings.departure is None:
        turn.record[AWAITING_KEY] = DEPARTURE


async def sync_reminders(turn: Turn, settings: UserSettings) -> None:
    """One reminder per day with open items, from today on. Pending plan reminders are replaced as a whole, so
    a changed date moves them; the key (user, day) keeps one pending reminder per day, however often this
    runs in one unit."""
    await turn.tx.cancel_reminders(kind=PLAN)
    plan = await _plan(turn)
    if plan is None or settings.departure is None:
        return
    today, now = _today(turn, settings), turn.services.clock.now()
    still = {i.item_id for i in rv.open_items(plan.items)}
    days = sorted(
        {e.day for e in plan.entries(turn.content, settings.departure) if e.kind == "item" and e.ref in still}
    )
    for day in days:
        if day < today:
            continue
        due = max(schedule.plan_due(day, settings), now)
        await schedule_reminder(
            turn.tx, settings, due, kind=PLAN, item_id=day.isoformat(), key=f"plan:{turn.user_id}:{day}"
        )


async def show_plan(turn: Turn, settings: UserSettings, *, edit: bool) -> None:
    plan = await _plan(turn)
    if plan is None:
        screen = notice(turn.content, turn.locale, "plan_no_checklist")
    elif settings.departure is None:
        ask_departure(turn, settings, edit=edit)
        return
    else:
        screen = pv.plan_screen(turn.content, turn.locale, settings, plan, _today(turn, settings))
    if edit:
        turn.edit_tapped(screen)
    else:
        turn.send(screen)


async def _refresh_flow(turn: Turn) -> None:
    """The step screen asked for the date while it was unknown: redraw it without the question."""
    if has_flow(turn) and turn.record.get(SCREEN_KEY):
        await show_flow(turn)


async def set_departure(turn: Turn, settings: UserSettings, day: date) -> None:
    """Store the date, move the plan's reminders, and stop reading typed text as a date."""
    settings.departure = day
    await turn.tx.save_settings(settings)
    asked = turn.record.pop(AWAITING_KEY, None) == DEPARTURE
    await sync_reminders(turn, settings)
    if asked:
        await _refresh_flow(turn)


@on_update
async def plan_command(turn: Turn) -> None:
    settings = await settings_of(turn)
    if await _plan(turn) is None:
        turn.say("plan_no_checklist")
        return
    await show_plan(turn, settings, edit=False)


@lasting_button
async def plan_button(turn: Turn) -> None:
    """open (the summary's Plan, once per tap), show, dep (change the date), tz (where after), skip."""
    arg = turn.button.arg
    settings = await settings_of(turn)
    if arg == "open":
        if turn.once("plan"):
            plan = await _plan(turn)
            if plan is not None and settings.departure is not None:
                turn.send_opened(pv.plan_screen(turn.content, turn.locale, settings, plan, _today(turn, settings)))
            else:
                _await(turn, DEPARTURE)
                today = _today(turn, settings)
                turn.send_opened(rv.calendar_screen(turn.content, turn.locale, "p", today.replace(day=1), today))
    elif arg == "show":
        await show_plan(turn, settings, edit=True)
    elif arg == "dep":
        ask_departure(turn, settings, edit=True)
    elif arg == "tz" and settings.departure is not None:
        _await(turn, ABROAD)
        turn.edit_tapped(pv.abroad_screen(turn.content, turn.locale, settings.departure))
    elif arg == "skip":
        turn.record.pop(AWAITING_KEY, None)
        turn.edit_tapped(notice(turn.content, turn.locale, "plan_skipped"))
        await _refresh_flow(turn)
    else:
        turn.refuse()


@lasting_button
async def plan_tick(turn: Turn) -> None:
    """A box on the plan: set the item as the button says, redraw the plan in place."""
    setting = turn.button.setting()
    key, _ = await turn.tx.checklist()
    settings = await settings_of(turn)
    if (
        key is None
        or turn.button.token != rv.checklist_token(key)
        or setting is None
        or settings.departure is None
        or not await turn.tx.set_item(setting[0], done=setting[1])
    ):
        turn.refuse()
        return
    if setting[1]:
        turn.answer("item_ticked", item=rv.item_title(turn.content, setting[0], turn.locale))
    await sync_reminders(turn, settings)
    await show_plan(turn, settings, edit=True)


async def _set_abroad(turn: Turn, settings: UserSettings, zone: str) -> None:
    settings.abroad_timezone = zone
    await turn.tx.save_settings(settings)
    turn.record.pop(AWAITING_KEY, None)
    await sync_reminders(turn, settings)


@lasting_button
async def choose_abroad(turn: Turn) -> None:
    index = turn.button.index()
    settings = await settings_of(turn)
    if index is None or index >= len(rv.TIMEZONES) or settings.departure is None:
        turn.refuse()
        return
    await _set_abroad(turn, settings, rv.TIMEZONES[index])
    turn.answer("settings_saved")
    await show_plan(turn, settings, edit=True)


def zone_for_city(text: str) -> str | None:
    """A typed city as an IANA zone ("shanghai", "New York", "Ho Chi Minh" -> Asia/Ho_Chi_Minh)."""
    wanted = "_".join(text.strip().split()).casefold()
    if not wanted:
        return None
    zones = sorted(zoneinfo.available_timezones())
    return next((z for z in zones if z.casefold() == wanted or z.rsplit("/", 1)[-1].casefold() == wanted), None)


async def typed(turn: Turn, text: str) -> bool:
    """Typed text while the plan waits for an answer; False when it waits for nothing."""
    awaiting = turn.record.get(AWAITING_KEY)
    settings = await settings_of(turn) if awaiting else None
    if settings is None:
        return False
    if awaiting == ABROAD:
        zone = zone_for_city(text)
        if zone is None:
            turn.say("plan_abroad_unknown", text=text[:40])
            return True
        await _set_abroad(turn, settings, zone)
        await show_plan(turn, settings, edit=False)
        return True
    now = turn.services.clock.now()
    result = typed_dates.parse(text, turn.locale, now, settings.timezone)
    if isinstance(result, typed_dates.Refusal):
        turn.say(f"date_{result.value}", **_refused_values(text, turn.locale, now, settings.timezone))
        return True
    await set_departure(turn, settings, result.day)
    turn.answer()
    await show_plan(turn, settings, edit=False)
    return True


def _refused_values(text: str, locale: str, now: datetime, tz: str) -> dict[str, str]:
    """The typed text (unreadable) or the day it names (past, too far) for the refusal's wording."""
    typed = typed_dates.read(text, locale, now, tz)
    return {"date": typed.day.strftime(DATE_FORMAT)} if typed else {"text": text[:40]}


async def send_calendar(update: Update, context: AppContext) -> None:
    """The .ics export: reads committed rows only and writes nothing, so it needs no unit of work."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    services = context.services
    record = await services.storage.read_record(user.id)
    locale = user_locale(record, user, services.settings.bot_default_locale)
    settings = await services.storage.read_settings(user.id)
    key, items = await services.storage.read_checklist(user.id)
    plan = pv.plan_of(context.content, key, items, flow.answers(dict(record)))
    try:
        if plan is None or settings is None or settings.departure is None:
            await query.answer(context.content.text("expired_button", locale))
            return
        await query.answer()
        now = services.clock.now()
        data = plan_calendar(context.content, locale, user.id, plan, settings.departure, now)
        await context.bot.send_document(
            user.id,
            InputFile(data, filename="jpsim-plan.ics"),
            caption=context.content.text("ics_caption", locale),
        )
    except TelegramError as exc:  # the user taps again; nothing was stored
        log.warning("sending the plan calendar failed: %r", exc)
