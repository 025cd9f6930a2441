"""Storage behind one small interface; SQLite (aiosqlite) is the embedded default."""

from bot.storage.base import Storage, Unit
from bot.storage.sqlite import SqliteStorage

__all__ = ["SqliteStorage", "Storage", "Unit"]
