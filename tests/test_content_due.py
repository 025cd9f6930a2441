"""Timing as content: `due` on items and cancel steps is validated, and timings that contradict a phase fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from content import ContentError, load_content
from content.schema import Due


def _edit_items(root: Path, item: str, due: Any) -> list[str]:
    path = root / "items.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if due is None:
        del data["items"][item]["due"]
    else:
        data["items"][item]["due"] = due
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_content(root)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        ({"before_departure": "14d"}, -14),
        ({"on_departure": "0d"}, 0),
        ({"after_departure": 7}, 7),
        ({"after_cancel": "45d"}, 42),  # the cancellation 3 days before departure
    ],
)
def test_due_counts_from_its_anchor(raw: dict[str, Any], offset: int) -> None:
    assert Due.model_validate(raw).offset_from_departure(-3) == offset


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"before_departure": "14d", "after_cancel": "1d"},
        {"before_departure": "2w"},
        {"on_departure": "3d"},
        {"after_cancel": "400d"},
        {"soon": "1d"},
    ],
)
def test_malformed_due_is_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"exactly one|on_departure|less than|integer|Extra"):
        Due.model_validate(raw)


def test_every_shipped_item_is_dated_in_its_phase() -> None:
    content = load_content()
    cancel = content.catalogue.cancel_due.offset_from_departure(0)
    assert cancel < 0  # cancelled while still in Japan
    offsets = {i: item.due.offset_from_departure(cancel) for i, item in content.catalogue.items.items()}
    assert offsets["move_2fa_sms"] < cancel
    assert offsets["backup_data"] < cancel
    assert offsets["delete_esim_profile"] > offsets["confirm_cancellation"] >= cancel
    assert offsets["bank_account_timing"] == max(offsets.values())  # the bank account closes last


def test_item_without_due_names_the_field(content_tree: Path) -> None:
    problems = _edit_items(content_tree, next(iter(_items(content_tree))), None)
    assert any("due" in p and "Field required" in p for p in problems), problems


def test_before_item_after_departure_fails(content_tree: Path) -> None:
    item = next(i for i, v in _items(content_tree).items() if v["phase"] == "before")
    problems = _edit_items(content_tree, item, {"after_departure": "2d"})
    assert any(f"items.{item}.due" in p and "after the departure" in p for p in problems), problems


def test_after_item_before_cancellation_fails(content_tree: Path) -> None:
    item = next(i for i, v in _items(content_tree).items() if v["phase"] == "after")
    problems = _edit_items(content_tree, item, {"before_departure": "20d"})
    assert any(f"items.{item}.due" in p and "before the cancellation" in p for p in problems), problems


def _items(root: Path) -> dict[str, Any]:
    items: dict[str, Any] = yaml.safe_load((root / "items.yaml").read_text(encoding="utf-8"))["items"]
    return items
