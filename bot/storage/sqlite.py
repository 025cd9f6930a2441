"""SQLite storage through aiosqlite: one row per user or conversation key, JSON values, WAL journal."""

from __future__ import annotations

import asyncio
import errno
import functools
import json
import logging
import os
import shutil
import sqlite3
from collections.abc import Callable, Coroutine, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import aiosqlite

from bot.exitcodes import ExitCode, FatalError
from bot.storage.base import ChecklistItem, ConversationKey, JsonDict, Reminder, Storage, UserSettings

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
    """
    CREATE TABLE user_settings (
        user_id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        locale TEXT NOT NULL,
        timezone TEXT NOT NULL,
        quiet_start INTEGER NOT NULL,
        quiet_end INTEGER NOT NULL,
        departure TEXT,
        blocked INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE checklists (
        user_id INTEGER PRIMARY KEY,
        procedure TEXT NOT NULL
    );
    CREATE TABLE checklist_items (
        user_id INTEGER NOT NULL,
        item_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        muted INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, item_id)
    );
    CREATE TABLE reminders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        item_id TEXT,
        due_at INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_at INTEGER,
        key TEXT NOT NULL,
        last_error TEXT
    );
    CREATE INDEX reminders_due ON reminders (status, due_at);
    CREATE INDEX reminders_user ON reminders (user_id);
    CREATE UNIQUE INDEX reminders_pending_key ON reminders (key) WHERE status IN ('pending', 'claimed', 'paused');
    """,
)
REMINDER_COLUMNS = "id, user_id, chat_id, kind, item_id, due_at, status, attempts"


P = ParamSpec("P")
R = TypeVar("R")


