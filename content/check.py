"""Cross-reference checks the schema alone cannot express, and the coverage matrix."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from content.loader import DATA_DIR, Content, ContentError, Problem, read_content
from content.schema import (
    CHANNELS,
    DRAFT_LOCALES,
    LOCALES,
    PHASES,
    PLACEHOLDER_RE,
    WEAK_SOURCE_KINDS,
    Glossary,
    Procedure,
    Provider,
    Source,
    Text,
)

# Every URL and phone number must be declared (links:, phones:) with its source, never typed into prose.
RAW_URL_RE = re.compile(r"https?://|www\.", re.IGNORECASE)
PHONE_LIKE_RE = re.compile(r"(?<![\d-])\+?\d[\d-]{7,}\d")
CONTENT_PLACEHOLDERS = ("link", "phone")
BRANCH_VALUES = {"goal": ("cancel", "keep_number"), "stay": ("staying", "leaving", "abroad")}
# The note shares the first step's screen with the header, progress, phase heading, hedge and links;
# Telegram cuts a message at 4,096 characters, so note + first step must leave room for the rest.
NOTE_WITH_STEP_MAX = 3300
# Japanese screen labels are quoted 「as shown」 in every locale; the glossary does not apply inside them.
QUOTED_LABEL_RE = re.compile(r"「[^」]*」")


def _looks_like_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    return "-" in candidate and len(digits) >= 9 and (candidate.startswith("0") or candidate.startswith("+"))


def _text_problems(text: Text, file: str, path: str, provider: Provider | None) -> Iterator[Problem]:
    reference = text.placeholders(LOCALES[0])
    for locale in text.locales():
        value = text[locale]
        found = text.placeholders(locale)
        if found != reference:
            diff = sorted(f"{{{k}:{a}}}" if a else f"{{{k}}}" for k, a in found ^ reference)
            yield Problem(file, f"{path}.{locale}", f"placeholders differ from {LOCALES[0]}: {', '.join(diff)}")
        if RAW_URL_RE.search(value):
            yield Problem(file, f"{path}.{locale}", "a URL in the text: declare it under links: and use {link:<id>}")
        if any(_looks_like_phone(m.group(0)) for m in PHONE_LIKE_RE.finditer(value)):
            yield Problem(
                file, f"{path}.{locale}", "a phone number in the text: declare it under phones: and use {phone:<id>}"
            )
        if provider is None:
            continue
        for kind, arg in found:
            if kind not in CONTENT_PLACEHOLDERS or arg is None:
                yield Problem(
                    file, f"{path}.{locale}", f"unknown placeholder {{{kind}}}; use {{link:<id>}} or {{phone:<id>}}"
                )
            elif kind == "link" and arg not in provider.links:
                yield Problem(file, f"{path}.{locale}", f"unknown link id {arg!r}")
            elif kind == "phone" and arg not in provider.phones:
                yield Problem(file, f"{path}.{locale}", f"unknown phone id {arg!r}")


def _source_problems(
    refs: list[str], registry: dict[str, Source], uncertain: bool, file: str, path: str
) -> Iterator[Problem]:
    unknown = [r for r in refs if r not in registry]
    for ref in unknown:
        yield Problem(file, f"{path}.sources", f"unknown source id {ref!r}")
    known = [registry[r] for r in refs if r in registry]
    if known and not uncertain and all(s.kind in WEAK_SOURCE_KINDS for s in known):
        yield Problem(
            file,
            path,
            "rests only on aggregator/3rd-party sources: add an official, gov or news source or mark it uncertain: true",
        )


def _answer_combinations(questions: Sequence[str]) -> Iterator[dict[str, str]]:
    for values in itertools.product(*(BRANCH_VALUES[q] for q in questions)):
        yield dict(zip(questions, values, strict=True))


def _phase_problems(proc: Procedure, file: str, path: str) -> Iterator[Problem]:
    """On every path a user can take (SIM type × branch answers), steps go before → cancel → after.

    Branches that never meet (e.g. goal: keep_number and goal: cancel) may each run through all phases.
    """
    index = {step.id: j for j, step in enumerate(proc.steps)}
    reported: set[str] = set()
    for sim in proc.sim_types:
        for answers in _answer_combinations(proc.questions):
            latest: tuple[str, str] | None = None  # (step id, phase) of the furthest step so far
            for step in proc.steps_for({"sim": sim, **answers}):
                if latest is not None and PHASES.index(step.phase) < PHASES.index(latest[1]):
                    if step.id not in reported:
                        reported.add(step.id)
                        yield Problem(
                            file,
                            f"{path}.steps[{index[step.id]}].phase",
                            f"{step.phase!r} comes after {latest[0]!r} ({latest[1]!r}) for {sim} {answers}: "
                            f"steps go {' → '.join(PHASES)}",
                        )
                else:
                    latest = (step.id, step.phase)


def _visible_length(text: Text, locale: str, provider: Provider) -> int:
    """Characters a reader sees once {link:…} and {phone:…} are expanded (URLs are hidden in the link)."""

    def expand(match: re.Match[str]) -> str:
        kind, ref = match.group(1), match.group(2) or ""
        if kind == "link" and ref in provider.links:
            return provider.links[ref].label[locale]
        if kind == "phone" and ref in provider.phones:
            phone = provider.phones[ref]
            return f"{phone.number} ({phone.label[locale]}, {phone.hours[locale] if phone.hours else ''})"
        return match.group(0)

    return len(PLACEHOLDER_RE.sub(expand, text[locale]))


def _note_problems(provider: Provider, file: str) -> Iterator[Problem]:
    """The note is shown on the first step screen: every path through the provider must have one, with room."""
    if provider.note is None:
        return
    too_long: set[tuple[str, str]] = set()
    for sim in provider.sim_types():
        for channel in provider.channels_for(sim):
            proc = provider.procedure_for(sim, channel)
            if proc is None:
                continue  # reported as an unreachable SIM type × channel
            for answers in _answer_combinations(proc.questions):
                steps = proc.steps_for({"sim": sim, **answers})
                if not steps:
                    yield Problem(file, "note", f"never shown for {sim} × {channel} with {answers}: no first step")
                    continue
                for locale in LOCALES:
                    size = _visible_length(provider.note, locale, provider) + _visible_length(
                        steps[0].text, locale, provider
                    )
                    if size > NOTE_WITH_STEP_MAX and (steps[0].id, locale) not in too_long:
                        too_long.add((steps[0].id, locale))
                        yield Problem(
                            file,
                            f"note.{locale}",
                            f"with the first step {steps[0].id!r} of {proc.id!r} it is {size} characters; "
                            f"at most {NOTE_WITH_STEP_MAX} fit on one screen",
                        )


def _all_texts(content: Content) -> Iterator[tuple[str, str, Text]]:
    """(file, path, text) for every user-facing text."""
    for item_id, item in content.catalogue.items.items():
        yield content.items_file, f"items.{item_id}.title", item.title
        yield content.items_file, f"items.{item_id}.detail", item.detail
    for key, text in content.ui.items():
        yield content.ui_dir, key, text
    for provider in content.providers.values():
        file = content.files[provider.id]
        yield file, "name", provider.name
        if provider.note is not None:
            yield file, "note", provider.note
        for link_id, link in provider.links.items():
            yield file, f"links.{link_id}.label", link.label
        for phone_id, phone in provider.phones.items():
            yield file, f"phones.{phone_id}.label", phone.label
        for i, proc in enumerate(provider.procedures):
            yield file, f"procedures[{i}].title", proc.title
            yield file, f"procedures[{i}].summary", proc.summary
            for j, step in enumerate(proc.steps):
                yield file, f"procedures[{i}].steps[{j}].text", step.text


def _mask_quoted(value: str) -> str:
    """Blank out 「…」 labels, keeping positions, so glossary rules skip them."""
    return QUOTED_LABEL_RE.sub(lambda m: " " * len(m.group(0)), value)


def _glossary_self_problems(glossary: Glossary, file: str) -> Iterator[Problem]:
    for term_id, term in glossary.terms.items():
        for locale, variants in term.forbidden.items():
            for variant in variants:
                if variant in term.text.root.get(locale, ""):
                    yield Problem(
                        file, f"terms.{term_id}.forbidden.{locale}", f"{variant!r} is part of the term itself"
                    )
        for locale in term.glossed:
            if term.text["ja"] not in term.text[locale]:
                yield Problem(
                    file, f"terms.{term_id}.text.{locale}", f"a glossed form must contain {term.text['ja']!r}"
                )


def glossary_problems(content: Content) -> Iterator[Problem]:
    """Forbidden variants, and Japanese terms whose first use in a text is not glossed."""
    if content.glossary is None:
        return
    terms = content.glossary.terms
    yield from _glossary_self_problems(content.glossary, content.glossary_file)
    for file, path, text in _all_texts(content):
        for locale in text.locales():
            value = _mask_quoted(text[locale])
            for term_id, term in terms.items():
                for variant in term.forbidden.get(locale, []):
                    if variant in value:
                        yield Problem(
                            file,
                            f"{path}.{locale}",
                            f"{variant!r}: the glossary ({term_id}) says {term.text.root.get(locale, term.text['en'])!r}",
                        )
                if locale not in term.glossed or locale not in term.text.locales():
                    continue
                native, form = term.text["ja"], term.text[locale]
                first = value.find(native)
                start = first - form.find(native)
                if first >= 0 and value[start : start + len(form)] != form:
                    yield Problem(
                        file,
                        f"{path}.{locale}",
                        f"first use of {native!r} must be glossed as {form!r} (glossary: {term_id})",
                    )


def _provider_problems(provider: Provider, content: Content, file: str) -> Iterator[Problem]:
    if provider.parent is not None and provider.parent not in content.providers:
        yield Problem(file, "parent", f"unknown provider {provider.parent!r}")
    if provider.official_link not in provider.links:
        yield Problem(file, "official_link", f"unknown link id {provider.official_link!r}")
    elif not provider.links[provider.official_link].official:
        yield Problem(file, "official_link", "must be an official page (the link is marked official: false)")
    for ref in provider.provider_sources:
        if ref not in provider.sources:
            yield Problem(file, "provider_sources", f"unknown source id {ref!r}")
    yield from _text_problems(provider.name, file, "name", None)
    if provider.note is not None:
        yield from _text_problems(provider.note, file, "note", provider)
    for link_id, link in provider.links.items():
        yield from _text_problems(link.label, file, f"links.{link_id}.label", None)
    for phone_id, phone in provider.phones.items():
        yield from _source_problems(phone.sources, provider.sources, phone.uncertain, file, f"phones.{phone_id}")

    for sim, channels in provider.channels.items():
        if not channels:
            yield Problem(
                file, f"channels.{sim}", "no channel offered: a SIM type the provider sells needs at least one"
            )
        if "none" in channels and len(channels) > 1:
            yield Problem(file, f"channels.{sim}", "'none' (nothing to cancel) cannot be combined with other channels")
        for channel in channels:
            if provider.procedure_for(sim, channel) is None:
                yield Problem(
                    file, f"channels.{sim}", f"no procedure for {sim} × {channel}: provider × SIM type unreachable"
                )

    seen_ids: set[str] = set()
    covered: dict[tuple[str, str], str] = {}
    for i, proc in enumerate(provider.procedures):
        path = f"procedures[{i}]"
        if proc.id in seen_ids:
            yield Problem(file, f"{path}.id", f"duplicate procedure id {proc.id!r}")
        seen_ids.add(proc.id)
        for sim in proc.sim_types:
            if proc.channel not in provider.channels_for(sim):
                yield Problem(
                    file, f"{path}.channel", f"{proc.channel!r} is not a channel the provider offers for {sim}"
                )
            if (sim, proc.channel) in covered:
                yield Problem(
                    file, path, f"{sim} × {proc.channel} is already covered by {covered[(sim, proc.channel)]!r}"
                )
            covered[(sim, proc.channel)] = proc.id
        if proc.official_link not in provider.links:
            yield Problem(file, f"{path}.official_link", f"unknown link id {proc.official_link!r}")
        elif not provider.links[proc.official_link].official:
            yield Problem(
                file, f"{path}.official_link", "must be an official page (the link is marked official: false)"
            )
        for ref in proc.sources:
            if ref not in provider.sources:
                yield Problem(file, f"{path}.sources", f"unknown source id {ref!r}")
        for j, use in enumerate(proc.items):
            if use.id not in content.catalogue.items:
                yield Problem(file, f"{path}.items[{j}]", f"unknown item id {use.id!r}")
        yield from _text_problems(proc.title, file, f"{path}.title", provider)
        yield from _text_problems(proc.summary, file, f"{path}.summary", provider)
        yield from _phase_problems(proc, file, path)
        step_ids: set[str] = set()
        for j, step in enumerate(proc.steps):
            spath = f"{path}.steps[{j}]"
            if step.id in step_ids:
                yield Problem(file, f"{spath}.id", f"duplicate step id {step.id!r}")
            step_ids.add(step.id)
            if step.when and step.when.sim and not set(step.when.sim) <= set(proc.sim_types):
                yield Problem(file, f"{spath}.when.sim", "names a SIM type the procedure does not cover")
            yield from _text_problems(step.text, file, f"{spath}.text", provider)
            yield from _source_problems(step.sources, provider.sources, step.uncertain, file, spath)
        for sim in proc.sim_types:
            for answers in _answer_combinations(proc.questions):
                if not proc.steps_for({"sim": sim, **answers}):
                    yield Problem(file, path, f"no step applies for {sim} with answers {answers}")
    yield from _note_problems(provider, file)


def _due_problems(content: Content) -> Iterator[Problem]:
    """Timings that contradict the phase: preparing after leaving, or following up before the cancellation."""
    cancel = content.catalogue.cancel_due.offset_from_departure(0)
    if cancel > 0:
        yield Problem(content.items_file, "cancel_due", "the cancellation must fall on or before the departure")
    for item_id, item in content.catalogue.items.items():
        offset = item.due.offset_from_departure(cancel)
        if item.phase == "before" and offset > 0:
            yield Problem(content.items_file, f"items.{item_id}.due", "a `before` item cannot fall after the departure")
        if item.phase == "after" and offset < cancel:
            yield Problem(
                content.items_file, f"items.{item_id}.due", "an `after` item cannot fall before the cancellation"
            )
    for provider in content.providers.values():
        for p_index, proc in enumerate(provider.procedures):
            for s_index, step in enumerate(proc.steps):
                if step.due is not None and step.phase != "cancel":
                    path = f"procedures[{p_index}].steps[{s_index}].due"
                    yield Problem(content.files[provider.id], path, "only a `cancel` step sets when the act is due")
                elif step.due is not None and step.due.anchor == "after_cancel":
                    path = f"procedures[{p_index}].steps[{s_index}].due"
                    yield Problem(content.files[provider.id], path, "the cancellation cannot count from itself")


def check_content(content: Content) -> list[Problem]:
    problems: list[Problem] = list(_due_problems(content))
    items_file = content.items_file
    for item_id, item in content.catalogue.items.items():
        for ref in item.sources:
            if ref not in content.catalogue.sources:
                problems.append(Problem(items_file, f"items.{item_id}.sources", f"unknown source id {ref!r}"))
        problems.extend(_text_problems(item.title, items_file, f"items.{item_id}.title", None))
        problems.extend(_text_problems(item.detail, items_file, f"items.{item_id}.detail", None))
    for key, text in content.ui.items():
        problems.extend(_text_problems(text, content.ui_dir, key, None))
    for provider in content.providers.values():
        problems.extend(_provider_problems(provider, content, content.files[provider.id]))
    problems.extend(glossary_problems(content))
    return problems


def translation_progress(content: Content) -> list[tuple[str, int, int]]:
    """Per draft locale: (locale, texts that have it, all texts)."""
    texts = [text for _, _, text in _all_texts(content)]
    return [(loc, sum(loc in t.locales() for t in texts), len(texts)) for loc in DRAFT_LOCALES]


def uncertain_counts(content: Content) -> list[tuple[str, int, int]]:
    """Per provider: (id, steps marked uncertain, all steps), as `python -m content check` prints them."""
    rows = []
    for provider in content.providers.values():
        steps = [s for proc in provider.procedures for s in proc.steps]
        rows.append((provider.id, sum(s.uncertain for s in steps), len(steps)))
    return rows


def load_content(root: Path = DATA_DIR) -> Content:
    """Load and fully check the content; raises ContentError listing every problem."""
    content, problems = read_content(root)
    if content is not None:
        problems += check_content(content)
    if problems or content is None:
        raise ContentError(problems)
    return content


def _procedure_locales(content: Content, provider: Provider, sim: str, channel: str) -> list[str]:
    proc = provider.procedure_for(sim, channel)
    if proc is None:
        return []
    texts = [proc.title, proc.summary, *(s.text for s in proc.steps)]
    return [loc for loc in LOCALES if all(t[loc].strip() for t in texts)]


def coverage_matrix(content: Content) -> str:
    """Provider × SIM type rows, one column per channel, each cell listing the locales covered."""
    header = ["provider", "sim", *CHANNELS]
    rows = [header]
    for provider in content.providers.values():
        for sim in provider.sim_types():
            cells = [provider.id, sim]
            for channel in CHANNELS:
                if channel not in provider.channels_for(sim):
                    cells.append("·")
                    continue
                locales = _procedure_locales(content, provider, sim, channel)
                cells.append(",".join(locales) if locales else "MISSING")
            rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
