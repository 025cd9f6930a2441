"""Screens as data: each function turns content and the user's flow into (HTML text, inline keyboard).

No wording lives here; every label and sentence is looked up in content/ for the user's locale.
"""

from __future__ import annotations

import html
import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit

from bot.screens import Screen
from content import Content, deeplinks
from content.schema import LOCALES, PLACEHOLDER_RE, Procedure, Provider, Step
from conversations import flow, phases
from conversations.callbacks import ANSWER_ACTIONS, Action, Callback
from conversations.states import State

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH
BAR_FULL, BAR_EMPTY = "▰", "▱"
CHECK_OPEN, CHECK_DONE = "☐", "☑"
PROVIDERS_PER_ROW = 2
DATE_FORMAT = "%Y-%m-%d"


def button(label: str, action: Action, arg: str = "", token: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=Callback(action, arg, token).encode())


class FlowButtons:
    """The buttons of the flow's screens, each with its screen token (flow.token) for this record. A keyboard's
    buttons depend on a few answer sets: each is hashed once."""

    def __init__(self, ud: dict[str, Any]) -> None:
        self._ud = ud
        self._tokens: dict[str | None, str] = {}

    def __call__(self, label: str, action: Action, arg: str = "") -> InlineKeyboardButton:
        if action in (Action.NOOP, Action.LOCALE):
            return button(label, action, arg)
        question = flow.depends_on(action, arg)
        if question not in self._tokens:
            self._tokens[question] = flow.token(self._ud, question)
        return button(label, action, arg, self._tokens[question])


def fill(text: str, provider: Provider, locale: str) -> str:
    """Escape content text for HTML and expand {link:id} / {phone:id} from the provider's declarations."""

    def expand(match: re.Match[str]) -> str:
        kind, ref = match.group(1), match.group(2) or ""
        if kind == "link":
            link = provider.links[ref]
            return f'<a href="{html.escape(link.url)}">{html.escape(link.label[locale])}</a>'
        phone = provider.phones[ref]
        hours = f", {html.escape(phone.hours[locale])}" if phone.hours else ""
        return f"<b>{html.escape(phone.number)}</b> ({html.escape(phone.label[locale])}{hours})"

    return PLACEHOLDER_RE.sub(expand, html.escape(text, quote=False))


def escape_ui(content: Content, key: str, locale: str, **values: Any) -> str:
    """A UI string for this locale, escaped for HTML."""
    return html.escape(content.text(key, locale, **values), quote=False)


def _nav_row(content: Content, locale: str, stamp: FlowButtons, *, back: str | None) -> list[InlineKeyboardButton]:
    row = [stamp(content.text("btn_back", locale), Action.BACK, back)] if back else []
    row.append(stamp(content.text("btn_restart", locale), Action.RESTART))
    return row


def _choices(content: Content, sel: dict[str, str], locale: str) -> str:
    """What the user chose so far, one line each, shown above the next question."""
    provider = flow.provider_of(content, sel)
    lines = []
    if provider:
        lines.append(
            escape_ui(
                content,
                "choice_line",
                locale,
                label=content.text("label_provider", locale),
                value=provider.name[locale],
            )
        )
    if "sim" in sel:
        value = content.text(f"sim_{sel['sim']}", locale)
        lines.append(escape_ui(content, "choice_line", locale, label=content.text("label_sim", locale), value=value))
    if "channel" in sel:
        value = content.text(f"channel_{sel['channel']}", locale)
        lines.append(
            escape_ui(content, "choice_line", locale, label=content.text("label_channel", locale), value=value)
        )
    return "\n".join(lines)


def question_screen(content: Content, ud: dict[str, Any], locale: str, question: str) -> Screen:
    sel, stamp = flow.answers(ud), FlowButtons(ud)
    opts = flow.options(content, sel, question)
    rows: list[list[InlineKeyboardButton]] = []
    if question == "provider":
        prompt = escape_ui(content, "greeting", locale) + "\n\n" + escape_ui(content, "ask_provider", locale)
        for kind, providers in content.grouped_providers():
            rows.append([stamp(f"— {content.text(f'group_{kind}', locale)} —", Action.NOOP, kind)])
            for i in range(0, len(providers), PROVIDERS_PER_ROW):
                rows.append(
                    [stamp(p.name[locale], Action.PROVIDER, p.id) for p in providers[i : i + PROVIDERS_PER_ROW]]
                )
    else:
        provider = flow.provider_of(content, sel)
        name = provider.name[locale] if provider else ""
        prompt = escape_ui(content, f"ask_{question}", locale, provider=name)
        if provider is not None and flow.first_after_provider(content, sel, question):
            prompt += note_block(content, provider, locale)
        action = ANSWER_ACTIONS[question]
        rows.extend([stamp(content.text(f"{question}_{opt}", locale), action, opt)] for opt in opts)
        chosen = _choices(content, sel, locale)
        prompt = f"{chosen}\n\n{prompt}" if chosen else prompt
    rows.append(_nav_row(content, locale, stamp, back=flow.back_target(ud) if ud.get("asked") else None))
    return Screen(prompt, InlineKeyboardMarkup(rows))


