"""What each page shows, looked up from the content for one locale: plain data for the templates, no markup.

Content text keeps its `{link:id}` / `{phone:id}` placeholders until here; they become `Segment`s the
templates turn into links, so all escaping is Jinja's autoescaping.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from telegram.helpers import create_deep_linked_url

from content.deeplinks import encode
from content.loader import Content
from content.schema import LOCALES, PLACEHOLDER_RE, Phase, Procedure, Provider, Source
from content.selection import next_branch_question, options, procedure_of, provider_of
from content.site.paths import index_path, page_path, web_url

T = TypeVar("T")
# Marks where a link goes inside a UI sentence such as "Official page: {link}".
_HOLE = "\x00"


@dataclass(frozen=True)
class Segment:
    """A run of text, a link when `href` is set; `after` follows the link as plain text (a phone's label)."""

    text: str
    href: str | None = None
    after: str = ""


def tel_href(number: str) -> str:
    """`tel:` URI of a number as dialled in Japan (short codes and +81 numbers as they are)."""
    return "tel:" + re.sub(r"[^\d+]", "", number)


def text_segments(text: str, provider: Provider, locale: str) -> list[Segment]:
    """Content text with its declared links and phone numbers expanded."""
    out: list[Segment] = []
    pos = 0
    for match in PLACEHOLDER_RE.finditer(text):
        if match.start() > pos:
            out.append(Segment(text[pos : match.start()]))
        kind, ref = match.group(1), match.group(2) or ""
        if kind == "link":
            link = provider.links[ref]
            out.append(Segment(link.label[locale], link.url))
        else:
            phone = provider.phones[ref]
            hours = f", {phone.hours[locale]}" if phone.hours else ""
            out.append(Segment(phone.number, tel_href(phone.number), f" ({phone.label[locale]}{hours})"))
        pos = match.end()
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out


def plain(segments: Iterable[Segment]) -> str:
    """Segments as text alone, for places that cannot hold links (meta descriptions, preview cards)."""
    return "".join(s.text + s.after for s in segments)


def ui_segments(content: Content, key: str, locale: str, link: Segment, **values: object) -> list[Segment]:
    """A UI sentence with a `{link}` placeholder, the link put in its place."""
    before, _, after = content.text(key, locale, link=_HOLE, **values).partition(_HOLE)
    return [s for s in (Segment(before), link, Segment(after)) if s.text]


@dataclass(frozen=True)
class PhaseGroup(Generic[T]):
    """Consecutive entries of one phase."""

    phase: Phase
    entries: list[T]


def by_phase(entries: Iterable[T], phase_of: Callable[[T], Phase]) -> list[PhaseGroup[T]]:
    """Runs of equal phase in content order, so step numbers on the page match the bot's."""
    groups: list[PhaseGroup[T]] = []
    for entry in entries:
        phase = phase_of(entry)
        if not groups or groups[-1].phase != phase:
            groups.append(PhaseGroup(phase, []))
        groups[-1].entries.append(entry)
    return groups


@dataclass(frozen=True)
class SourceEntry:
    number: int
    url: str
    kind: str
    checked_on: str


@dataclass
class SourceList:
    """The sources a page cites, numbered in order of first citation, each URL once."""

    entries: list[SourceEntry] = field(default_factory=list)

    def cite(self, registry: dict[str, Source], refs: Iterable[str]) -> list[int]:
        numbers = []
        for ref in refs:
            source = registry[ref]
            found = next((e for e in self.entries if e.url == source.url), None)
            if found is None:
                found = SourceEntry(len(self.entries) + 1, source.url, source.kind, source.checked_on.isoformat())
                self.entries.append(found)
            numbers.append(found.number)
        return numbers


@dataclass(frozen=True)
class StepView:
    number: int
    id: str
    phase: Phase
    text: list[Segment]
    sources: list[int]
    uncertain: list[Segment] | None


@dataclass(frozen=True)
class ItemView:
    id: str
    phase: Phase
    title: str
    detail: str
    sources: list[int]


@dataclass(frozen=True)
class Choice:
    """A link to another page: a branch answer, a procedure on the index, or a language."""

    label: str
    href: str
    lang: str = ""
    current: bool = False


@dataclass(frozen=True)
class Page:
    """A procedure page: the steps when every question is answered, else the next question with its answers."""

    locale: str
    path: str
    title: str
    description: str
    heading: str
    facts: list[str]
    summary: list[Segment]
    deep_link: str
    canonical: str | None
    languages: list[Choice]
    official: Segment
    checked_on: str
    index_href: str
    steps: list[PhaseGroup[StepView]]
    items: list[PhaseGroup[ItemView]]
    question: str | None  # a branch question still open: the page offers its answers instead of steps
    answers: list[Choice]
    sources: list[SourceEntry]


@dataclass(frozen=True)
class ProviderEntry:
    id: str
    name: str
    search: str  # what the index filter matches: the name in every locale and the keywords, lower case
    procedures: list[Choice]


@dataclass(frozen=True)
class IndexPage:
    locale: str
    path: str
    languages: list[Choice]
    groups: list[tuple[str, list[ProviderEntry]]]


def relative(from_path: str, to_path: str) -> str:
    """A link from one page to another, both relative to the site root, that works from any folder."""
    return posixpath.relpath(to_path, posixpath.dirname(from_path) or ".")


def languages(from_path: str, content: Content, locale: str, path_in: Callable[[str], str]) -> list[Choice]:
    return [
        Choice(content.text("language_name", loc), relative(from_path, path_in(loc)), loc, loc == locale)
        for loc in LOCALES
    ]


def answer_label(content: Content, question: str, value: str, locale: str) -> str:
    return content.text(f"{question}_{value}", locale)


def _facts(content: Content, provider: Provider, sel: dict[str, str], locale: str) -> list[str]:
    facts = [provider.name[locale]]
    facts += [answer_label(content, q, sel[q], locale) for q in ("sim", "channel", "goal", "stay") if q in sel]
    return facts


def procedure_page(
    content: Content, sel: dict[str, str], locale: str, *, bot_username: str, base_url: str | None
) -> Page:
    provider, proc = provider_of(content, sel), procedure_of(content, sel)
    if provider is None or proc is None:
        raise ValueError(f"no procedure for {sel}")
    path = page_path(locale, sel)
    facts = _facts(content, provider, sel, locale)
    official_link = provider.links[proc.official_link]
    official = Segment(official_link.label[locale], official_link.url)
    summary = text_segments(proc.summary[locale], provider, locale)
    question = next_branch_question(content, sel)
    answers: list[Choice] = []
    steps: list[PhaseGroup[StepView]] = []
    items: list[PhaseGroup[ItemView]] = []
    sources = SourceList()
    if question is not None:
        answers = [
            Choice(
                answer_label(content, question, value, locale),
                relative(path, page_path(locale, {**sel, question: value})),
            )
            for value in options(content, sel, question)
        ]
    else:
        steps = _steps(content, provider, proc, sel, locale, official, sources)
        items = _items(content, proc, sel, locale, sources)
        sources.cite(provider.sources, proc.sources)
    return Page(
        locale=locale,
        path=path,
        title=" · ".join([proc.title[locale], *facts[1:]]),
        description=plain(summary),
        heading=proc.title[locale],
        facts=facts,
        summary=summary,
        deep_link=create_deep_linked_url(bot_username, encode(sel)),
        canonical=web_url(base_url, locale, sel) if base_url else None,
        languages=languages(path, content, locale, lambda loc: page_path(loc, sel)),
        official=official,
        checked_on=proc.checked_on.isoformat(),
        index_href=relative(path, index_path(locale)) + f"#{provider.id}",
        steps=steps,
        items=items,
        question=content.text(f"ask_{question}", locale, provider=provider.name[locale]) if question else None,
        answers=answers,
        sources=sources.entries,
    )


def _items(
    content: Content, proc: Procedure, sel: dict[str, str], locale: str, sources: SourceList
) -> list[PhaseGroup[ItemView]]:
    groups = []
    for phase, item_ids in content.items_by_phase(proc.items_for(sel)):
        views = []
        for item_id in item_ids:
            item = content.catalogue.items[item_id]
            cited = sources.cite(content.catalogue.sources, item.sources)
            views.append(ItemView(item_id, item.phase, item.title[locale], item.detail[locale], cited))
        groups.append(PhaseGroup(phase, views))
    return groups


def _steps(
    content: Content,
    provider: Provider,
    proc: Procedure,
    sel: dict[str, str],
    locale: str,
    official: Segment,
    sources: SourceList,
) -> list[PhaseGroup[StepView]]:
    views = [
        StepView(
            number=n,
            id=step.id,
            phase=step.phase,
            text=text_segments(step.text[locale], provider, locale),
            sources=sources.cite(provider.sources, step.sources),
            uncertain=(
                ui_segments(content, "uncertain_note", locale, official, date=proc.checked_on.isoformat())
                if step.uncertain
                else None
            ),
        )
        for n, step in enumerate(proc.steps_for(sel), start=1)
    ]
    return by_phase(views, lambda s: s.phase)


def index_page(content: Content, locale: str) -> IndexPage:
    path = index_path(locale)
    groups = []
    for kind, providers in content.grouped_providers():
        entries = []
        for provider in providers:
            procedures = [
                Choice(
                    f"{answer_label(content, 'sim', sim, locale)} · {answer_label(content, 'channel', channel, locale)}",
                    relative(path, page_path(locale, {"provider": provider.id, "sim": sim, "channel": channel})),
                )
                for sim in provider.sim_types()
                for channel in provider.channels_for(sim)
            ]
            search = " ".join([*(provider.name[loc] for loc in LOCALES), *provider.keywords, provider.id]).lower()
            entries.append(ProviderEntry(provider.id, provider.name[locale], search, procedures))
        groups.append((content.text(f"group_{kind}", locale), entries))
    return IndexPage(locale, path, languages(path, content, locale, index_path), groups)
