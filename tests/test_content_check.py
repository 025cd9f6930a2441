"""The content check: the shipped content passes, and each kind of mistake fails with file, path and reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import content.check
import content.loader
import content.schema
from content import ContentError, coverage_matrix, load_content
from content.__main__ import main as content_main
from content.loader import DATA_DIR


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_content(root)
    return [str(p) for p in info.value.problems]


def test_shipped_content_passes_and_prints_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    assert content_main(["check"]) == 0
    out = capsys.readouterr().out
    rows = {tuple(line.split()[:2]) for line in out.splitlines() if line.strip()}
    assert ("docomo", "physical") in rows
    assert ("docomo", "esim") in rows
    assert "content check OK" in out


def test_reference_tree_passes(content_tree: Path) -> None:
    content = load_content(content_tree)
    matrix = coverage_matrix(content)
    assert matrix.count("zh-Hans,en,ja,zh-Hant,vi,ko") == 4  # docomo: 2 SIM types × online, shop


def _docomo(root: Path) -> Path:
    return root / "providers" / "docomo.yaml"


# Positions of the reference steps the broken fixtures edit, so they survive reordering of docomo.yaml.
_REFERENCE = yaml.safe_load(_docomo(DATA_DIR).read_text(encoding="utf-8"))
_ONLINE_STEPS = [s["id"] for s in _REFERENCE["procedures"][0]["steps"]]
SHOP_ITEMS = len(_REFERENCE["procedures"][1]["items"])  # index of an item appended to the shop procedure
WEAK = _ONLINE_STEPS.index("check_line_type")  # rests only on a third-party guide, marked uncertain
LOGIN = _ONLINE_STEPS.index("log_in")  # names {link:cancel_page}


BROKEN: dict[str, tuple[Callable[[Any], None], str]] = {
    "missing translation": (
        lambda d: d["procedures"][0]["steps"][0]["text"].pop("ja"),
        "providers/docomo.yaml: procedures[0].steps[0].text: missing translation(s): ja",
    ),
    "unknown item": (
        lambda d: d["procedures"][1]["items"].append("pay_with_crypto"),
        f"providers/docomo.yaml: procedures[1].items[{SHOP_ITEMS}]: unknown item id 'pay_with_crypto'",
    ),
    "channel not offered": (
        lambda d: d["procedures"][1].update(channel="phone"),
        "providers/docomo.yaml: procedures[1].channel: 'phone' is not a channel the provider offers for physical",
    ),
    "unreachable sim type": (
        lambda d: d["channels"].update(esim=["online", "shop", "post"]),
        "providers/docomo.yaml: channels.esim: no procedure for esim × post",
    ),
    "step without source": (
        lambda d: d["procedures"][0]["steps"][WEAK].update(sources=[]),
        f"providers/docomo.yaml: procedures[0].steps[{WEAK}].sources: List should have at least 1 item",
    ),
    "unknown source id": (
        lambda d: d["procedures"][0]["steps"][WEAK].update(sources=["my_blog"]),
        f"providers/docomo.yaml: procedures[0].steps[{WEAK}].sources: unknown source id 'my_blog'",
    ),
    "official link to a non-official page": (
        lambda d: d["links"]["cancel_page"].update(official=False),
        "providers/docomo.yaml: official_link: must be an official page",
    ),
    "malformed URL": (
        lambda d: d["links"]["cancel_page"].update(url="htp:/docomo"),
        "providers/docomo.yaml: links.cancel_page.url: 'htp:/docomo' is not a well-formed http(s) URL",
    ),
    "malformed phone": (
        lambda d: d["phones"]["info_free"].update(number="0120 800 000"),
        "providers/docomo.yaml: phones.info_free.number: '0120 800 000' is not a phone number",
    ),
    "schema error": (
        lambda d: d.update(kind="telco"),
        "providers/docomo.yaml: kind: Input should be 'major', 'sub_brand', 'mvno', 'travel_prepaid' or 'pocket_wifi'",
    ),
    "raw phone number in prose": (
        lambda d: d["procedures"][0]["steps"][WEAK]["text"].update(en="Call 0120-800-000 now."),
        f"providers/docomo.yaml: procedures[0].steps[{WEAK}].text.en: a phone number in the text",
    ),
    "raw URL in prose": (
        lambda d: d["procedures"][0]["steps"][WEAK]["text"].update(ja="https://example.com を開く"),
        f"providers/docomo.yaml: procedures[0].steps[{WEAK}].text.ja: a URL in the text",
    ),
    "placeholder drift": (
        lambda d: d["procedures"][0]["steps"][LOGIN]["text"].update({"zh-Hans": "打开 My docomo。"}),
        f"providers/docomo.yaml: procedures[0].steps[{LOGIN}].text.en: placeholders differ from zh-Hans: {{link:cancel_page}}",
    ),
    "unknown link placeholder": (
        lambda d: d["procedures"][0]["steps"][LOGIN]["text"].update(
            {
                k: v.replace("{link:cancel_page}", "{link:nowhere}")
                for k, v in d["procedures"][0]["steps"][LOGIN]["text"].items()
            }
        ),
        f"providers/docomo.yaml: procedures[0].steps[{LOGIN}].text.zh-Hans: unknown link id 'nowhere'",
    ),
    "weak source stated as certain": (
        lambda d: d["procedures"][0]["steps"][WEAK].update(uncertain=False),
        f"providers/docomo.yaml: procedures[0].steps[{WEAK}]: rests only on aggregator/3rd-party sources",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_file_names_file_and_field(content_tree: Path, case: str) -> None:
    change, expected = BROKEN[case]
    _edit(_docomo(content_tree), change)
    problems = _problems(content_tree)
    assert any(expected in p for p in problems), problems


def test_yaml_syntax_error_names_the_file(content_tree: Path) -> None:
    _docomo(content_tree).write_text("id: docomo\nname: [unclosed\n", encoding="utf-8")
    problems = _problems(content_tree)
    assert any(p.startswith("data/providers/docomo.yaml: cannot read") for p in problems), problems


def test_missing_ui_translation_names_locale_file_and_key(content_tree: Path) -> None:
    ja = content_tree / "ui" / "ja.yaml"
    _edit(ja, lambda d: d.pop("ask_sim"))
    assert "data/ui/ja.yaml: ask_sim: missing translation (ja)" in _problems(content_tree)


def test_ui_placeholder_drift_is_caught(content_tree: Path) -> None:
    _edit(content_tree / "ui" / "en.yaml", lambda d: d.update(step_progress="Step {n}"))
    assert any("step_progress.en: placeholders differ" in p for p in _problems(content_tree))


def test_check_command_exits_non_zero_and_reports(content_tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(_docomo(content_tree), lambda d: d["procedures"][0].update(checked_on="yesterday"))
    assert content_main(["check", "--root", str(content_tree)]) == 1
    err = capsys.readouterr().err
    assert "content check FAILED" in err
    assert "data/providers/docomo.yaml: procedures[0].checked_on:" in err


def _online_step(data: Any, step_id: str) -> Any:
    return next(s for s in data["procedures"][0]["steps"] if s["id"] == step_id)


def test_step_out_of_phase_order_fails(content_tree: Path) -> None:
    # The last bill (after) moved before the login (cancel) on the same path.
    def change(d: Any) -> None:
        steps = d["procedures"][0]["steps"]
        bill = steps.pop(_ONLINE_STEPS.index("last_bill"))
        steps.insert(LOGIN, bill)

    _edit(_docomo(content_tree), change)
    problems = _problems(content_tree)
    assert any(
        f"procedures[0].steps[{LOGIN + 1}].phase: 'cancel' comes after 'last_bill' ('after')" in p for p in problems
    ), problems


def test_disjoint_branches_may_each_run_through_all_phases(content_tree: Path) -> None:
    # keep_number ends with an 'after' step (mnp_esim) listed before the cancel path's 'before' steps: fine.
    steps = [s["id"] for s in _REFERENCE["procedures"][0]["steps"]]
    assert steps.index("mnp_esim") < steps.index("leaving_before_departure")
    load_content(content_tree)


def test_step_without_phase_fails(content_tree: Path) -> None:
    _edit(_docomo(content_tree), lambda d: _online_step(d, "log_in").pop("phase"))
    assert any(f"procedures[0].steps[{LOGIN}].phase: Field required" in p for p in _problems(content_tree))


def test_note_never_shown_fails(content_tree: Path) -> None:
    # Every step of the online procedure limited to keep_number: a user who cancels sees no first step.
    def change(d: Any) -> None:
        for step in d["procedures"][0]["steps"]:
            step["when"] = {"goal": "keep_number"}

    _edit(_docomo(content_tree), change)
    problems = _problems(content_tree)
    assert any("docomo.yaml: note: never shown for physical × online with {'goal': 'cancel'" in p for p in problems)


def test_note_too_long_for_the_first_step_screen_fails(content_tree: Path) -> None:
    _edit(_docomo(content_tree), lambda d: d["note"].update(en="x" * 3300))
    problems = _problems(content_tree)
    assert any("docomo.yaml: note.en: with the first step 'mnp_dont_cancel'" in p for p in problems), problems


@pytest.mark.parametrize(
    ("locale", "text", "expected"),
    [
        ("zh-Hans", "在网上解约。", "'解约': the glossary (cancel) says '注销'"),
        ("zh-Hans", "打开注销画面。", "'画面': the glossary (screen) says '页面 / 屏幕'"),
        ("zh-Hans", "需要本人确认。", "'本人确认': the glossary (identity_check)"),
        ("zh-Hans", "合约本人去门店。", "'合约本人': the glossary (contract_holder) says '签约人本人'"),
        (
            "en",
            "Log in with your dアカウント.",
            "first use of 'dアカウント' must be glossed as 'd ACCOUNT (dアカウント)'",
        ),
        (
            "zh-Hans",
            "先取得 MNP予約番号。",
            "first use of 'MNP予約番号' must be glossed as '携号转网预约号（MNP予約番号）'",
        ),
    ],
)
def test_glossary_flags_inconsistent_terms(content_tree: Path, locale: str, text: str, expected: str) -> None:
    _edit(_docomo(content_tree), lambda d: _online_step(d, "choose_email")["text"].update({locale: text}))
    index = _ONLINE_STEPS.index("choose_email")
    problems = _problems(content_tree)
    assert any(f"procedures[0].steps[{index}].text.{locale}: {expected}" in p for p in problems), problems


def test_glossary_allows_quoted_labels_and_glossed_terms(content_tree: Path) -> None:
    texts = {
        "zh-Hans": "点「解約する」按钮。用 d账户（dアカウント）登录，之后 dアカウント 仍然保留。",
        "en": "Tap 「解約」. Log in with your d ACCOUNT (dアカウント); the dアカウント stays.",
    }
    _edit(_docomo(content_tree), lambda d: _online_step(d, "choose_email")["text"].update(texts))
    load_content(content_tree)


def test_glossary_term_that_forbids_itself_fails(content_tree: Path) -> None:
    _edit(content_tree / "glossary.yaml", lambda d: d["terms"]["cancel"]["forbidden"].update(ja=["解約"]))
    problems = _problems(content_tree)
    assert any("glossary.yaml: terms.cancel.forbidden.ja: '解約' is part of the term itself" in p for p in problems)


def test_check_prints_uncertain_steps_per_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert content_main(["check"]) == 0
    out = capsys.readouterr().out
    content = load_content()
    docomo = [s for proc in content.providers["docomo"].procedures for s in proc.steps]
    counts = out.split("uncertain steps per provider")[1].splitlines()[1 : 1 + len(content.providers)]
    assert [line.split()[0] for line in counts] == list(content.providers)
    docomo_line = counts[list(content.providers).index("docomo")]
    assert docomo_line.split()[1:4] == [str(sum(s.uncertain for s in docomo)), "/", str(len(docomo))]


def _progress(root: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    assert content_main(["check", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    if "locales being translated" not in out:
        return {}
    lines = out.split("locales being translated")[1].split("\n\n")[0].splitlines()[1:]
    return {line.split()[0]: int(line.split()[1]) for line in lines}


@pytest.fixture
def thai_in_translation(monkeypatch: pytest.MonkeyPatch) -> None:
    """A next language ("th") being translated, as the draft-locale machinery is meant to hold it."""
    for module in (content.schema, content.loader, content.check):
        monkeypatch.setattr(module, "DRAFT_LOCALES", ("th",))


def test_all_six_locales_are_required(content_tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _progress(content_tree, capsys) == {}  # nothing is being translated: no progress section
    _edit(_docomo(content_tree), lambda d: [d["name"].pop(loc) for loc in ("zh-Hant", "vi", "ko")])
    ui = content_tree / "ui" / "vi.yaml"
    strings = yaml.safe_load(ui.read_text(encoding="utf-8"))
    ui.write_text(yaml.safe_dump({k: v for k, v in strings.items() if k != "ask_sim"}), encoding="utf-8")
    problems = _problems(content_tree)
    assert "data/providers/docomo.yaml: name: missing translation(s): zh-Hant, vi, ko" in problems
    assert "data/ui/vi.yaml: ask_sim: missing translation (vi)" in problems


@pytest.mark.usefixtures("thai_in_translation")
def test_draft_locale_is_optional_per_text_and_counted(content_tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    th_ui = content_tree / "ui" / "th.yaml"
    th_ui.write_text(yaml.safe_dump({"ask_sim": "ซิมการ์ดหรือ eSIM?"}, allow_unicode=True), encoding="utf-8")
    content = load_content(content_tree)
    assert "th" not in content.providers["docomo"].name.locales()
    assert content.ui["ask_sim"]["th"] == "ซิมการ์ดหรือ eSIM?"
    before = _progress(content_tree, capsys)
    assert set(before) == {"th"}

    _edit(_docomo(content_tree), lambda d: d["name"].update(th="docomo (NTT)"))
    th_ui.write_text(
        yaml.safe_dump({"ask_sim": "ซิมการ์ดหรือ eSIM?", "ask_provider": "ใช้ค่ายไหน?"}, allow_unicode=True),
        encoding="utf-8",
    )
    content = load_content(content_tree)
    assert content.providers["docomo"].name["th"] == "docomo (NTT)"
    assert content.ui["ask_provider"]["th"] == "ใช้ค่ายไหน?"
    assert "th" not in content.ui["help"].locales()
    assert _progress(content_tree, capsys) == {"th": before["th"] + 2}


@pytest.mark.usefixtures("thai_in_translation")
def test_draft_translation_is_checked_like_the_others(content_tree: Path) -> None:
    def drifting_placeholder(d: Any) -> None:
        step = next(s for s in d["procedures"][0]["steps"] if "{link:" in s["text"]["en"])
        step["text"]["th"] = "ขั้นตอนที่แปลโดยไม่มีลิงก์"

    _edit(_docomo(content_tree), drifting_placeholder)
    _edit(content_tree / "glossary.yaml", lambda d: d["terms"]["cancel"]["forbidden"].update(th=["ยกเลิก"]))
    (content_tree / "ui" / "th.yaml").write_text("no_such_key: ไม่มี\n", encoding="utf-8")
    problems = _problems(content_tree)
    assert any(".text.th: placeholders differ from zh-Hans" in p for p in problems)
    assert "data/ui/th.yaml: no_such_key: no such message id" in problems
    assert not any("unknown locale" in p for p in problems)  # the glossary accepts rules for a draft locale


def test_a_locale_neither_required_nor_being_translated_fails(content_tree: Path) -> None:
    _edit(content_tree / "glossary.yaml", lambda d: d["terms"]["cancel"]["forbidden"].update(th=["ยกเลิก"]))
    _edit(_docomo(content_tree), lambda d: d["name"].update(th="docomo"))
    problems = " ".join(_problems(content_tree))
    assert "unknown locale(s) th" in problems
    assert "unknown locale 'th'" in problems


def test_empty_or_unknown_locale_fails(content_tree: Path) -> None:
    _edit(_docomo(content_tree), lambda d: d["procedures"][0]["title"].update({"fr": "Résilier"}))
    _edit(_docomo(content_tree), lambda d: d["procedures"][0]["summary"].update({"zh-Hant": " "}))
    problems = " ".join(_problems(content_tree))
    assert "procedures[0].title: unknown locale(s) fr" in problems
    assert "procedures[0].summary: missing translation(s): zh-Hant" in problems
