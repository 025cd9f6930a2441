"""Screens for the checklist, reminders, settings and data deletion. Wording comes from content/."""

from __future__ import annotations

import calendar
import html
from datetime import date, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import schedule
from bot.screens import Screen
from bot.storage.base import ChecklistItem, Reminder, UserSettings
from content import Content
from conversations.callbacks import Action
from conversations.flow import digest
from conversations.views import CHECK_DONE, CHECK_OPEN, MAX_TEXT, button, escape_ui

MONTHS_AHEAD = 12
# Offered in /settings; any IANA name works in BOT_TIMEZONE.
TIMEZONES = (
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Seoul",
    "Asia/Singapore",
    "Asia/Bangkok",
    "Australia/Sydney",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)
QUIET_CHOICES = ((22, 8), (23, 7), (21, 9), (0, 0))  # (0, 0): no quiet hours


def checklist_key(provider_id: str, procedure_id: str, sim: str) -> str:
    return f"{provider_id}:{procedure_id}:{sim}"


def checklist_token(key: str) -> str:
    """The token of the /checklist message's boxes: which procedure's checklist they tick."""
    return digest(key)


def procedure_title(content: Content, key: str | None, locale: str) -> str:
    provider_id, procedure_id, _ = (key or "::").split(":", 2)
    provider = content.providers.get(provider_id)
    procedure = provider.procedure(procedure_id) if provider else None
    return procedure.title[locale] if procedure else ""


def item_title(content: Content, item_id: str, locale: str) -> str:
    item = content.catalogue.items.get(item_id)
    return item.title[locale] if item else item_id


def open_items(items: list[ChecklistItem]) -> list[ChecklistItem]:
    return [i for i in items if not i.done and not i.muted]


def checklist_screen(content: Content, locale: str, key: str | None, items: list[ChecklistItem]) -> Screen:
    title = escape_ui(content, "checklist_title", locale, procedure=procedure_title(content, key, locale))
    lines = [f"<b>{title}</b>", escape_ui(content, "checklist_hint", locale)]
    rows: list[list[InlineKeyboardButton]] = []
    for item in items:
        mark = CHECK_DONE if item.done else CHECK_OPEN
        label = f"{mark} {item_title(content, item.item_id, locale)}"
        rows.append([button(label, Action.TICK, f"{item.item_id}-{0 if item.done else 1}", checklist_token(key or ""))])
        if not item.done:
            detail = content.catalogue.items.get(item.item_id)
            if detail is not None:
                lines.append(f"{mark} <b>{html.escape(detail.title[locale])}</b>\n{html.escape(detail.detail[locale])}")
    if not open_items(items):
        lines.append(escape_ui(content, "checklist_all_done", locale))
    else:
        rows.append([button(content.text("btn_remind", locale), Action.REMIND)])
    text = "\n\n".join(lines)
    if len(text) > MAX_TEXT:  # details of many items: keep the titles, which are on the buttons anyway
        text = "\n\n".join(lines[:2])
    return Screen(text, InlineKeyboardMarkup(rows))


def remind_picker(content: Content, locale: str, settings: UserSettings, now: datetime, picker: str) -> Screen:
    rows = []
    for preset in schedule.PRESETS:
        if schedule.preset_due(preset, now, settings) is None:
            continue
        date_label = settings.departure.isoformat() if settings.departure else ""
        label = content.text(f"preset_{preset}", locale, date=date_label)
        rows.append([button(label, Action.PRESET, preset, picker)])
    rows.append([button(content.text("preset_cal", locale), Action.CALENDAR, "r", picker)])
    text = f"{escape_ui(content, 'remind_prompt', locale, tz=settings.timezone)}\n{escape_ui(content, 'remind_type_hint', locale)}"
    return Screen(text, InlineKeyboardMarkup(rows))


