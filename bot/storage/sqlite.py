"""SQLite storage through aiosqlite: a writer connection that runs one transaction at a time, and a reader
connection that, in WAL mode, sees only committed data."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import orjson

from bot.exitcodes import ExitCode, FatalError
from bot.storage.base import ChecklistItem, Incoming, JsonDict, Reminder, Stats, Storage, Unit, UserSettings
from bot.storage.bucket import BULK_BUCKET, refill

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
    # The flow record replaces user_data (same rows) and PTB's conversation states (gone: the record is the
    # one source of truth).
    """
    ALTER TABLE user_data RENAME TO flow_records;
    DROP TABLE conversations;
    """,
    """
    CREATE TABLE send_budget (
        name TEXT PRIMARY KEY,
        tokens REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE activity (
        user_id INTEGER PRIMARY KEY,
        last_seen INTEGER NOT NULL
    );
    CREATE INDEX activity_seen ON activity (last_seen);
    CREATE TABLE error_log (at INTEGER NOT NULL);
    CREATE INDEX error_log_at ON error_log (at);
    """,
    # The departure plan: the time zone the user will be in after leaving (NULL: unknown, keep `timezone`).
    """
    ALTER TABLE user_settings ADD COLUMN abroad_timezone TEXT;
    """,
    # The durable inbox. data is NULL once handled; the row stays a day so a re-sent copy is known.
    """
    CREATE TABLE inbox (
        update_id INTEGER PRIMARY KEY,
        user_id INTEGER,
        data TEXT,
        received_at INTEGER NOT NULL,
        handled_at INTEGER
    );
    CREATE INDEX inbox_pending ON inbox (update_id) WHERE handled_at IS NULL;
    CREATE INDEX inbox_handled ON inbox (handled_at);
    CREATE INDEX inbox_user ON inbox (user_id);
    """,
)
REMINDER_COLUMNS = "id, user_id, chat_id, kind, item_id, due_at, status, attempts"
USER_TABLES = ("flow_records", "user_settings", "checklists", "checklist_items", "reminders", "activity", "inbox")
ERROR_LOG_KEEP = 7 * 24 * 3600  # seconds of error timestamps kept (/stats shows the last 24 hours)
HANDLED_KEPT_SECONDS = 24 * 3600  # Telegram keeps an unconfirmed update for 24 hours
T = TypeVar("T")
INBOX_ROWS_PER_STATEMENT = 200  # at most 4 values a row: well under SQLite's 32,766 variables per statement
BUSY_TIMEOUT_MS = 10_000  # another process (a test, an operator's sqlite3) may hold the write lock briefly


def _encode(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


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


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """`values` in runs of INBOX_ROWS_PER_STATEMENT, one statement each."""
    for start in range(0, len(values), INBOX_ROWS_PER_STATEMENT):
        yield values[start : start + INBOX_ROWS_PER_STATEMENT]


def _reminders(rows: Iterable[Any]) -> list[Reminder]:
    return [Reminder(*row) for row in rows]


async def _one(db: aiosqlite.Connection, sql: str, args: Sequence[Any] = ()) -> Any:
    """The first row or None, in one trip to the connection's thread (a cursor's execute, fetch and close
    would make three, each waiting for a turn of the busy event loop while the write lock is held)."""
    rows = list(await db.execute_fetchall(sql, args))
    return rows[0] if rows else None


async def _read_record(db: aiosqlite.Connection, user_id: int) -> JsonDict:
    row = await _one(db, "SELECT data FROM flow_records WHERE user_id = ?", (user_id,))
    return dict(orjson.loads(row[0])) if row else {}


_UNREAD = object()  # a unit's settings before it has read them
SETTINGS_COLUMNS = "user_id, chat_id, locale, timezone, quiet_start, quiet_end, departure, blocked, abroad_timezone"
RECORD_AND_SETTINGS = (
    f"SELECT f.data, {', '.join(f's.{c}' for c in SETTINGS_COLUMNS.split(', '))} FROM (SELECT ? AS id) AS me "
    "LEFT JOIN flow_records AS f ON f.user_id = me.id LEFT JOIN user_settings AS s ON s.user_id = me.id"
)


def _settings(row: Sequence[Any]) -> UserSettings | None:
    """UserSettings from SETTINGS_COLUMNS (None: no row, e.g. all NULL from a LEFT JOIN)."""
    if row[0] is None:
        return None
    departure = date.fromisoformat(row[6]) if row[6] else None
    return UserSettings(row[0], row[1], row[2], row[3], row[4], row[5], departure, bool(row[7]), row[8])


async def _read_settings(db: aiosqlite.Connection, user_id: int) -> UserSettings | None:
    row = await _one(db, f"SELECT {SETTINGS_COLUMNS} FROM user_settings WHERE user_id = ?", (user_id,))
    return None if row is None else _settings(row)


async def _read_checklist(db: aiosqlite.Connection, user_id: int) -> tuple[str | None, list[ChecklistItem]]:
    # One statement, so the procedure and its items come from the same commit without a transaction.
    rows = list(
        await db.execute_fetchall(
            "SELECT c.procedure, i.item_id, i.done, i.muted FROM (SELECT ? AS id) AS me "
            "LEFT JOIN checklists AS c ON c.user_id = me.id LEFT JOIN checklist_items AS i ON i.user_id = me.id "
            "ORDER BY i.position",
            (user_id,),
        )
    )
    items = [ChecklistItem(item_id, bool(done), bool(muted)) for _, item_id, done, muted in rows if item_id is not None]
    return rows[0][0], items


async def _stats(db: aiosqlite.Connection, active_since: int, errors_since: int, top: int) -> Stats:
    async def one(sql: str, *args: Any) -> int:
        row = await _one(db, sql, args)
        return int(row[0]) if row else 0

    async with db.execute(
        "SELECT procedure, count(*) FROM checklists GROUP BY procedure ORDER BY count(*) DESC, procedure LIMIT ?",
        (top,),
    ) as cur:
        procedures = [(str(name), int(n)) async for name, n in cur]
    return Stats(
        active_users=await one("SELECT count(*) FROM activity WHERE last_seen >= ?", active_since),
        top_procedures=procedures,
        reminders_sent=await one("SELECT count(*) FROM reminders WHERE status = 'sent'"),
        reminders_failed=await one("SELECT count(*) FROM reminders WHERE status = 'failed'"),
        reminders_pending=await one("SELECT count(*) FROM reminders WHERE status IN ('pending', 'claimed')"),
        errors=await one("SELECT count(*) FROM error_log WHERE at >= ?", errors_since),
    )


class SqliteUnit(Unit):
    """Runs on the writer connection inside the storage's open transaction."""

    def __init__(self, db: aiosqlite.Connection, user_id: int) -> None:
        self.db, self.user_id = db, user_id
        self.erased = False  # the storage checkpoints the WAL once this unit has committed
        # The user's settings and checklist as this unit last read or wrote them (nothing else writes them while
        # the unit holds the write lock): _UNREAD and None until then.
        self._settings: UserSettings | object | None = _UNREAD
        self._checklist: tuple[str | None, list[ChecklistItem]] | None = None

    async def record(self) -> JsonDict:
        # The settings come along in the same trip to the connection's thread: nearly every update reads both
        # (conversations/turn.py resumes a user who had blocked the bot), and each trip is made holding the lock.
        row = await _one(self.db, RECORD_AND_SETTINGS, (self.user_id,))
        self._settings = _settings(row[1:])
        return dict(orjson.loads(row[0])) if row[0] else {}

    async def put_record(self, record: JsonDict) -> None:
        if record:
            await self.db.execute(
                "INSERT INTO flow_records (user_id, data) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET data = excluded.data",
                (self.user_id, _encode(record)),
            )
        else:
            await self.db.execute("DELETE FROM flow_records WHERE user_id = ?", (self.user_id,))

    async def settings(self) -> UserSettings | None:
        if self._settings is _UNREAD:
            self._settings = await _read_settings(self.db, self.user_id)
        return replace(self._settings) if isinstance(self._settings, UserSettings) else None  # callers may modify it

    async def save_settings(self, settings: UserSettings) -> None:
        await self.db.execute(
            "INSERT INTO user_settings (user_id, chat_id, locale, timezone, quiet_start, quiet_end, departure, blocked, "
            "abroad_timezone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
            "chat_id = excluded.chat_id, locale = excluded.locale, timezone = excluded.timezone, "
            "quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, departure = excluded.departure, "
            "blocked = excluded.blocked, abroad_timezone = excluded.abroad_timezone",
            (
                self.user_id,
                settings.chat_id,
                settings.locale,
                settings.timezone,
                settings.quiet_start,
                settings.quiet_end,
                settings.departure.isoformat() if settings.departure else None,
                int(settings.blocked),
                settings.abroad_timezone,
            ),
        )
        self._settings = replace(settings)

    async def checklist(self) -> tuple[str | None, list[ChecklistItem]]:
        if self._checklist is None:
            self._checklist = await _read_checklist(self.db, self.user_id)
        key, items = self._checklist
        return key, list(items)

    async def make_checklist(self, procedure: str, item_ids: list[str]) -> bool:
        current, old = await self.checklist()
        if current == procedure:
            return False
        await self.cancel_reminders(kind="follow_up")  # they belonged to the old procedure
        kept = {i.item_id: i for i in old}
        await self.db.execute("DELETE FROM checklist_items WHERE user_id = ?", (self.user_id,))
        await self.db.executemany(
            "INSERT INTO checklist_items (user_id, item_id, position, done, muted) VALUES (?, ?, ?, ?, ?)",
            [
                (
                    self.user_id,
                    item_id,
                    pos,
                    int(item_id in kept and kept[item_id].done),
                    int(item_id in kept and kept[item_id].muted),
                )
                for pos, item_id in enumerate(item_ids)
            ],
        )
        await self.db.execute(
            "INSERT INTO checklists (user_id, procedure) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET procedure = excluded.procedure",
            (self.user_id, procedure),
        )
        self._checklist = None
        return True

    async def set_item(self, item_id: str, *, done: bool | None = None, muted: bool | None = None) -> bool:
        changes = [(col, int(value)) for col, value in (("done", done), ("muted", muted)) if value is not None]
        assignments = ", ".join(f"{col} = ?" for col, _ in changes)
        cur = await self.db.execute(
            f"UPDATE checklist_items SET {assignments} WHERE user_id = ? AND item_id = ?",
            (*(v for _, v in changes), self.user_id, item_id),
        )
        self._checklist = None
        return cur.rowcount > 0

    async def add_reminder(self, chat_id: int, kind: str, item_id: str | None, due_at: int, key: str) -> int | None:
        cur = await self.db.execute(
            "INSERT INTO reminders (user_id, chat_id, kind, item_id, due_at, key) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (self.user_id, chat_id, kind, item_id, due_at, key),
        )
        return cur.lastrowid if cur.rowcount else None

    async def reminder(self, reminder_id: int) -> Reminder | None:
        row = await _one(
            self.db,
            f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE id = ? AND user_id = ?",
            (reminder_id, self.user_id),
        )
        return Reminder(*row) if row else None

    async def reminders(self, statuses: tuple[str, ...] = ("pending", "paused")) -> list[Reminder]:
        marks = ",".join("?" * len(statuses))
        return _reminders(
            await self.db.execute_fetchall(
                f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE user_id = ? AND status IN ({marks}) ORDER BY due_at",
                (self.user_id, *statuses),
            )
        )

    async def set_reminder_status(self, reminder_id: int, status: str) -> None:
        await self.db.execute(
            "UPDATE reminders SET status = ? WHERE id = ? AND user_id = ?", (status, reminder_id, self.user_id)
        )

    async def cancel_reminders(self, *, kind: str | None = None) -> int:
        cur = await self.db.execute(
            "UPDATE reminders SET status = 'cancelled' WHERE user_id = ? AND status IN ('pending', 'paused') "
            "AND (? IS NULL OR kind = ?)",
            (self.user_id, kind, kind),
        )
        return cur.rowcount

    async def resume_reminders(self, now: int) -> None:
        await self.db.execute(
            "UPDATE reminders SET status = 'pending', due_at = MAX(due_at, ?) WHERE user_id = ? AND status = 'paused'",
            (now, self.user_id),
        )
        await self.db.execute("UPDATE user_settings SET blocked = 0 WHERE user_id = ?", (self.user_id,))
        if isinstance(self._settings, UserSettings):
            self._settings.blocked = False

    async def erase(self) -> None:
        for table in USER_TABLES:
            await self.db.execute(f"DELETE FROM {table} WHERE user_id = ?", (self.user_id,))
        self.erased = True
        self._settings, self._checklist = None, (None, [])


