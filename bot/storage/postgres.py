"""PostgreSQL storage, for several bot processes (webhook replicas) over one database.

Driver: psycopg 3 with psycopg-pool rather than asyncpg. Both are well kept and async; psycopg ships type
annotations (mypy strict checks every call here, asyncpg has none), speaks libpq's connection strings and
environment exactly as `psql` does (what an operator tests a URL with), and adapts JSON and dates without
custom codecs. asyncpg's speed edge is in bulk fetches; a unit of work here is a handful of one-row statements.

Correct with any number of replicas and any update reaching any replica:
- a unit is one transaction that first takes `pg_advisory_xact_lock(user_id)`: one user's units run one after
  the other across all processes, and the lock goes with the commit or rollback (no lock outlives a crash);
- nothing about a user is cached in the process: every unit reads the rows it needs;
- the dispatcher claims reminders with `FOR UPDATE SKIP LOCKED`: replicas claiming at the same moment take
  disjoint rows instead of waiting for each other;
- the bulk send budget is a token bucket in one row, shared by every replica (`take_bulk_slot`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from bot.exitcodes import ExitCode, FatalError
from bot.storage.base import ChecklistItem, Incoming, JsonDict, Reminder, Stats, Storage, Unit, UserSettings
from bot.storage.bucket import BULK_BUCKET, refill

log = logging.getLogger(__name__)

# Append only: each entry moves the schema from version i to i + 1 (the row in schema_version). The tables
# mirror SQLite's; ids and Telegram ids are BIGINT (Telegram's user and chat ids exceed 32 bits).
MIGRATIONS: Sequence[str] = (
    """
    CREATE TABLE flow_records (
        user_id BIGINT PRIMARY KEY,
        data JSONB NOT NULL
    );
    CREATE TABLE user_settings (
        user_id BIGINT PRIMARY KEY,
        chat_id BIGINT NOT NULL,
        locale TEXT NOT NULL,
        timezone TEXT NOT NULL,
        quiet_start INTEGER NOT NULL,
        quiet_end INTEGER NOT NULL,
        departure DATE,
        blocked BOOLEAN NOT NULL DEFAULT FALSE
    );
    CREATE TABLE checklists (
        user_id BIGINT PRIMARY KEY,
        procedure TEXT NOT NULL
    );
    CREATE TABLE checklist_items (
        user_id BIGINT NOT NULL,
        item_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        done BOOLEAN NOT NULL DEFAULT FALSE,
        muted BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (user_id, item_id)
    );
    CREATE TABLE reminders (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id BIGINT NOT NULL,
        chat_id BIGINT NOT NULL,
        kind TEXT NOT NULL,
        item_id TEXT,
        due_at BIGINT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_at BIGINT,
        key TEXT NOT NULL,
        last_error TEXT
    );
    CREATE INDEX reminders_due ON reminders (status, due_at);
    CREATE INDEX reminders_user ON reminders (user_id);
    CREATE UNIQUE INDEX reminders_pending_key ON reminders (key) WHERE status IN ('pending', 'claimed', 'paused');
    CREATE TABLE send_budget (
        name TEXT PRIMARY KEY,
        tokens DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE activity (
        user_id BIGINT PRIMARY KEY,
        last_seen BIGINT NOT NULL
    );
    CREATE INDEX activity_seen ON activity (last_seen);
    CREATE TABLE error_log (at BIGINT NOT NULL);
    CREATE INDEX error_log_at ON error_log (at);
    """,
    # The departure plan: the time zone the user will be in after leaving (NULL: unknown, keep `timezone`).
    """
    ALTER TABLE user_settings ADD COLUMN abroad_timezone TEXT;
    """,
    # The durable inbox. data is NULL once handled; the row stays a day so a re-sent copy is known.
    """
    CREATE TABLE inbox (
        update_id BIGINT PRIMARY KEY,
        user_id BIGINT,
        data JSONB,
        received_at BIGINT NOT NULL,
        handled_at BIGINT
    );
    CREATE INDEX inbox_pending ON inbox (update_id) WHERE handled_at IS NULL;
    CREATE INDEX inbox_handled ON inbox (handled_at);
    CREATE INDEX inbox_user ON inbox (user_id);
    """,
)
REMINDER_COLUMNS = "id, user_id, chat_id, kind, item_id, due_at, status, attempts"
USER_TABLES = ("flow_records", "user_settings", "checklist_items", "checklists", "reminders", "activity", "inbox")
HANDLED_KEPT_SECONDS = 24 * 3600  # Telegram keeps an unconfirmed update for 24 hours
ERROR_LOG_KEEP = 7 * 24 * 3600  # seconds of error timestamps kept (/stats shows the last 24 hours)
# Advisory locks of two int4 keys live apart from the one-bigint keys the units lock (PostgreSQL keeps the two
# key spaces separate), so this never collides with a user id.
MIGRATION_LOCK = (0x6A70, 1)
CONNECT_TIMEOUT = 10  # seconds: a wrong host fails at start instead of hanging
POOL_TIMEOUT = 30.0  # seconds an update waits for a free connection before it fails (and is answered so)

Conn = psycopg.AsyncConnection[Any]


def redacted(url: str) -> str:
    """The URL without its password, for log lines."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _reminders(rows: Sequence[Sequence[Any]]) -> list[Reminder]:
    return [Reminder(*row) for row in rows]


async def _read_record(conn: Conn, user_id: int) -> JsonDict:
    cur = await conn.execute("SELECT data FROM flow_records WHERE user_id = %s", (user_id,))
    row = await cur.fetchone()
    return dict(row[0]) if row else {}


async def _read_settings(conn: Conn, user_id: int) -> UserSettings | None:
    cur = await conn.execute(
        "SELECT user_id, chat_id, locale, timezone, quiet_start, quiet_end, departure, blocked, abroad_timezone "
        "FROM user_settings WHERE user_id = %s",
        (user_id,),
    )
    row = await cur.fetchone()
    return UserSettings(*row) if row else None


async def _read_checklist(conn: Conn, user_id: int) -> tuple[str | None, list[ChecklistItem]]:
    cur = await conn.execute("SELECT procedure FROM checklists WHERE user_id = %s", (user_id,))
    row = await cur.fetchone()
    cur = await conn.execute(
        "SELECT item_id, done, muted FROM checklist_items WHERE user_id = %s ORDER BY position", (user_id,)
    )
    items = [ChecklistItem(item_id, done, muted) for item_id, done, muted in await cur.fetchall()]
    return (row[0] if row else None), items


async def take_slot(conn: Conn, name: str, now: float, rate: float, burst: int) -> float:
    """The token bucket `name`, refilled at `rate` per second up to `burst`: take one token (0.0) or say how
    many seconds until one is there. Runs inside the caller's transaction; the row lock orders replicas."""
    await conn.execute(
        "INSERT INTO send_budget (name, tokens, updated_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (name, float(burst), now),
    )
    cur = await conn.execute("SELECT tokens, updated_at FROM send_budget WHERE name = %s FOR UPDATE", (name,))
    row = await cur.fetchone()
    assert row is not None  # inserted above
    tokens, wait, updated = refill(row[0], row[1], now, rate, burst)
    await conn.execute("UPDATE send_budget SET tokens = %s, updated_at = %s WHERE name = %s", (tokens, updated, name))
    return wait


class PostgresUnit(Unit):
    """Runs on the unit's own connection, inside its transaction, after the user's advisory lock."""

    def __init__(self, conn: Conn, user_id: int) -> None:
        self.conn, self.user_id = conn, user_id

    async def record(self) -> JsonDict:
        return await _read_record(self.conn, self.user_id)

    async def put_record(self, record: JsonDict) -> None:
        if record:
            await self.conn.execute(
                "INSERT INTO flow_records (user_id, data) VALUES (%s, %s) "
                "ON CONFLICT (user_id) DO UPDATE SET data = excluded.data",
                (self.user_id, Jsonb(record)),
            )
        else:
            await self.conn.execute("DELETE FROM flow_records WHERE user_id = %s", (self.user_id,))

    async def settings(self) -> UserSettings | None:
        return await _read_settings(self.conn, self.user_id)

    async def save_settings(self, settings: UserSettings) -> None:
        await self.conn.execute(
            "INSERT INTO user_settings (user_id, chat_id, locale, timezone, quiet_start, quiet_end, departure, "
            "blocked, abroad_timezone) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (user_id) DO UPDATE "
            "SET chat_id = excluded.chat_id, locale = excluded.locale, timezone = excluded.timezone, "
            "quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, departure = excluded.departure, "
            "blocked = excluded.blocked, abroad_timezone = excluded.abroad_timezone",
            (
                self.user_id,
                settings.chat_id,
                settings.locale,
                settings.timezone,
                settings.quiet_start,
                settings.quiet_end,
                settings.departure,
                settings.blocked,
                settings.abroad_timezone,
            ),
        )

    async def checklist(self) -> tuple[str | None, list[ChecklistItem]]:
        return await _read_checklist(self.conn, self.user_id)

    async def make_checklist(self, procedure: str, item_ids: list[str]) -> bool:
        current, old = await self.checklist()
        if current == procedure:
            return False
        await self.cancel_reminders(kind="follow_up")  # they belonged to the old procedure
        kept = {i.item_id: i for i in old}
        await self.conn.execute("DELETE FROM checklist_items WHERE user_id = %s", (self.user_id,))
        async with self.conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO checklist_items (user_id, item_id, position, done, muted) VALUES (%s, %s, %s, %s, %s)",
                [
                    (
                        self.user_id,
                        item_id,
                        pos,
                        item_id in kept and kept[item_id].done,
                        item_id in kept and kept[item_id].muted,
                    )
                    for pos, item_id in enumerate(item_ids)
                ],
            )
        await self.conn.execute(
            "INSERT INTO checklists (user_id, procedure) VALUES (%s, %s) "
            "ON CONFLICT (user_id) DO UPDATE SET procedure = excluded.procedure",
            (self.user_id, procedure),
        )
        return True

    async def set_item(self, item_id: str, *, done: bool | None = None, muted: bool | None = None) -> bool:
        cur = await self.conn.execute(
            "UPDATE checklist_items SET done = COALESCE(%s, done), muted = COALESCE(%s, muted) "
            "WHERE user_id = %s AND item_id = %s",
            (done, muted, self.user_id, item_id),
        )
        return cur.rowcount > 0

    async def add_reminder(self, chat_id: int, kind: str, item_id: str | None, due_at: int, key: str) -> int | None:
        cur = await self.conn.execute(
            "INSERT INTO reminders (user_id, chat_id, kind, item_id, due_at, key) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING id",
            (self.user_id, chat_id, kind, item_id, due_at, key),
        )
        row = await cur.fetchone()
        return int(row[0]) if row else None

    async def reminder(self, reminder_id: int) -> Reminder | None:
        cur = await self.conn.execute(
            f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE id = %s AND user_id = %s", (reminder_id, self.user_id)
        )
        row = await cur.fetchone()
        return Reminder(*row) if row else None

    async def reminders(self, statuses: tuple[str, ...] = ("pending", "paused")) -> list[Reminder]:
        cur = await self.conn.execute(
            f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE user_id = %s AND status = ANY(%s) ORDER BY due_at, id",
            (self.user_id, list(statuses)),
        )
        return _reminders(await cur.fetchall())

    async def set_reminder_status(self, reminder_id: int, status: str) -> None:
        await self.conn.execute(
            "UPDATE reminders SET status = %s WHERE id = %s AND user_id = %s", (status, reminder_id, self.user_id)
        )

    async def cancel_reminders(self, *, kind: str | None = None) -> int:
        cur = await self.conn.execute(
            "UPDATE reminders SET status = 'cancelled' WHERE user_id = %s AND status IN ('pending', 'paused') "
            "AND (%s::text IS NULL OR kind = %s)",
            (self.user_id, kind, kind),
        )
        return cur.rowcount

    async def resume_reminders(self, now: int) -> None:
        await self.conn.execute(
            "UPDATE reminders SET status = 'pending', due_at = GREATEST(due_at, %s) "
            "WHERE user_id = %s AND status = 'paused'",
            (now, self.user_id),
        )
        await self.conn.execute("UPDATE user_settings SET blocked = FALSE WHERE user_id = %s", (self.user_id,))

    async def erase(self) -> None:
        for table in USER_TABLES:
            await self.conn.execute(f"DELETE FROM {table} WHERE user_id = %s", (self.user_id,))