def note_block(content: Content, provider: Provider, locale: str) -> str:
    """The provider's note, shown with its first question and on every procedure's first step (so all see it)."""
    if provider.note is None:
        return ""
    title = escape_ui(content, "note_title", locale, provider=provider.name[locale])
    return f"\n\n<b>{title}</b>\n{fill(provider.note[locale], provider, locale)}"


def progress(n: int, total: int) -> str:
    return BAR_FULL * n + BAR_EMPTY * (total - n)


def _sources(provider: Provider, step: Step) -> str:
    return " ".join(
        f'<a href="{html.escape(provider.sources[ref].url)}">[{i}]</a>' for i, ref in enumerate(step.sources, start=1)
    )


def _header(content: Content, provider: Provider, proc: Procedure, sel: dict[str, str], locale: str) -> str:
    sim = content.text(f"sim_{sel['sim']}", locale)
    return f"<b>{html.escape(proc.title[locale])}</b>\n{html.escape(provider.name[locale])} · {html.escape(sim)}"


def _official(provider: Provider, proc: Procedure, locale: str) -> str:
    link = provider.links[proc.official_link]
    return f'<a href="{html.escape(link.url)}">{html.escape(link.label[locale])}</a>'


def share_button(content: Content, sel: dict[str, str], locale: str) -> InlineKeyboardButton:
    """Opens Telegram's chat picker with the inline query that finds exactly this procedure."""
    return InlineKeyboardButton(content.text("btn_share", locale), switch_inline_query=deeplinks.encode(sel))


def official_line(content: Content, provider: Provider, proc: Procedure, locale: str) -> str:
    return escape_ui(content, "official_line", locale, link="\x00").replace("\x00", _official(provider, proc, locale))


def _chosen(content: Content, ud: dict[str, Any]) -> tuple[dict[str, str], Provider, Procedure]:
    """The answers, provider and procedure a step or summary screen shows (callers checked the flow is valid)."""
    sel = flow.answers(ud)
    provider = flow.provider_of(content, sel)
    proc = flow.procedure_of(content, sel)
    if provider is None or proc is None:
        raise ValueError("a procedure screen without a chosen procedure")
    return sel, provider, proc


def step_screen(content: Content, ud: dict[str, Any], locale: str) -> Screen:
    sel, provider, proc = _chosen(content, ud)
    stamp = FlowButtons(ud)
    steps = proc.steps_for(sel)
    index = min(int(ud.get("step", 0)), len(steps) - 1)
    step = steps[index]
    done = step.id in ud.get("done", [])
    n, total = index + 1, len(steps)
    text = fill(step.text[locale], provider, locale)
    parts = [
        _header(content, provider, proc, sel, locale) + (note_block(content, provider, locale) if index == 0 else ""),
        f"{escape_ui(content, 'step_progress', locale, n=n, total=total)}  {progress(n, total)}"
        + (f"  {escape_ui(content, 'step_done_mark', locale)}" if done else ""),
        f"{phases.heading(content, step.phase, locale)}\n{text}",
    ]
    if step.uncertain:
        date = proc.checked_on.strftime(DATE_FORMAT)
        note = html.escape(content.text("uncertain_note", locale, date=date, link="\x00"), quote=False)
        parts.append(note.replace("\x00", _official(provider, proc, locale)))
    parts.append(escape_ui(content, "sources_line", locale, links="\x00").replace("\x00", _sources(provider, step)))
    parts.append(official_line(content, provider, proc, locale))
    back = (Action.GO_STEP, str(index - 1)) if index else (Action.BACK, flow.back_target(ud))
    nav = [stamp(content.text("btn_back", locale), *back)]
    if index + 1 < total:
        nav.append(stamp(content.text("btn_next", locale), Action.GO_STEP, str(index + 1)))
    else:
        nav.append(stamp(content.text("btn_summary", locale), Action.SUMMARY))
    toggle = content.text("btn_mark_undone" if done else "btn_mark_done", locale)
    rows = [
        nav,
        [
            stamp(toggle, Action.MARK, f"{index}-{0 if done else 1}"),
            stamp(content.text("btn_remind", locale), Action.REMIND),
        ],
        [share_button(content, sel, locale), stamp(content.text("btn_checklist", locale), Action.CHECKLIST)],
        [stamp(content.text("btn_restart", locale), Action.RESTART)],
    ]
    if ud.get(flow.AWAITING_KEY) == flow.AWAITING_DEPARTURE:  # leaving, date unknown: ask on every step
        rows.insert(2, [stamp(content.text("btn_ask_departure", locale), Action.PLAN, "open")])
    return Screen("\n\n".join(parts), InlineKeyboardMarkup(rows))


