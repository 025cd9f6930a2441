"""Screens built from the shipped content: phase headings, items grouped by phase, every provider note seen.

Pure view functions on a user_data dict, no bot: fast enough to walk every provider × SIM × channel × answer.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest

from content import LOCALES, Content, load_content
from content.schema import PHASES, Provider
from conversations import flow, views

CONTENT: Content = load_content()
TAG_RE = re.compile(r"<[^>]+>")
BRANCH = {"goal": ("cancel", "keep_number"), "stay": ("staying", "leaving", "abroad")}


def _plain(screen_html: str) -> str:
    return html.unescape(TAG_RE.sub("", screen_html))


def _note_start(provider: Provider, locale: str) -> str:
    """The note's opening words as a reader sees them (placeholders expanded differently, so cut before one)."""
    assert provider.note is not None
    return provider.note[locale].split("{")[0][:30]


def _paths(provider: Provider) -> Iterator[dict[str, str]]:
    """Every full set of answers a user can give for this provider."""
    for sim in provider.sim_types():
        for channel in provider.channels_for(sim):
            proc = provider.procedure_for(sim, channel)
            assert proc is not None
            questions = proc.questions
            for values in itertools.product(*(BRANCH[q] for q in questions)):
                yield {
                    "provider": provider.id,
                    "sim": sim,
                    "channel": channel,
                    **dict(zip(questions, values, strict=True)),
                }


def _on_steps(sel: dict[str, str], step: int = 0) -> dict[str, Any]:
    ud: dict[str, Any] = {}
    flow.apply(CONTENT, ud, sel)
    assert flow.current_state(ud).value == "steps", sel
    ud["step"] = step
    return ud


WITH_NOTE = [p for p in CONTENT.providers.values() if p.note is not None]


@pytest.mark.parametrize("provider", WITH_NOTE, ids=lambda p: p.id)
def test_every_note_is_on_the_first_step_of_every_path(provider: Provider) -> None:
    for sel in _paths(provider):
        for locale in LOCALES:
            first = _plain(views.step_screen(CONTENT, _on_steps(sel), locale).text)
            assert _note_start(provider, locale) in first, (sel, locale)
        steps = flow.procedure_of(CONTENT, sel)
        assert steps is not None
        if len(steps.steps_for(sel)) > 1:
            second = _plain(views.step_screen(CONTENT, _on_steps(sel, 1), "en").text)
            assert _note_start(provider, "en") not in second, sel


def test_single_channel_provider_shows_its_note_although_the_channel_question_is_skipped() -> None:
    sakura = CONTENT.providers["sakura_mobile"]
    assert all(len(sakura.channels_for(sim)) == 1 for sim in sakura.sim_types())
    ud: dict[str, Any] = {}
    flow.answer(ud, "provider", "sakura_mobile")
    assert flow.advance(CONTENT, ud).value == "sim"  # the first question after the provider carries the note
    sim_screen = _plain(views.question_screen(CONTENT, ud, "zh-Hans", "sim").text)
    assert _note_start(sakura, "zh-Hans") in sim_screen
    assert CONTENT.text("note_title", "zh-Hans", provider=sakura.name["zh-Hans"]) in sim_screen


def test_note_is_not_repeated_on_a_later_question() -> None:
    docomo = CONTENT.providers["docomo"]
    ud: dict[str, Any] = {}
    flow.answer(ud, "provider", "docomo")
    flow.answer(ud, "sim", "esim")
    assert flow.advance(CONTENT, ud).value == "channel"
    assert _note_start(docomo, "en") not in _plain(views.question_screen(CONTENT, ud, "en", "channel").text)


@pytest.mark.parametrize("locale", LOCALES)
def test_step_screen_heads_each_step_with_its_phase(locale: str) -> None:
    sel = {"provider": "docomo", "sim": "esim", "channel": "online", "goal": "cancel", "stay": "leaving"}
    proc = flow.procedure_of(CONTENT, sel)
    assert proc is not None
    steps = proc.steps_for(sel)
    seen = []
    for index, step in enumerate(steps):
        text = _plain(views.step_screen(CONTENT, _on_steps(sel, index), locale).text)
        assert step.phase is not None
        heading = CONTENT.text(f"phase_{step.phase}", locale)
        assert f"{heading}\n" in text, (step.id, locale)
        others = [CONTENT.text(f"phase_{p}", locale) for p in PHASES if p != step.phase]
        assert not any(f"{other}\n" in text for other in others), (step.id, locale)
        seen.append(step.phase)
    assert seen == sorted(seen, key=PHASES.index)
    assert set(seen) == set(PHASES)


@pytest.mark.parametrize("locale", LOCALES)
def test_summary_groups_items_under_phase_headings_in_order(locale: str) -> None:
    sel = {"provider": "docomo", "sim": "physical", "channel": "shop", "goal": "cancel", "stay": "leaving"}
    proc = flow.procedure_of(CONTENT, sel)
    assert proc is not None
    ud = _on_steps(sel)
    ud["view"] = "summary"
    text = _plain(views.summary_screen(CONTENT, ud, locale, set(), "https://t.me/x").text)
    positions = {phase: text.find(f"{CONTENT.text(f'phase_{phase}', locale)}\n") for phase in PHASES}
    items = proc.items_for(sel)
    used = [p for p in PHASES if any(CONTENT.catalogue.items[i].phase == p for i in items)]
    assert [positions[p] for p in used] == sorted(positions[p] for p in used)
    assert all(positions[p] >= 0 for p in used)
    for item_id in items:
        item = CONTENT.catalogue.items[item_id]
        at = text.find(item.title[locale])
        assert at > positions[item.phase], (item_id, locale)
        later = [positions[p] for p in PHASES[PHASES.index(item.phase) + 1 :] if p in used]
        assert all(at < pos for pos in later), (item_id, locale)