class PostgresStorage(Storage):
    def __init__(self, url: str, *, max_connections: int = 10) -> None:
        self.url = url
        self.max_connections = max_connections
        self._pool: AsyncConnectionPool[Conn] | None = None

    def _opened(self) -> AsyncConnectionPool[Conn]:
        if self._pool is None:
            raise RuntimeError("storage is not open")
        return self._pool

    async def open(self) -> None:
        if self._pool is not None:
            return
        try:
            # Migrate on a connection of its own first: a wrong URL, password or database fails here with
            # libpq's own words, not as a pool time-out.
            async with await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
            ) as conn:
                await self._migrate(conn)
            # autocommit: transactions are exactly the `conn.transaction()` blocks below.
            pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
                self.url,
                min_size=1,
                max_size=self.max_connections,
                timeout=POOL_TIMEOUT,
                kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
                open=False,
            )
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
            self._pool = pool
        except psycopg.Error as exc:
            raise FatalError(
                ExitCode.STORAGE,
                f"cannot use the PostgreSQL database {redacted(self.url)} ({str(exc).strip()}): check that the "
                "server runs and BOT_DATABASE_URL's host, port, user, password and database name",
            ) from None

    async def _migrate(self, conn: Conn) -> None:
        async with conn.transaction():
            # Replicas starting together: one migrates, the others wait here and then find nothing to do.
            await conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", MIGRATION_LOCK)
            await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            cur = await conn.execute("SELECT version FROM schema_version")
            row = await cur.fetchone()
            version = int(row[0]) if row else 0
            if row is None:
                await conn.execute("INSERT INTO schema_version (version) VALUES (0)")
            if version > len(MIGRATIONS):
                raise RuntimeError(f"the database has schema v{version}, newer than this code (v{len(MIGRATIONS)})")
            for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
                log.info("migrating %s to schema v%d", redacted(self.url), target)
                await conn.execute(script.encode())  # bytes: several statements, no parameters
                await conn.execute("UPDATE schema_version SET version = %s", (target,))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        self._pool = None

    @asynccontextmanager
    async def _transaction(self, *, snapshot: bool = False) -> AsyncIterator[Conn]:
        async with self._opened().connection() as conn, conn.transaction():
            if snapshot:  # several reads that must come from one commit
                await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield conn

    @asynccontextmanager
    async def unit(self, user_id: int) -> AsyncIterator[Unit]:
        async with self._transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (user_id,))
            yield PostgresUnit(conn, user_id)

    async def patch_record(self, user_id: int, fields: JsonDict, *, when: JsonDict) -> bool:
        async with self._transaction() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (user_id,))  # after any unit of this user
            cur = await conn.execute(
                "UPDATE flow_records SET data = data || %s WHERE user_id = %s AND data @> %s",
                (Jsonb(fields), user_id, Jsonb(when)),
            )
            return cur.rowcount > 0

    async def read_record(self, user_id: int) -> JsonDict:
        async with self._transaction() as conn:
            return await _read_record(conn, user_id)

    async def read_settings(self, user_id: int) -> UserSettings | None:
        async with self._transaction() as conn:
            return await _read_settings(conn, user_id)

    async def read_checklist(self, user_id: int) -> tuple[str | None, list[ChecklistItem]]:
        async with self._transaction(snapshot=True) as conn:
            return await _read_checklist(conn, user_id)

    async def claim_due(self, now: int, limit: int, stale_before: int) -> list[Reminder]:
        # SKIP LOCKED: a replica claiming at the same moment takes other rows instead of waiting for these;
        # once this commits, the rows are 'claimed' and no longer match another replica's WHERE.
        async with self._transaction() as conn:
            cur = await conn.execute(
                "UPDATE reminders SET status = 'claimed', claimed_at = %s, attempts = attempts + 1 WHERE id IN ("
                "SELECT id FROM reminders WHERE (status = 'pending' AND due_at <= %s) "
                "OR (status = 'claimed' AND claimed_at < %s) ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED) "
                f"RETURNING {REMINDER_COLUMNS}",
                (now, now, stale_before, limit),
            )
            rows = await cur.fetchall()
        return sorted(_reminders(rows), key=lambda r: (r.due_at, r.id))

    async def mark_reminder(
        self, reminder_id: int, status: str, *, due_at: int | None = None, error: str | None = None
    ) -> None:
        async with self._transaction() as conn:
            await conn.execute(
                "UPDATE reminders SET status = %s, due_at = COALESCE(%s, due_at), last_error = %s WHERE id = %s",
                (status, due_at, error, reminder_id),
            )

    async def pause_user_reminders(self, user_id: int) -> None:
        async with self._transaction() as conn:
            # In turn with the user's units: one may be resuming these reminders right now.
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (user_id,))
            await conn.execute(
                "UPDATE reminders SET status = 'paused' WHERE user_id = %s AND status IN ('pending', 'claimed')",
                (user_id,),
            )
            await conn.execute("UPDATE user_settings SET blocked = TRUE WHERE user_id = %s", (user_id,))

    async def take_bulk_slot(self, now: float, rate: float, burst: int) -> float:
        async with self._transaction() as conn:
            return await take_slot(conn, BULK_BUCKET, now, rate, burst)

    async def ping(self) -> None:
        async with self._transaction() as conn:
            await conn.execute("SELECT 1")

    async def note_activity(self, user_id: int, now: int) -> None:
        async with self._transaction() as conn:
            await conn.execute(
                "INSERT INTO activity (user_id, last_seen) VALUES (%s, %s) "
                "ON CONFLICT (user_id) DO UPDATE SET last_seen = GREATEST(activity.last_seen, excluded.last_seen)",
                (user_id, now),
            )

    async def note_error(self, now: int) -> None:
        async with self._transaction() as conn:
            await conn.execute("INSERT INTO error_log (at) VALUES (%s)", (now,))
            await conn.execute("DELETE FROM error_log WHERE at < %s", (now - ERROR_LOG_KEEP,))

    async def stats(self, *, active_since: int, errors_since: int, top: int = 10) -> Stats:
        async with self._transaction(snapshot=True) as conn:

            async def one(sql: str, *args: Any) -> int:
                cur = await conn.execute(sql.encode(), args)
                row = await cur.fetchone()
                return int(row[0]) if row else 0

            cur = await conn.execute(
                "SELECT procedure, count(*) FROM checklists GROUP BY procedure ORDER BY count(*) DESC, procedure "
                "LIMIT %s",
                (top,),
            )
            procedures = [(str(name), int(n)) for name, n in await cur.fetchall()]
            return Stats(
                active_users=await one("SELECT count(*) FROM activity WHERE last_seen >= %s", active_since),
                top_procedures=procedures,
                reminders_sent=await one("SELECT count(*) FROM reminders WHERE status = 'sent'"),
                reminders_failed=await one("SELECT count(*) FROM reminders WHERE status = 'failed'"),
                reminders_pending=await one("SELECT count(*) FROM reminders WHERE status IN ('pending', 'claimed')"),
                errors=await one("SELECT count(*) FROM error_log WHERE at >= %s", errors_since),
            )

    async def keep_updates(self, updates: Sequence[Incoming], now: int) -> set[int]:
        fresh: set[int] = set()
        async with self._transaction() as conn:
            await conn.execute("DELETE FROM inbox WHERE handled_at < %s", (now - HANDLED_KEPT_SECONDS,))
            for update in updates:
                cur = await conn.execute(
                    "INSERT INTO inbox (update_id, user_id, data, received_at) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    (update.update_id, update.user_id, Jsonb(update.data), now),
                )
                if cur.rowcount:
                    fresh.add(update.update_id)
        return fresh

    async def pending_updates(self) -> list[JsonDict]:
        async with self._transaction() as conn:
            cur = await conn.execute("SELECT data FROM inbox WHERE handled_at IS NULL ORDER BY update_id")
            return [dict(data) for (data,) in await cur.fetchall()]

    async def mark_handled(self, update_ids: Sequence[int], now: int) -> None:
        async with self._transaction() as conn:
            await conn.execute(
                "UPDATE inbox SET data = NULL, user_id = NULL, handled_at = %s "
                "WHERE update_id = ANY(%s) AND handled_at IS NULL",
                (now, list(update_ids)),
            )
