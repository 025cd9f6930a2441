from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from content.loader import DATA_DIR


@pytest.fixture
def content_tree(tmp_path: Path) -> Path:
    """A private copy of the reference content (UI, items, docomo) that a test may break."""
    root = tmp_path / "data"
    shutil.copytree(DATA_DIR / "ui", root / "ui")
    shutil.copy(DATA_DIR / "items.yaml", root / "items.yaml")
    (root / "providers").mkdir()
    shutil.copy(DATA_DIR / "providers" / "docomo.yaml", root / "providers" / "docomo.yaml")
    return root
