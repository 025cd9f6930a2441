"""SQLite storage through aiosqlite: one row per user or conversation key, JSON values, WAL journal."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.base import ConversationKey, JsonDict, Storage

log = logging.getLogger(__name__)

# Append only: each entry moves the schema from version i to i + 1 (PRAGMA user_version).
MIGRATIONS: Sequence[str] = (
    """
    CREATE TABLE user_data (
        user_id INTEGER PRIMARY KEY,
        data TEXT NOT NULL
    );
    CREATE TABLE conversations (
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (name, key)
    );
    CREATE INDEX conversations_user ON conversations (user_id);
    """,
)


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def key_user_id(key: ConversationKey) -> int:
    """The user a conversation key belongs to: (chat_id, user_id[, message_id]) or (user_id,)."""
    user = key[1] if len(key) > 1 else key[0]
    return int(user)


class SqliteStorage(Storage):
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("storage is not open")
        return self._db

    async def open(self) -> None:
        if self._db is not None:
            return
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path)
        # WAL + NORMAL: a committed write survives the process being killed; readers never block the writer.
        await self.db.execute("PRAGMA journal_mode=WAL")
        await self.db.execute("PRAGMA synchronous=NORMAL")
        await self.db.execute("PRAGMA foreign_keys=ON")
        await self._migrate()

    async def _migrate(self) -> None:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        if version > len(MIGRATIONS):
            raise RuntimeError(f"database {self.path} has schema v{version}, newer than this code (v{len(MIGRATIONS)})")
        for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("migrating %s to schema v%d", self.path, target)
            await self.db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={target};\nCOMMIT;")

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def load_user_data(self) -> dict[int, JsonDict]:
        async with self.db.execute("SELECT user_id, data FROM user_data") as cur:
            return {int(uid): json.loads(data) async for uid, data in cur}

    async def load_one_user_data(self, user_id: int) -> JsonDict | None:
        async with self.db.execute("SELECT data FROM user_data WHERE user_id = ?", (user_id,)) as cur:
            row = await cur.fetchone()
        return json.loads(row[0]) if row else None

    async def save_user_data(self, user_id: int, data: JsonDict) -> None:
        if data:
            await self.db.execute(
                "INSERT INTO user_data (user_id, data) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET data = excluded.data",
                (user_id, _encode(data)),
            )
        else:
            await self.db.execute("DELETE FROM user_data WHERE user_id = ?", (user_id,))
        await self.db.commit()

    async def load_conversations(self, name: str) -> dict[ConversationKey, Any]:
        async with self.db.execute("SELECT key, state FROM conversations WHERE name = ?", (name,)) as cur:
            return {tuple(json.loads(key)): json.loads(state) async for key, state in cur}

    async def save_conversation(self, name: str, key: ConversationKey, state: Any) -> None:
        encoded_key = json.dumps(list(key))
        if state is None:
            await self.db.execute("DELETE FROM conversations WHERE name = ? AND key = ?", (name, encoded_key))
        else:
            await self.db.execute(
                "INSERT INTO conversations (name, key, user_id, state) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
                (name, encoded_key, key_user_id(key), _encode(state)),
            )
        await self.db.commit()

    async def erase_user(self, user_id: int) -> None:
        await self.db.execute("DELETE FROM user_data WHERE user_id = ?", (user_id,))
        await self.db.execute("DELETE FROM conversations WHERE user_id = ?", (user_id,))
        await self.db.commit()