def calendar_screen(content: Content, locale: str, purpose: str, month: date, today: date, picker: str = "") -> Screen:
    """A month of day buttons from today on; `purpose` is r (reminder date, for `picker`), d (departure, in
    /settings) or p (departure, asked for the plan: skippable, and a typed date works too)."""
    rows: list[list[InlineKeyboardButton]] = []
    for week in calendar.Calendar().monthdatescalendar(month.year, month.month):
        row = []
        for day in week:
            if day.month != month.month or day < today:
                row.append(button(" ", Action.NOOP, "cal"))
            else:
                row.append(button(str(day.day), Action.DAY, f"{purpose}{day:%Y%m%d}", picker))
        rows.append(row)
    first = date(today.year, today.month, 1)
    last = date(first.year + (first.month + MONTHS_AHEAD - 1) // 12, (first.month + MONTHS_AHEAD - 1) % 12 + 1, 1)
    nav = []
    if month > first:
        prev = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        nav.append(button("◀", Action.CALENDAR, f"{purpose}{prev:%Y%m}", picker))
    if month < last:
        nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        nav.append(button("▶", Action.CALENDAR, f"{purpose}{nxt:%Y%m}", picker))
    if nav:
        rows.append(nav)
    if purpose == "p":
        rows.append([button(content.text("btn_skip", locale), Action.PLAN, "skip")])
    key = {"r": "calendar_prompt", "d": "departure_prompt"}.get(purpose, "plan_ask_departure")
    return Screen(escape_ui(content, key, locale, month=f"{month:%Y-%m}"), InlineKeyboardMarkup(rows))


def reminder_message(
    content: Content, settings: UserSettings, reminder: Reminder, key: str | None, items: list[ChecklistItem]
) -> Screen:
    locale = settings.locale
    title_key = {"follow_up": "follow_up_title", "plan": "plan_reminder_title"}.get(reminder.kind, "reminder_title")
    lines = [f"<b>{escape_ui(content, title_key, locale, procedure=procedure_title(content, key, locale))}</b>"]
    rows: list[list[InlineKeyboardButton]] = []
    for item in items:
        detail = content.catalogue.items.get(item.item_id)
        if detail is not None:
            lines.append(
                f"{CHECK_OPEN} <b>{html.escape(detail.title[locale])}</b>\n{html.escape(detail.detail[locale])}"
            )
        label = content.text("btn_item_done", locale, item=item_title(content, item.item_id, locale))
        rows.append([button(label, Action.REMINDER_DONE, f"{reminder.id}-{item.item_id}")])
    rows.append(
        [
            button(content.text("btn_snooze_1h", locale), Action.SNOOZE, f"{reminder.id}-1h"),
            button(content.text("btn_snooze_tm", locale), Action.SNOOZE, f"{reminder.id}-tm"),
        ]
    )
    if reminder.item_id is not None:
        label = content.text("btn_stop_item", locale, item=item_title(content, reminder.item_id, locale))
        rows.append([button(label, Action.STOP, f"{reminder.id}-{reminder.item_id}")])
    else:
        rows.append([button(content.text("btn_stop_all", locale), Action.STOP, str(reminder.id))])
    text = "\n\n".join(lines)
    if len(text) > MAX_TEXT:
        text = lines[0]
    return Screen(text, InlineKeyboardMarkup(rows))


def reminders_screen(content: Content, locale: str, settings: UserSettings, reminders: list[Reminder]) -> Screen:
    if not reminders:
        return Screen(escape_ui(content, "reminders_none", locale), InlineKeyboardMarkup([]))
    lines = [escape_ui(content, "reminders_title", locale, tz=settings.timezone)]
    rows = []
    for reminder in reminders:
        when = schedule.format_local(schedule.from_epoch(reminder.due_at), settings)
        what = (
            item_title(content, reminder.item_id, locale)
            if reminder.item_id
            else content.text("reminder_all_items", locale)
        )
        lines.append(escape_ui(content, "reminder_line", locale, when=when, what=what))
        rows.append(
            [button(content.text("btn_cancel_reminder", locale, when=when), Action.CANCEL_REMINDER, str(reminder.id))]
        )
    return Screen("\n".join(lines), InlineKeyboardMarkup(rows))


def settings_screen(content: Content, locale: str, settings: UserSettings) -> Screen:
    quiet = (
        content.text("quiet_none", locale)
        if settings.quiet_start == settings.quiet_end
        else content.text("quiet_range", locale, start=settings.quiet_start, end=settings.quiet_end)
    )
    departure = settings.departure.isoformat() if settings.departure else content.text("departure_none", locale)
    text = escape_ui(content, "settings_title", locale, tz=settings.timezone, quiet=quiet, departure=departure)
    rows = [
        [button(content.text("btn_tz", locale), Action.SETTINGS, "tz")],
        [button(content.text("btn_quiet", locale), Action.SETTINGS, "quiet")],
        [button(content.text("btn_departure", locale), Action.SETTINGS, "dep")],
    ]
    if settings.departure:
        rows.append([button(content.text("btn_clear_departure", locale), Action.SETTINGS, "clear")])
    return Screen(text, InlineKeyboardMarkup(rows))


def timezone_screen(content: Content, locale: str) -> Screen:
    rows = [[button(name, Action.TIMEZONE, str(i))] for i, name in enumerate(TIMEZONES)]
    return Screen(escape_ui(content, "tz_prompt", locale), InlineKeyboardMarkup(rows))


def quiet_screen(content: Content, locale: str) -> Screen:
    rows = []
    for start, end in QUIET_CHOICES:
        label = (
            content.text("btn_quiet_off", locale)
            if start == end
            else content.text("quiet_range", locale, start=start, end=end)
        )
        rows.append([button(label, Action.QUIET, f"{start}-{end}")])
    return Screen(escape_ui(content, "quiet_prompt", locale), InlineKeyboardMarkup(rows))


def delete_screen(content: Content, locale: str) -> Screen:
    rows = [
        [button(content.text("btn_delete_yes", locale), Action.DELETE, "yes")],
        [button(content.text("btn_delete_no", locale), Action.DELETE, "no")],
    ]
    return Screen(escape_ui(content, "delete_prompt", locale), InlineKeyboardMarkup(rows))