class SqliteStorage(Storage):
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        # SQLite has one writer per file; units and the dispatcher's writes take turns on this connection, so
        # one coroutine's statements never land in another's transaction.
        self._write_lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()

    @staticmethod
    def _open(conn: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if conn is None:
            raise RuntimeError("storage is not open")
        return conn

    async def open(self) -> None:
        if self._writer is not None:
            return
        try:
            await self._connect()
        except (sqlite3.Error, OSError) as exc:
            await self.close()
            raise FatalError(ExitCode.STORAGE, storage_problem(self.path, exc)) from None

    async def _connect(self) -> None:
        if str(self.path) != ":memory:":
            _create_private(self.path)
        # isolation_level=None: transactions are exactly the BEGIN ... COMMIT this class issues.
        # Kept on self at once: if a pragma below fails, close() still stops the connection's thread, which
        # would otherwise keep the process from exiting.
        self._writer = writer = await aiosqlite.connect(self.path, isolation_level=None)
        # WAL + NORMAL: a committed write survives the process being killed; readers never block the writer
        # and see only committed transactions.
        await writer.execute("PRAGMA journal_mode=WAL")
        await writer.execute("PRAGMA synchronous=NORMAL")
        await writer.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Deleted rows are overwritten with zeros instead of lingering in free space (/deletemydata).
        await writer.execute("PRAGMA secure_delete=ON")
        # Take the write lock once: a read-only or locked database fails here, at start, with a clear line,
        # instead of on every update after the busy time-out.
        await writer.execute("BEGIN IMMEDIATE")
        await writer.execute("ROLLBACK")
        await self._migrate()
        self._reader = reader = await aiosqlite.connect(self.path, isolation_level=None)
        await reader.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await reader.execute("PRAGMA query_only=ON")

    async def _migrate(self) -> None:
        db = self._open(self._writer)
        row = await _one(db, "PRAGMA user_version")
        version = int(row[0]) if row else 0
        if version > len(MIGRATIONS):
            raise RuntimeError(f"database {self.path} has schema v{version}, newer than this code (v{len(MIGRATIONS)})")
        for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("migrating %s to schema v%d", self.path, target)
            await db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={target};\nCOMMIT;")

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        db = self._open(self._writer)
        async with self._write_lock:
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            await db.execute("COMMIT")

    @asynccontextmanager
    async def _alone(self) -> AsyncIterator[aiosqlite.Connection]:
        """The writer for a write that is one statement: SQLite commits it by itself, one trip to the
        connection's thread where BEGIN ... COMMIT makes three, each made holding the lock that every unit waits
        for. The lock still keeps the statement out of another coroutine's open transaction."""
        async with self._write_lock:
            yield self._open(self._writer)

    @asynccontextmanager
    async def unit(self, user_id: int) -> AsyncIterator[Unit]:
        async with self._transaction() as db:
            unit = SqliteUnit(db, user_id)
            yield unit
        if unit.erased:
            await self._checkpoint()

    async def _checkpoint(self) -> None:
        """The WAL still holds the pages as they were before an erase: copy the zeroed pages into the database
        file and empty the WAL, so no copy of the user's rows stays on disk while the bot runs."""
        db = self._open(self._writer)
        async with self._write_lock:
            row = await _one(db, "PRAGMA wal_checkpoint(TRUNCATE)")
        if row is not None and row[0]:
            log.warning("checkpoint after erasing a user was blocked by a reader; the WAL is emptied later")

    async def patch_record(self, user_id: int, fields: JsonDict, *, when: JsonDict) -> bool:
        # One statement under the write lock, which every unit holds from its start to its commit.
        sets = ", ".join("?, json(?)" for _ in fields)
        tests = "".join(" AND json_extract(data, ?) IS json_extract(?, '$')" for _ in when)
        async with self._alone() as db:
            cur = await db.execute(
                f"UPDATE flow_records SET data = json_set(data, {sets}) WHERE user_id = ?{tests}",
                [
                    *(v for key, value in fields.items() for v in (f'$."{key}"', _encode(value))),
                    user_id,
                    *(v for key, value in when.items() for v in (f'$."{key}"', _encode(value))),
                ],
            )
            return cur.rowcount > 0

    async def read_record(self, user_id: int) -> JsonDict:
        return await _read_record(self._open(self._reader), user_id)

    async def read_settings(self, user_id: int) -> UserSettings | None:
        return await _read_settings(self._open(self._reader), user_id)

    async def read_checklist(self, user_id: int) -> tuple[str | None, list[ChecklistItem]]:
        return await _read_checklist(self._open(self._reader), user_id)

    async def claim_due(self, now: int, limit: int, stale_before: int) -> list[Reminder]:
        # One statement, so one transaction: a second scheduler sees these rows as claimed.
        async with self._alone() as db:
            rows = await db.execute_fetchall(
                f"UPDATE reminders SET status = 'claimed', claimed_at = ?, attempts = attempts + 1 WHERE id IN ("
                "SELECT id FROM reminders WHERE (status = 'pending' AND due_at <= ?) "
                "OR (status = 'claimed' AND claimed_at < ?) ORDER BY due_at LIMIT ?) "
                f"RETURNING {REMINDER_COLUMNS}",
                (now, now, stale_before, limit),
            )
        return sorted(_reminders(rows), key=lambda r: (r.due_at, r.id))

    async def mark_reminder(
        self, reminder_id: int, status: str, *, due_at: int | None = None, error: str | None = None
    ) -> None:
        async with self._alone() as db:
            await db.execute(
                "UPDATE reminders SET status = ?, due_at = COALESCE(?, due_at), last_error = ? WHERE id = ?",
                (status, due_at, error, reminder_id),
            )

    async def pause_user_reminders(self, user_id: int) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE reminders SET status = 'paused' WHERE user_id = ? AND status IN ('pending', 'claimed')",
                (user_id,),
            )
            await db.execute("UPDATE user_settings SET blocked = 1 WHERE user_id = ?", (user_id,))

    async def take_bulk_slot(self, now: float, rate: float, burst: int) -> float:
        # BEGIN IMMEDIATE holds SQLite's write lock: read, refill and write back as one step, for every
        # process on this file.
        async with self._transaction() as db:
            row = await _one(db, "SELECT tokens, updated_at FROM send_budget WHERE name = ?", (BULK_BUCKET,))
            stored_tokens, updated_at = row if row else (float(burst), now)
            tokens, wait, updated = refill(stored_tokens, updated_at, now, rate, burst)
            await db.execute(
                "INSERT INTO send_budget (name, tokens, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
                (BULK_BUCKET, tokens, updated),
            )
        return wait

    async def ping(self) -> None:
        db = self._open(self._reader)
        async with self._read_lock:
            await _one(db, "SELECT 1")

    async def note_activity(self, user_id: int, now: int) -> None:
        async with self._alone() as db:
            await db.execute(
                "INSERT INTO activity (user_id, last_seen) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen)",
                (user_id, now),
            )

    async def note_error(self, now: int) -> None:
        async with self._transaction() as db:
            await db.execute("INSERT INTO error_log (at) VALUES (?)", (now,))
            await db.execute("DELETE FROM error_log WHERE at < ?", (now - ERROR_LOG_KEEP,))

    async def stats(self, *, active_since: int, errors_since: int, top: int = 10) -> Stats:
        db = self._open(self._reader)
        async with self._read_lock:
            await db.execute("BEGIN")
            try:
                return await _stats(db, active_since, errors_since, top)
            finally:
                await db.execute("COMMIT")

    async def keep_updates(self, updates: Sequence[Incoming], now: int) -> set[int]:
        fresh: set[int] = set()
        async with self._alone() as db:
            # Two statements on their own: forgetting old ids needs no atomicity with storing new ones.
            await db.execute("DELETE FROM inbox WHERE handled_at < ?", (now - HANDLED_KEPT_SECONDS,))
            # One statement per batch (getUpdates gives up to 100), all rows or none; RETURNING names the rows
            # it inserted.
            for chunk in _chunks(updates):
                rows = await db.execute_fetchall(
                    "INSERT INTO inbox (update_id, user_id, data, received_at) VALUES "
                    + ", ".join(["(?, ?, ?, ?)"] * len(chunk))
                    + " ON CONFLICT DO NOTHING RETURNING update_id",
                    [v for u in chunk for v in (u.update_id, u.user_id, _encode(u.data), now)],
                )
                fresh.update(update_id for (update_id,) in rows)
        return fresh

    async def pending_updates(self) -> list[JsonDict]:
        async with self._open(self._reader).execute(
            "SELECT data FROM inbox WHERE handled_at IS NULL ORDER BY update_id"
        ) as cur:
            return [dict(orjson.loads(data)) async for (data,) in cur]

    async def mark_handled(self, update_ids: Sequence[int], now: int) -> None:
        async with self._alone() as db:
            for chunk in _chunks(update_ids):
                await db.execute(
                    "UPDATE inbox SET data = NULL, user_id = NULL, handled_at = ? "
                    f"WHERE update_id IN ({', '.join('?' * len(chunk))}) AND handled_at IS NULL",
                    (now, *chunk),
                )
