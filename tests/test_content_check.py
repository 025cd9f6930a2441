"""The content check: the shipped content passes, and each kind of mistake fails with file, path and reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

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
    assert matrix.count("zh-Hans,en,ja") == 4  # docomo: 2 SIM types × online, shop


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
