"""The layers import downwards only: content <- bot <- conversations <- app (the composition root). Checked on
the source, so an import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What each package may not import: anything above it.
FORBIDDEN = {
    "content": ("bot", "conversations", "app"),
    "bot": ("conversations", "app"),
    "conversations": ("app",),
}
# `python -m bot` has to keep working; its two lines call the process entry in the composition root, and
# nothing imports them.
ENTRY_SHIMS = {ROOT / "bot" / "__main__.py"}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_package_imports_a_layer_above_it(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if path not in ENTRY_SHIMS
        for name in sorted(imported(path))
        if name.split(".")[0] in FORBIDDEN[package]
    ]
    assert not wrong, wrong


def test_the_check_sees_imports() -> None:
    """The parser finds both import forms (so an empty result above means something)."""
    assert {"conversations.flow", "app.build", "bot"} <= imported(ROOT / "tests" / "data" / "layers_sample.py")
