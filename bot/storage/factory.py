"""The storage a database URL names: sqlite:///path (the embedded default) or postgresql://…."""

from __future__ import annotations

from pathlib import Path

from bot.settings import SQLITE_SCHEME
from bot.storage.base import Storage
from bot.storage.postgres import PostgresStorage
from bot.storage.sqlite import SqliteStorage


def storage_for(url: str) -> Storage:
    """A storage for `url`, not yet opened. sqlite:///data/x is relative, sqlite:////srv/x absolute."""
    if url.startswith(SQLITE_SCHEME):
        return SqliteStorage(Path(url.removeprefix(SQLITE_SCHEME)))
    return PostgresStorage(url)
