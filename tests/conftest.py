from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import SQLITE_SCHEME
from bot.standin import StandIn
from content.loader import DATA_DIR
from tests.harness import TOKEN
from tests.postgres import fresh_database


@pytest.fixture
def content_tree(tmp_path: Path) -> Path:
    """A private copy of the reference content (UI, items, docomo) that a test may break."""
    root = tmp_path / "data"
    shutil.copytree(DATA_DIR / "ui", root / "ui")
    shutil.copy(DATA_DIR / "items.yaml", root / "items.yaml")
    shutil.copy(DATA_DIR / "glossary.yaml", root / "glossary.yaml")
    (root / "providers").mkdir()
    shutil.copy(DATA_DIR / "providers" / "docomo.yaml", root / "providers" / "docomo.yaml")
    return root


@pytest.fixture
async def standin() -> AsyncIterator[StandIn]:
    """A running local Bot API stand-in on 127.0.0.1."""
    server = StandIn(TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "bot.sqlite3"


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each backend, as BOT_DATABASE_URL names it: every test that takes it runs twice."""
    if request.param == "sqlite":
        yield f"{SQLITE_SCHEME}{tmp_path / 'bot.sqlite3'}"
    else:
        async with fresh_database() as url:
            yield url