def _item_lines(content: Content, item_ids: list[str], done: set[str], locale: str, *, detailed: bool) -> list[str]:
    lines = []
    for item_id in item_ids:
        item = content.catalogue.items[item_id]
        title = f"{CHECK_DONE if item_id in done else CHECK_OPEN} <b>{html.escape(item.title[locale])}</b>"
        lines.append(f"{title}\n{html.escape(item.detail[locale])}" if detailed and item_id not in done else title)
    return lines


def summary_screen(content: Content, ud: dict[str, Any], locale: str, ticked: set[str], link: str) -> Screen:
    """The last screen: steps done, the outstanding items (tickable here), the official page and date."""
    sel, provider, proc = _chosen(content, ud)
    stamp = FlowButtons(ud)
    steps = proc.steps_for(sel)
    done = sum(1 for s in steps if s.id in ud.get("done", []))
    items = proc.items_for(sel)
    head = [
        _header(content, provider, proc, sel, locale),
        escape_ui(content, "summary_steps_done", locale, done=done, total=len(steps)),
    ]
    checked = html.escape(
        content.text("checked_note", locale, date=proc.checked_on.strftime(DATE_FORMAT), link="\x00"), quote=False
    ).replace("\x00", _official(provider, proc, locale))
    shared = escape_ui(content, "share_link_line", locale, link=link)
    body = [escape_ui(content, "summary_title" if items else "summary_nothing_open", locale)]
    text = ""
    for detailed in (True, False):  # fall back to titles only if the details would not fit
        lines = [
            f"{phases.heading(content, phase, locale)}\n\n"
            + "\n\n".join(_item_lines(content, ids, ticked, locale, detailed=detailed))
            for phase, ids in content.items_by_phase(items)
        ]
        text = "\n\n".join([*head, *body, *lines, checked, shared])
        if len(text) <= MAX_TEXT:
            break
    rows = [
        [
            stamp(
                f"{CHECK_DONE if i in ticked else CHECK_OPEN} {content.catalogue.items[i].title[locale]}",
                Action.CHECK,
                f"{i}-{0 if i in ticked else 1}",
            )
        ]
        for i in items
    ]
    if any(i not in ticked for i in items):
        rows.append(
            [
                stamp(content.text("btn_remind", locale), Action.REMIND),
                stamp(content.text("btn_plan", locale), Action.PLAN, "open"),
            ]
        )
    rows.append([stamp(content.text("btn_back", locale), Action.GO_STEP, str(len(steps) - 1))])
    rows.append([share_button(content, sel, locale), stamp(content.text("btn_restart", locale), Action.RESTART)])
    return Screen(text, InlineKeyboardMarkup(rows))


def current_screen(
    content: Content, ud: dict[str, Any], locale: str, ticked: set[str] | None = None, link: str = ""
) -> Screen:
    """The screen for the user's flow; the summary also needs the ticked items and the share link."""
    view = flow.current_state(ud)
    if view is State.STEPS:
        return step_screen(content, ud, locale)
    if view is State.SUMMARY:
        return summary_screen(content, ud, locale, ticked or set(), link)
    return question_screen(content, ud, locale, view.value)


def language_screen(content: Content, locale: str) -> Screen:
    """Each language listed under its own name."""
    rows = [[button(content.text("language_name", code), Action.LOCALE, code)] for code in LOCALES]
    return Screen(escape_ui(content, "language_prompt", locale), InlineKeyboardMarkup(rows))


def notice(content: Content, locale: str, key: str, **values: object) -> Screen:
    """A short text without buttons."""
    return Screen(escape_ui(content, key, locale, **values), InlineKeyboardMarkup([]))


def restart_screen(content: Content, locale: str, key: str) -> Screen:
    """A short notice with only a Start-over button (expired buttons, errors)."""
    return Screen(
        escape_ui(content, key, locale),
        InlineKeyboardMarkup([[button(content.text("btn_restart", locale), Action.RESTART)]]),
    )
