"""The departure plan's screens: the dated timeline, the departure question, where the user will be after.
Wording comes from content/; the dates from content/plan.py."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.screens import Screen
from bot.storage.base import ChecklistItem, UserSettings
from content import Content
from content import plan as timeline
from content.schema import Procedure
from conversations import reminder_views as rv
from conversations.callbacks import Action
from conversations.views import CHECK_DONE, CHECK_OPEN, DATE_FORMAT, MAX_TEXT, button, escape_ui

OVERDUE = "⚠️"
DAY_MARK = "📅"


@dataclass(frozen=True)
class PlanOf:
    """What a plan is made of: the user's checklist and the procedure it belongs to."""

    key: str
    procedure: Procedure
    answers: dict[str, str]
    items: list[ChecklistItem]

    def entries(self, content: Content, departure: date) -> list[timeline.Entry]:
        ids = [i.item_id for i in self.items]
        return timeline.entries(content, self.procedure, self.answers, ids, departure)


def plan_of(
    content: Content, key: str | None, items: list[ChecklistItem], flow_answers: dict[str, str]
) -> PlanOf | None:
    """The plan for checklist `key` ("provider:procedure:sim"); the flow's answers when they chose the same
    procedure (its branches may set the cancel step's timing), else just the SIM type."""
    if not key:
        return None
    provider_id, procedure_id, sim = key.split(":", 2)
    provider = content.providers.get(provider_id)
    procedure = provider.procedure(procedure_id) if provider else None
    if procedure is None:
        return None
    same = rv.checklist_key(flow_answers.get("provider", ""), procedure.id, flow_answers.get("sim", "")) == key
    return PlanOf(key, procedure, dict(flow_answers) if same else {"sim": sim}, items)


def open_on(content: Content, plan: PlanOf, departure: date, day: date) -> set[str]:
    """The open items the plan dates on `day` (what that day's reminder is about)."""
    still = {i.item_id for i in rv.open_items(plan.items)}
    return {e.ref for e in plan.entries(content, departure) if e.kind == "item" and e.day == day and e.ref in still}


def _line(content: Content, locale: str, entry: timeline.Entry, plan: PlanOf, today: date) -> str:
    if entry.kind == "departure":
        return f"<b>{escape_ui(content, 'plan_departure_line', locale)}</b>"
    if entry.kind == "cancel":
        late = f"{OVERDUE} " if entry.day < today else ""
        return late + escape_ui(content, "plan_cancel_line", locale, procedure=plan.procedure.title[locale])
    done = next((i.done for i in plan.items if i.item_id == entry.ref), False)
    late = f"{OVERDUE} " if entry.day < today and not done else ""
    return f"{late}{CHECK_DONE if done else CHECK_OPEN} {html.escape(rv.item_title(content, entry.ref, locale))}"


def plan_screen(content: Content, locale: str, settings: UserSettings, plan: PlanOf, today: date) -> Screen:
    """The timeline from the earliest entry through the departure to the last, grouped by day; each open item
    is a button that ticks it (set, never toggle), in place."""
    assert settings.departure is not None
    title = escape_ui(content, "plan_title", locale, date=settings.departure.strftime(DATE_FORMAT))
    head = [f"<b>{title}</b>", escape_ui(content, "plan_hint", locale)]
    if settings.abroad_timezone:
        head.append(escape_ui(content, "plan_abroad_line", locale, tz=settings.abroad_timezone))
    days = []
    for day, group in timeline.by_day(plan.entries(content, settings.departure)):
        label = day.strftime(DATE_FORMAT)
        if day == today:
            label += f" ({escape_ui(content, 'plan_today', locale)})"
        days.append("\n".join([f"{DAY_MARK} <b>{label}</b>", *(_line(content, locale, e, plan, today) for e in group)]))
    text = "\n\n".join([*head, *days])
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    token = rv.checklist_token(plan.key)
    flags = {i.item_id: i.done for i in plan.items}
    in_order = [e.ref for e in plan.entries(content, settings.departure) if e.kind == "item"]  # by date
    rows: list[list[InlineKeyboardButton]] = [
        [
            button(
                f"{CHECK_DONE if flags[ref] else CHECK_OPEN} {rv.item_title(content, ref, locale)}",
                Action.PLAN_TICK,
                f"{ref}-{0 if flags[ref] else 1}",
                token,
            )
        ]
        for ref in in_order
    ]
    rows.append([button(content.text("btn_ics", locale), Action.PLAN_ICS)])
    rows.append(
        [
            button(content.text("btn_change_departure", locale), Action.PLAN, "dep"),
            button(content.text("btn_abroad_tz", locale), Action.PLAN, "tz"),
        ]
    )
    return Screen(text, InlineKeyboardMarkup(rows))


def abroad_screen(content: Content, locale: str, departure: date) -> Screen:
    rows = [[button(name, Action.ABROAD, str(i))] for i, name in enumerate(rv.TIMEZONES)]
    text = escape_ui(content, "plan_abroad_prompt", locale, date=departure.strftime(DATE_FORMAT))
    return Screen(text, InlineKeyboardMarkup(rows))
