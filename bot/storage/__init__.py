"""Storage behind one small interface; SQLite (aiosqlite) is the embedded default."""

import sqlite3

import psycopg

from bot.storage.base import Storage, Unit
from bot.storage.sqlite import SqliteStorage

# What a backend raises when the database cannot be read or written (the update is answered "not saved").
STORAGE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error)

__all__ = ["STORAGE_ERRORS", "SqliteStorage", "Storage", "Unit"]