def transaction(
    method: Callable[Concatenate[SqliteStorage, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[SqliteStorage, P], Coroutine[Any, Any, R]]:
    """One write, all or nothing. The connection is shared by every coroutine (handlers, the reminder
    dispatcher), so a lock keeps one coroutine's statements out of another's transaction."""

    @functools.wraps(method)
    async def wrapper(storage: SqliteStorage, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with storage._write_lock:
            try:
                result = await method(storage, *args, **kwargs)
            except BaseException:
                await storage.db.rollback()
                raise
            await storage.db.commit()
            return result

    return wrapper


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _create_private(path: Path) -> None:
    """The database holds personal data: its folder (when we create it) is 0700 and the file 0600, before
    SQLite creates it. SQLite gives the -wal and -shm files the database file's mode."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def storage_problem(path: Path, exc: BaseException) -> str:
    """One line for the operator: what is wrong with the database and what fixes it."""
    name = getattr(exc, "sqlite_errorname", "")
    err = getattr(exc, "errno", None)
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR")) or err in (errno.ENOSPC, errno.EFBIG):
        folder = next((p for p in (path.parent, *path.parents) if p.exists()), Path("."))
        free_mib = shutil.disk_usage(folder).free // (1 << 20)
        return (
            f"cannot write the database {path} ({exc}; {free_mib} MiB free on its disk): free disk space "
            "(or raise the file size limit), then start again"
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return (
            f"the database {path} is locked by another process ({exc}): stop the other bot process or tool "
            "using it (one bot process per database), then start again"
        )
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")) or isinstance(exc, PermissionError):
        return (
            f"cannot open the database {path} for writing ({exc}): make the file and its folder writable by "
            f"user id {os.getuid()}, or set BOT_DB_PATH to a writable place"
        )
    return f"cannot use the database {path} ({exc}): check the file, or set BOT_DB_PATH to another place"


def key_user_id(key: ConversationKey) -> int:
    """The user a conversation key belongs to: (chat_id, user_id[, message_id]) or (user_id,)."""
    user = key[1] if len(key) > 1 else key[0]
    return int(user)


class SqliteStorage(Storage):
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("storage is not open")
        return self._db

    async def open(self) -> None:
        if self._db is not None:
            return
        try:
            await self._connect()
            await self._migrate()
        except (sqlite3.Error, OSError) as exc:
            await self.close()
            raise FatalError(ExitCode.STORAGE, storage_problem(self.path, exc)) from None

    async def _connect(self) -> None:
        if str(self.path) != ":memory:":
            _create_private(self.path)
        self._db = await aiosqlite.connect(self.path)
        # WAL + NORMAL: a committed write survives the process being killed; readers never block the writer.
        await self.db.execute("PRAGMA journal_mode=WAL")
        await self.db.execute("PRAGMA synchronous=NORMAL")
        await self.db.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros instead of lingering in free space (/deletemydata).
        await self.db.execute("PRAGMA secure_delete=ON")
        # Take the write lock once: a read-only or locked database fails here, at start, with a clear line,
        # instead of on every update after the busy time-out.
        await self.db.execute("BEGIN IMMEDIATE")
        await self.db.rollback()

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

    async def load_one_user_data(self, user_id: int) -> JsonDict | None:
        async with self.db.execute("SELECT data FROM user_data WHERE user_id = ?", (user_id,)) as cur:
            row = await cur.fetchone()
        return json.loads(row[0]) if row else None

    @transaction
    async def save_user_data(self, user_id: int, data: JsonDict) -> None:
        if data:
            await self.db.execute(
                "INSERT INTO user_data (user_id, data) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET data = excluded.data",
                (user_id, _encode(data)),
            )
        else:
            await self.db.execute("DELETE FROM user_data WHERE user_id = ?", (user_id,))

    async def load_conversations(self, name: str) -> dict[ConversationKey, Any]:
        async with self.db.execute("SELECT key, state FROM conversations WHERE name = ?", (name,)) as cur:
            rows = await cur.fetchall()
        return {tuple(json.loads(key)): json.loads(state) for key, state in rows}

    @transaction
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

    # -- settings --
    async def get_settings(self, user_id: int) -> UserSettings | None:
        async with self.db.execute(
            "SELECT user_id, chat_id, locale, timezone, quiet_start, quiet_end, departure, blocked "
            "FROM user_settings WHERE user_id = ?",
            (user_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        departure = date.fromisoformat(row[6]) if row[6] else None
        return UserSettings(row[0], row[1], row[2], row[3], row[4], row[5], departure, bool(row[7]))

    @transaction
    async def save_settings(self, settings: UserSettings) -> None:
        await self.db.execute(
            "INSERT INTO user_settings (user_id, chat_id, locale, timezone, quiet_start, quiet_end, departure, blocked) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET chat_id = excluded.chat_id, "
            "locale = excluded.locale, timezone = excluded.timezone, quiet_start = excluded.quiet_start, "
            "quiet_end = excluded.quiet_end, departure = excluded.departure, blocked = excluded.blocked",
            (
                settings.user_id,
                settings.chat_id,
                settings.locale,
                settings.timezone,
                settings.quiet_start,
                settings.quiet_end,
                settings.departure.isoformat() if settings.departure else None,
                int(settings.blocked),
            ),
        )

    # -- checklist --
    async def get_checklist(self, user_id: int) -> tuple[str | None, list[ChecklistItem]]:
        async with self.db.execute("SELECT procedure FROM checklists WHERE user_id = ?", (user_id,)) as cur:
            row = await cur.fetchone()
        async with self.db.execute(
            "SELECT item_id, done, muted FROM checklist_items WHERE user_id = ? ORDER BY position", (user_id,)
        ) as cur:
            items = [ChecklistItem(item_id, bool(done), bool(muted)) async for item_id, done, muted in cur]
        return (row[0] if row else None), items

    @transaction
    async def replace_checklist(self, user_id: int, procedure: str, item_ids: list[str]) -> None:
        _, old = await self.get_checklist(user_id)
        kept = {i.item_id: i for i in old}
        await self.db.execute("DELETE FROM checklist_items WHERE user_id = ?", (user_id,))
        await self.db.executemany(
            "INSERT INTO checklist_items (user_id, item_id, position, done, muted) VALUES (?, ?, ?, ?, ?)",
            [
                (
                    user_id,
                    item_id,
                    pos,
                    int(kept[item_id].done if item_id in kept else 0),
                    int(item_id in kept and kept[item_id].muted),
                )
                for pos, item_id in enumerate(item_ids)
            ],
        )
        await self.db.execute(
            "INSERT INTO checklists (user_id, procedure) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET procedure = excluded.procedure",
            (user_id, procedure),
        )

    @transaction
    async def set_item(
        self, user_id: int, item_id: str, *, done: bool | None = None, muted: bool | None = None
    ) -> bool:
        changes = [(col, int(value)) for col, value in (("done", done), ("muted", muted)) if value is not None]
        assignments = ", ".join(f"{col} = ?" for col, _ in changes)
        cur = await self.db.execute(
            f"UPDATE checklist_items SET {assignments} WHERE user_id = ? AND item_id = ?",
            (*(v for _, v in changes), user_id, item_id),
        )
        return cur.rowcount > 0

    # -- reminders --
    @staticmethod
    def _reminders(rows: Iterable[Any]) -> list[Reminder]:
        return [Reminder(*row) for row in rows]

    @transaction
    async def add_reminder(
        self, user_id: int, chat_id: int, kind: str, item_id: str | None, due_at: int, key: str
    ) -> int | None:
        cur = await self.db.execute(
            "INSERT INTO reminders (user_id, chat_id, kind, item_id, due_at, key) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (user_id, chat_id, kind, item_id, due_at, key),
        )
        return cur.lastrowid if cur.rowcount else None

    async def get_reminder(self, reminder_id: int) -> Reminder | None:
        async with self.db.execute(f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE id = ?", (reminder_id,)) as cur:
            row = await cur.fetchone()
        return Reminder(*row) if row else None

    async def user_reminders(self, user_id: int, statuses: tuple[str, ...] = ("pending", "paused")) -> list[Reminder]:
        marks = ",".join("?" * len(statuses))
        async with self.db.execute(
            f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE user_id = ? AND status IN ({marks}) ORDER BY due_at",
            (user_id, *statuses),
        ) as cur:
            return self._reminders(await cur.fetchall())

    @transaction
    async def set_reminder_status(
        self, reminder_id: int, status: str, *, due_at: int | None = None, error: str | None = None
    ) -> None:
        await self.db.execute(
            "UPDATE reminders SET status = ?, due_at = COALESCE(?, due_at), last_error = ? WHERE id = ?",
            (status, due_at, error, reminder_id),
        )

    @transaction
    async def cancel_reminders(self, user_id: int, *, kind: str | None = None) -> int:
        cur = await self.db.execute(
            "UPDATE reminders SET status = 'cancelled' WHERE user_id = ? AND status IN ('pending', 'paused') "
            "AND (? IS NULL OR kind = ?)",
            (user_id, kind, kind),
        )
        return cur.rowcount

    @transaction
    async def claim_due(self, now: int, limit: int, stale_before: int) -> list[Reminder]:
        # One statement, one transaction: a second scheduler sees these rows as claimed.
        async with self.db.execute(
            f"UPDATE reminders SET status = 'claimed', claimed_at = ?, attempts = attempts + 1 WHERE id IN ("
            "SELECT id FROM reminders WHERE (status = 'pending' AND due_at <= ?) "
            "OR (status = 'claimed' AND claimed_at < ?) ORDER BY due_at LIMIT ?) "
            f"RETURNING {REMINDER_COLUMNS}",
            (now, now, stale_before, limit),
        ) as cur:
            rows = await cur.fetchall()
        return sorted(self._reminders(rows), key=lambda r: (r.due_at, r.id))

    @transaction
    async def pause_user_reminders(self, user_id: int) -> None:
        await self.db.execute(
            "UPDATE reminders SET status = 'paused' WHERE user_id = ? AND status IN ('pending', 'claimed')", (user_id,)
        )
        await self.db.execute("UPDATE user_settings SET blocked = 1 WHERE user_id = ?", (user_id,))

    @transaction
    async def resume_user_reminders(self, user_id: int, now: int) -> None:
        await self.db.execute(
            "UPDATE reminders SET status = 'pending', due_at = MAX(due_at, ?) WHERE user_id = ? AND status = 'paused'",
            (now, user_id),
        )
        await self.db.execute("UPDATE user_settings SET blocked = 0 WHERE user_id = ?", (user_id,))

    async def erase_user(self, user_id: int) -> None:
        await self._erase_rows(user_id)
        # The WAL still holds the pages as they were before the erase: copy the zeroed pages into the database
        # file and empty the WAL, so no copy of the user's rows stays on disk while the bot runs.
        async with self._write_lock, self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
            row = await cur.fetchone()
        if row is not None and row[0]:
            log.warning("checkpoint after erasing a user was blocked by a reader; the WAL is emptied later")

    @transaction
    async def _erase_rows(self, user_id: int) -> None:
        for table in ("user_data", "conversations", "user_settings", "checklists", "checklist_items", "reminders"):
            await self.db.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
