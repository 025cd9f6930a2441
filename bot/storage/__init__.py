"""Storage behind one small interface; SQLite (aiosqlite) is the embedded default."""

from bot.storage.base import ConversationKey, Storage
from bot.storage.sqlite import SqliteStorage

__all__ = ["ConversationKey", "SqliteStorage", "Storage"]
