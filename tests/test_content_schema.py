"""Schema and loader behaviour the rest of the bot relies on."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from content import LOCALES, load_content
from content.schema import Procedure, Text, When

T = {"zh-Hans": "中", "en": "en", "ja": "日", "zh-Hant": "繁", "vi": "vi", "ko": "한"}


def test_text_requires_every_locale() -> None:
    with pytest.raises(ValidationError, match="missing translation"):
        Text.model_validate({"zh-Hans": "中", "en": "en"})
    with pytest.raises(ValidationError, match="missing translation"):
        Text.model_validate({loc: T[loc] for loc in ("zh-Hans", "en", "ja")})  # the three first locales only
    with pytest.raises(ValidationError, match="missing translation"):
        Text.model_validate({**T, "ja": "   "})
    with pytest.raises(ValidationError, match="unknown locale"):
        Text.model_validate({**T, "fr": "fr"})


def test_when_accepts_scalar_or_list_and_matches_all_given_answers() -> None:
    when = When.model_validate({"goal": "cancel", "stay": ["leaving", "abroad"]})
    assert when.matches({"goal": "cancel", "stay": "abroad"})
    assert not when.matches({"goal": "cancel", "stay": "staying"})
    assert not when.matches({"goal": "keep_number", "stay": "abroad"})
    with pytest.raises(ValidationError):
        When.model_validate({"goal": "maybe"})


def _procedure(steps: list[dict[str, object]]) -> Procedure:
    return Procedure.model_validate(
        {
            "id": "p",
            "channel": "online",
            "sim_types": ["physical", "esim"],
            "title": T,
            "summary": T,
            "official_link": "x",
            "sources": ["s"],
            "checked_on": "2026-11-25",
            "items": ["a", {"id": "b", "when": {"sim": "esim"}}],
            "steps": steps,
        }
    )


def test_procedure_questions_and_branches_come_from_the_steps() -> None:
    proc = _procedure(
        [
            {"id": "keep", "phase": "cancel", "text": T, "sources": ["s"], "when": {"goal": "keep_number"}},
            {
                "id": "abroad",
                "phase": "before",
                "text": T,
                "sources": ["s"],
                "when": {"goal": "cancel", "stay": "abroad"},
            },
            {"id": "always", "phase": "cancel", "text": T, "sources": ["s"]},
            {"id": "esim", "phase": "after", "text": T, "sources": ["s"], "when": {"sim": "esim"}},
        ]
    )
    assert proc.questions == ("goal", "stay")
    ids = [s.id for s in proc.steps_for({"sim": "physical", "goal": "cancel", "stay": "abroad"})]
    assert ids == ["abroad", "always"]
    assert [s.id for s in proc.steps_for({"sim": "esim", "goal": "keep_number"})] == ["keep", "always", "esim"]
    assert proc.items_for({"sim": "physical"}) == ["a"]
    assert proc.items_for({"sim": "esim"}) == ["a", "b"]


def test_loaded_content_is_grouped_by_kind_and_fully_translated() -> None:
    content = load_content()
    kinds = [kind for kind, _ in content.grouped_providers()]
    assert kinds[0] == "major"
    docomo = content.providers["docomo"]
    assert docomo.channels_for("esim") == ["online", "shop"]
    assert docomo.procedure_for("esim", "online") is docomo.procedure("online")
    assert docomo.procedure_for("esim", "phone") is None
    for key in ("greeting", "ask_provider", "btn_back"):
        assert all(content.ui[key][loc] for loc in LOCALES)
    assert content.text("step_progress", "en", n=2, total=6) == "Step 2 of 6"
