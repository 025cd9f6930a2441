"""Our storage's unit of work (SQLite and PostgreSQL) versus python-telegram-bot's PicklePersistence, on the
same synthetic users.

    python -m bench persistence [--sizes 1000,10000,100000] [--samples 300] [--budget 30] [--postgres-url URL]

PostgreSQL: the server --postgres-url or $JPSIM_TEST_POSTGRES_URL names (a fresh database per size), else a
throwaway one started with `.ci/postgres` with fsync on; the output says which settings the server ran with.

For every size both stores are populated once with the same users (population is done the cheapest way and
is not timed: it is not a figure of interest). Then, for each store in turn:

cold start   a fresh persistence object on the existing file runs get_user_data() + get_conversations() (SQLite
             and PostgreSQL: opening the storage, with its migration check and, for PostgreSQL, the connection
             pool; records are read per update); the median of --cold-reps runs. The file was just written, so it is in the OS page cache.
per update   what one user's update costs the store. SQLite and PostgreSQL: the update's unit of work, which reads the user's
             flow record and writes it back in one transaction (the bot has no PTB persistence). Pickle:
             what Application.update_persistence does, update_user_data(uid, data) + update_conversation(
             "cancel_flow", (uid, uid), state) for one user whose data changed (PTB hands over a deepcopy;
             that copy is made outside the timer). Distinct random users, the
             same users and the same new data for both stores; a few untimed warm-up updates first. A store
             stops sampling once it has spent --budget seconds inside the timed calls and has --min-samples.
flush        flush() right after the batch of updates, then again after one more update each time; median.
disk         bytes on disk while running (SQLite: database + -wal + -shm) and after a WAL checkpoint;
             PostgreSQL: pg_total_relation_size of flow_records (table, index, TOAST; not the WAL), then after
             VACUUM.

All stores get the same PersistenceInput (user_data only; bot_data, chat_data and callback_data off).
PicklePersistence runs with its defaults: on_flush=False, single_file=True.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gc
import math
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from telegram import Bot
from telegram.ext import BasePersistence, PersistenceInput, PicklePersistence
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bench.common import machine
from bench.pgserver import describe, fresh_database, postgres_server
from bot.storage.base import Storage
from bot.storage.factory import storage_for
from bot.storage.sqlite import SqliteStorage, _encode

UserData = dict[str, Any]
Persistence = BasePersistence[UserData, dict[Any, Any], dict[Any, Any]]

CONVERSATION = "cancel_flow"
STORE_DATA = PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False)
WARMUP_UPDATES = 3

# -- synthetic users, shaped like conversations/flow.py keeps them ------------------------------------------

PROVIDERS = (
    "docomo",
    "ahamo",
    "irumo",
    "au",
    "uq_mobile",
    "povo",
    "softbank",
    "ymobile",
    "linemo",
    "rakuten",
    "iijmio",
    "mineo",
    "sakura_mobile",
    "mobal",
    "bmobile_visitor",
    "ntt_com_prepaid",
    "prepaid_data_sim",
    "genki_mobile",
    "japan_wireless",
    "keikaku",
    "lightpocket",
)
LOCALES = ("zh-Hans", "zh-Hans", "zh-Hans", "zh-Hans", "zh-Hans", "en", "en", "ja")  # mostly Chinese-speaking
QUESTIONS = ("provider", "sim", "channel", "goal", "stay")
OPTIONS: dict[str, tuple[str, ...]] = {
    "provider": PROVIDERS,
    "sim": ("physical", "esim"),
    "channel": ("online", "shop", "post"),
    "goal": ("cancel", "keep_number"),
    "stay": ("staying", "leaving", "abroad"),
}
STEP_IDS = (
    "check_line_type",
    "log_in",
    "choose_email",
    "fees",
    "last_month",
    "mail_points",
    "confirm_online",
    "esim_after",
    "sim_card",
    "mnp_onestop",
)


def _fresh(text: str) -> str:
    """A new str object equal to `text`.

    Values a bot gets from Telegram (language code) or parses out of callback data (the answers in `sel`) are
    separate objects per user; only values taken from code or content (dict keys, question and view names,
    step ids) are shared. PicklePersistence stores a shared object once, so sharing everything would flatter
    it (measured at 100k users: a ~15% smaller file and a ~20% faster cold start than with these values).
    """
    return text.encode().decode()


def _steps_of(sel: dict[str, str]) -> tuple[str, ...]:
    """A made-up procedure: 5 to 10 steps, fixed per provider."""
    provider = sel.get("provider", PROVIDERS[0])
    return STEP_IDS[: 5 + PROVIDERS.index(provider) % 6]


def synthetic_user(rng: random.Random) -> tuple[UserData, str]:
    """One user's user_data and conversation state: ~25% answering questions, ~65% on steps, ~10% summary."""
    data: UserData = {"locale": _fresh(rng.choice(LOCALES)), "screen": rng.randint(2, 900_000)}
    stage = rng.random()
    if stage < 0.25:
        answered = rng.randint(0, len(QUESTIONS) - 1)
        asked = list(QUESTIONS[:answered])
        view = QUESTIONS[answered]
        data |= {"sel": {q: _fresh(rng.choice(OPTIONS[q])) for q in asked}, "asked": asked, "view": view}
        data |= {"step": 0, "done": []}
        return data, view
    sel = {q: _fresh(rng.choice(OPTIONS[q])) for q in QUESTIONS}
    # The bot asks goal/stay only when a step depends on them; otherwise they are not in `asked`.
    asked = [q for q in QUESTIONS if q in ("provider", "sim", "channel") or rng.random() < 0.6]
    steps = _steps_of(sel)
    if stage < 0.9:
        step = rng.randrange(len(steps))
        view = "steps"
    else:
        step = len(steps) - 1
        view = "summary"
    done = [s for s in steps[:step] if rng.random() < 0.8]
    data |= {"sel": sel, "asked": asked, "view": view, "step": step, "done": done}
    return data, view


def next_screen(data: UserData, rng: random.Random) -> tuple[UserData, str]:
    """The user's data and state after one more tap: answer a question, move a step on, or start over."""
    new = copy.deepcopy(data)
    view = new["view"]
    if view in QUESTIONS:
        new["sel"][view] = _fresh(rng.choice(OPTIONS[view]))
        new["asked"].append(view)
        at = QUESTIONS.index(view) + 1
        new["view"] = QUESTIONS[at] if at < len(QUESTIONS) else "steps"
    elif view == "steps":
        steps = _steps_of(new["sel"])
        current = steps[new["step"]]
        if current not in new["done"] and rng.random() < 0.7:
            new["done"].append(current)
        if new["step"] + 1 < len(steps):
            new["step"] += 1
        else:
            new["view"] = "summary"
    else:  # summary: start over on a new screen, keeping the language
        new |= {"sel": {}, "asked": [], "view": "provider", "step": 0, "done": [], "screen": new["screen"] + 1}
    return new, new["view"]


@dataclass(frozen=True)
class Update:
    user_id: int
    data: UserData
    state: str
    state_changed: bool


@dataclass(frozen=True)
class Workload:
    size: int
    samples: list[Update]  # the timed updates, in order
    warmup: list[Update]
    extra: list[Update]  # one before each flush after the first


@dataclass(frozen=True)
class Population:
    user_data: dict[int, UserData]
    states: dict[int, str]
    workload: Workload


def make_population(size: int, samples: int, flush_reps: int, seed: int) -> Population:
    rng = random.Random(f"{seed}:{size}")
    ids = rng.sample(range(100_000_000, 8_000_000_000), size)  # Telegram-like user ids
    user_data: dict[int, UserData] = {}
    states: dict[int, str] = {}
    for uid in ids:
        user_data[uid], states[uid] = synthetic_user(rng)
    extra_count = WARMUP_UPDATES + max(0, flush_reps - 1)
    chosen = rng.sample(ids, min(size, samples + extra_count))
    updates = []
    for uid in chosen:
        data, state = next_screen(user_data[uid], rng)
        updates.append(Update(uid, data, state, state != states[uid]))
    workload = Workload(
        size=size,
        samples=updates[extra_count:],
        warmup=updates[:WARMUP_UPDATES],
        extra=updates[WARMUP_UPDATES:extra_count],
    )
    return Population(user_data=user_data, states=states, workload=workload)


# -- the stores -----------------------------------------------------------------------------------------


class Subject(ABC):
    name: str

    @abstractmethod
    async def populate(self, population: Population) -> None: ...

    @abstractmethod
    def new(self) -> Persistence:
        """A fresh persistence object on the existing file (the previous one has been released)."""

    @abstractmethod
    async def release(self) -> None: ...

    @abstractmethod
    async def checkpoint(self) -> None:
        """Bring the on-disk files to their settled size (SQLite: fold the WAL into the database)."""

    @abstractmethod
    async def disk_bytes(self) -> int: ...


class FileSubject(Subject):
    @abstractmethod
    def files(self) -> list[Path]: ...

    async def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.files() if p.exists())


class UnitPersistence(BasePersistence[UserData, dict[Any, Any], dict[Any, Any]]):
    """The bot's per-update storage cost in PTB's persistence shape, so both stores run the same loop: each
    update is one unit of work that reads the user's flow record and writes it back."""

    def __init__(self, storage: Storage) -> None:
        super().__init__(store_data=STORE_DATA)
        self.storage = storage

    async def get_user_data(self) -> dict[int, UserData]:
        await self.storage.open()
        return {}

    async def get_conversations(self, name: str) -> ConversationDict:
        return {}  # the view is part of the record

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        pass  # read inside the unit

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        async with self.storage.unit(user_id) as tx:
            await tx.record()
            await tx.put_record(data)

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        pass

    async def flush(self) -> None:
        pass  # every unit commits as it ends

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        pass

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        pass

    async def update_callback_data(self, data: Any) -> None:
        pass

    async def drop_chat_data(self, chat_id: int) -> None:
        pass

    async def drop_user_data(self, user_id: int) -> None:
        pass

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        pass

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        pass


class SqliteSubject(FileSubject):
    name = "SQLite units"

    def __init__(self, folder: Path) -> None:
        self.path = folder / "bench.sqlite3"
        self._storage: SqliteStorage | None = None

    async def populate(self, population: Population) -> None:
        # The schema from the storage, then one transaction of rows encoded exactly as the storage does.
        storage = SqliteStorage(self.path)
        await storage.open()
        await storage.close()
        with sqlite3.connect(self.path) as conn:
            conn.executemany(
                "INSERT INTO flow_records (user_id, data) VALUES (?, ?)",
                [(uid, _encode(data | {"view": population.states[uid]})) for uid, data in population.user_data.items()],
            )

    def new(self) -> Persistence:
        self._storage = SqliteStorage(self.path)
        return UnitPersistence(self._storage)

    async def release(self) -> None:
        if self._storage is not None:
            await self._storage.close()
            self._storage = None

    def files(self) -> list[Path]:
        return [self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")]

    async def checkpoint(self) -> None:
        with sqlite3.connect(self.path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class PostgresSubject(Subject):
    name = "PostgreSQL units"

    def __init__(self, url: str) -> None:
        self.url = url
        self._storage: Storage | None = None

    async def populate(self, population: Population) -> None:
        # The schema from the storage (its migrations), then one transaction of rows as put_record writes them.
        storage = storage_for(self.url)
        await storage.open()
        await storage.close()
        rows = [(uid, Jsonb(data | {"view": population.states[uid]})) for uid, data in population.user_data.items()]
        async with await psycopg.AsyncConnection.connect(self.url) as conn:
            async with conn.cursor() as cur:
                await cur.executemany("INSERT INTO flow_records (user_id, data) VALUES (%s, %s)", rows)
            await conn.commit()
            await conn.set_autocommit(True)
            await conn.execute("VACUUM ANALYZE flow_records")  # as autovacuum would have by then

    def new(self) -> Persistence:
        self._storage = storage_for(self.url)
        return UnitPersistence(self._storage)

    async def release(self) -> None:
        if self._storage is not None:
            await self._storage.close()
            self._storage = None

    async def _size(self, *, vacuum: bool) -> int:
        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            if vacuum:
                await conn.execute("VACUUM flow_records")
            row = await (await conn.execute("SELECT pg_total_relation_size('flow_records')")).fetchone()
        return int(row[0]) if row else 0

    async def disk_bytes(self) -> int:
        return await self._size(vacuum=False)

    async def checkpoint(self) -> None:
        await self._size(vacuum=True)


class PickleSubject(FileSubject):
    name = "PicklePersistence"

    def __init__(self, folder: Path, bot: Bot) -> None:
        self.path = folder / "bench.pickle"
        self.bot = bot

    def _persistence(self, *, on_flush: bool = False) -> Persistence:
        persistence = PicklePersistence(self.path, store_data=STORE_DATA, on_flush=on_flush)
        persistence.set_bot(self.bot)
        return persistence

    async def populate(self, population: Population) -> None:
        # Through PTB's own API with on_flush=True, so the file is written once, in PTB's own format.
        persistence = self._persistence(on_flush=True)
        await persistence.get_user_data()
        for uid, data in population.user_data.items():
            await persistence.update_user_data(uid, data)
            await persistence.update_conversation(CONVERSATION, (uid, uid), population.states[uid])
        await persistence.flush()

    def new(self) -> Persistence:
        return self._persistence()  # the defaults: on_flush=False, single_file=True

    async def release(self) -> None:
        pass

    async def checkpoint(self) -> None:
        pass

    def files(self) -> list[Path]:
        return [self.path]


# -- measuring ----------------------------------------------------------------------------------------------


@dataclass
class StoreResult:
    update_ns: list[int]
    state_changes: int
    flush_ns: list[int]
    cold_ns: list[int]
    disk_running: int
    disk_settled: int


async def _apply(persistence: Persistence, update: Update) -> int:
    data = copy.deepcopy(update.data)  # Application.update_persistence passes a deepcopy; not timed
    in_memory: UserData = {}
    start = time.perf_counter_ns()
    # PTB refreshes a user's data before handling their update; PicklePersistence does nothing there. The
    # SQLite store reads the record inside the update's unit.
    await persistence.refresh_user_data(update.user_id, in_memory)
    await persistence.update_user_data(update.user_id, data)
    await persistence.update_conversation(CONVERSATION, (update.user_id, update.user_id), update.state)
    return time.perf_counter_ns() - start


async def measure(subject: Subject, work: Workload, args: argparse.Namespace) -> StoreResult:
    size = work.size
    cold: list[int] = []
    persistence: Persistence | None = None
    for _ in range(args.cold_reps):
        await subject.release()
        persistence = None
        gc.collect()
        persistence = subject.new()
        start = time.perf_counter_ns()
        user_data = await persistence.get_user_data()
        conversations = await persistence.get_conversations(CONVERSATION)
        cold.append(time.perf_counter_ns() - start)
        # A sanity check of the data, not of timing. The SQLite store reads records per update (none up front).
        if len(user_data) not in (0, size) or len(conversations) not in (0, size):
            raise RuntimeError(f"{subject.name} loaded {len(user_data)} users, {len(conversations)} conversations")
        del user_data, conversations
    if persistence is None:
        raise RuntimeError("--cold-reps must be at least 1")

    for update in work.warmup:
        await _apply(persistence, update)
    gc.collect()
    budget_ns = int(args.budget * 1e9)
    times: list[int] = []
    changes = 0
    for update in work.samples:
        if len(times) >= args.min_samples and sum(times) >= budget_ns:
            break
        times.append(await _apply(persistence, update))
        changes += update.state_changed

    flushes: list[int] = []
    for rep in range(args.flush_reps):
        if rep:
            await _apply(persistence, work.extra[rep - 1])
        start = time.perf_counter_ns()
        await persistence.flush()
        flushes.append(time.perf_counter_ns() - start)

    running = await subject.disk_bytes()
    await subject.checkpoint()
    settled = await subject.disk_bytes()
    await subject.release()
    return StoreResult(times, changes, flushes, cold, running, settled)


# -- reporting ----------------------------------------------------------------------------------------------


def percentile(values: Sequence[int], q: float) -> float:
    """Nearest-rank percentile (with fewer than 100 values, p99 is the maximum)."""
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)])


def fmt_time(ns: float) -> str:
    unit, scale = next(((u, sc) for u, sc in (("s", 1e9), ("ms", 1e6)) if ns >= sc * 0.9995), ("µs", 1e3))
    value = ns / scale
    digits = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{digits}f} {unit}"


def fmt_bytes(n: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def fmt_ratio(pickle_value: float, sqlite_value: float) -> str:
    if sqlite_value <= 0:
        return "-"
    ratio = pickle_value / sqlite_value
    digits = 0 if ratio >= 100 else 1 if ratio >= 1 else 2
    return f"{ratio:.{digits}f}×"


def table(results: dict[int, dict[str, StoreResult]], names: Sequence[str], args: argparse.Namespace) -> str:
    """One column per store, in `names` order; the ratio column is the last store (Pickle) over the first."""
    header = ["users", "metric", *names, "Pickle/SQLite"]

    def median_update(r: StoreResult) -> float:
        return statistics.median(r.update_ns)

    def p99_update(r: StoreResult) -> float:
        return percentile(r.update_ns, 99)

    def median_cold(r: StoreResult) -> float:
        return statistics.median(r.cold_ns)

    metrics: list[tuple[str, Callable[[StoreResult], str], Callable[[StoreResult], float] | None]] = [
        ("per update, median", lambda r: fmt_time(median_update(r)), median_update),
        ("per update, p99", lambda r: fmt_time(p99_update(r)), p99_update),
        ("per update, samples (state changed)", lambda r: f"{len(r.update_ns)} ({r.state_changes})", None),
        (
            f"flush after the batch, median of {args.flush_reps}",
            lambda r: fmt_time(statistics.median(r.flush_ns)),
            None,
        ),
        (f"cold start, median of {args.cold_reps}", lambda r: fmt_time(median_cold(r)), median_cold),
        ("disk while running", lambda r: fmt_bytes(r.disk_running), None),
        ("disk after checkpoint", lambda r: fmt_bytes(r.disk_settled), None),
    ]
    rows: list[list[str]] = []
    for size, by_store in results.items():
        stores = [by_store[name] for name in names]
        for i, (metric, show, value) in enumerate(metrics):
            ratio = fmt_ratio(value(stores[-1]), value(stores[0])) if value is not None else ""
            rows.append([f"{size:,}" if i == 0 else "", metric, *(show(r) for r in stores), ratio])
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]

    def line(cells: list[str]) -> str:
        left = [cells[0].ljust(widths[0]), cells[1].ljust(widths[1])]
        right = [cell.rjust(width) for cell, width in zip(cells[2:], widths[2:], strict=True)]
        return "  ".join(left + right).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    for i, row in enumerate(rows):
        if i and row[0]:
            out.append("")
        out.append(line(row))
    return "\n".join(out)


def targets(results: dict[int, dict[str, StoreResult]], names: Sequence[str]) -> list[str]:
    sq, pk = names[0], names[-1]
    sizes = sorted(results)
    lines = ["claimed targets (reported, not asserted):"]
    if len(sizes) > 1:
        small, large = results[sizes[0]][sq], results[sizes[-1]][sq]
        med = statistics.median(large.update_ns) / statistics.median(small.update_ns)
        p99 = percentile(large.update_ns, 99) / percentile(small.update_ns, 99)
        verdict = "met" if med <= 1.5 else "NOT met"
        lines.append(
            f"  per-update cost flat in users: median at {sizes[-1]:,} / at {sizes[0]:,} users = {med:.2f}×, "
            f"p99 {p99:.2f}× -> {verdict} (flat taken as: median within 1.5×)"
        )
    else:
        lines.append("  (flatness needs at least two --sizes)")
    if 100_000 in results:
        s, p = results[100_000][sq], results[100_000][pk]
        ratio = statistics.median(p.update_ns) / statistics.median(s.update_ns)
        verdict = "met" if ratio >= 5 else "NOT met"
        lines.append(
            f"  ≥5× cheaper per update than Pickle at 100,000 users: median ratio {fmt_ratio(ratio, 1)} -> {verdict}"
        )
        cold = statistics.median(s.cold_ns)
        verdict = "met" if cold < 1e9 else "NOT met"
        lines.append(f"  cold start < 1 s at 100,000 users: {fmt_time(cold)} -> {verdict}")
    else:
        lines.append("  (the 100,000-user targets need --sizes to include 100000)")
    return lines


def _filesystem(path: Path) -> str:
    best, fstype = "", "?"
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for entry in mounts:
                fields = entry.split()
                if len(fields) > 2 and str(path).startswith(fields[1]) and len(fields[1]) > len(best):
                    best, fstype = fields[1], fields[2]
    except OSError:
        pass
    return fstype


# -- entry point --------------------------------------------------------------------------------------------


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {text!r}") from None
    if not sizes or min(sizes) < 10:
        raise argparse.ArgumentTypeError("sizes must be integers ≥ 10")
    return sizes


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench persistence",
        description="The storage's unit of work vs PTB's PicklePersistence: per-update, flush, cold start, disk.",
    )
    parser.add_argument("--sizes", type=_sizes, default=[1_000, 10_000, 100_000], help="users, e.g. 1000,10000")
    parser.add_argument("--samples", type=int, default=300, help="timed updates per store and size (300)")
    parser.add_argument(
        "--budget",
        type=float,
        default=30.0,
        help="seconds a store may spend in timed updates per size before it stops sampling (30)",
    )
    parser.add_argument("--min-samples", type=int, default=20, help="samples taken whatever the budget (20)")
    parser.add_argument("--cold-reps", type=int, default=3, help="cold starts per store and size (3)")
    parser.add_argument("--flush-reps", type=int, default=3, help="flushes per store and size (3)")
    parser.add_argument(
        "--postgres-url",
        default=None,
        help="a PostgreSQL server to use (a database is created per size and dropped); default: "
        "$JPSIM_TEST_POSTGRES_URL, else a throwaway server with fsync on",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None, help="parent folder for the temporary files (system temp)")
    parser.add_argument(
        "--cpu",
        type=int,
        default=None,
        help="pin the process (event loop and aiosqlite's thread) to this CPU; default: not pinned, as a bot runs",
    )
    args = parser.parse_args(list(argv))
    for name in ("samples", "min_samples", "cold_reps", "flush_reps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be ≥ 1")
    return args


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def run(args: argparse.Namespace, server: str) -> tuple[dict[int, dict[str, StoreResult]], list[str]]:
    bot = Bot("123456789:bench-token-never-used-for-a-request")
    results: dict[int, dict[str, StoreResult]] = {}
    names: list[str] = []
    for size in args.sizes:
        population = make_population(size, args.samples, args.flush_reps, args.seed)
        work = population.workload
        async with fresh_database(server) as url:
            with tempfile.TemporaryDirectory(prefix="bench-persistence-", dir=args.dir) as tmp:
                subjects: list[Subject] = [
                    SqliteSubject(Path(tmp)),
                    PostgresSubject(url),
                    PickleSubject(Path(tmp), bot),
                ]
                names = [subject.name for subject in subjects]
                for subject in subjects:
                    _progress(f"{size:>9,} users: populating {subject.name} (not timed)")
                    await subject.populate(population)
                # Only the precomputed updates stay: the bench's own copy of every user would otherwise make the
                # garbage collector's full passes during the measurements slower than in a real bot.
                del population
                gc.collect()
                results[size] = {}
                for subject in subjects:
                    _progress(f"{size:>9,} users: measuring {subject.name}")
                    results[size][subject.name] = await measure(subject, work, args)
        gc.collect()
    return results, names


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})  # before aiosqlite starts its threads, which inherit it
    fstype = _filesystem(Path(args.dir or tempfile.gettempdir()).resolve())
    load_before = os.getloadavg()[0]
    with postgres_server(args.postgres_url) as server:
        results, names = asyncio.run(run(args, server))
        load_after = os.getloadavg()[0]
        postgres = asyncio.run(describe(server))
    print(table(results, names, args))
    print()
    print(f"machine: {machine()}")
    print(f"database server: {postgres}, on this machine over loopback TCP (a fresh database per size)")
    pinned = f"pinned to CPU {args.cpu}" if args.cpu is not None else "not pinned to a CPU"
    print(f"files: a temporary folder on {fstype}, warm OS page cache (each store's file was just written); {pinned}")
    print(
        f"load average (1 min) before/after the run: {load_before:.2f}/{load_after:.2f} (includes this run itself, ~1)"
    )
    print(
        "notes: per update = SQLite and PostgreSQL: one unit of work (read the user's flow record, write it, "
        "commit; PostgreSQL takes the user's advisory lock first); Pickle: "
        "refresh_user_data + update_user_data + update_conversation for one user whose data changed; timed with "
        f"perf_counter_ns after {WARMUP_UPDATES} untimed warm-up updates; distinct random users, the same updates "
        f"for both stores; a store stops sampling after --budget {args.budget:g} s (min {args.min_samples} samples). "
        "'state changed' counts samples whose conversation state differed (PicklePersistence skips the write of "
        "an unchanged state). p99 is nearest-rank (with <100 samples: the max). "
        "Flush: right after the batch, then after one more update each time. Disk for SQLite is "
        "database + -wal + -shm while running, and after PRAGMA wal_checkpoint(TRUNCATE); for PostgreSQL "
        "pg_total_relation_size('flow_records') (no WAL), then after VACUUM. Population time is not "
        "a figure of interest and is not reported."
    )
    for text in targets(results, names):
        print(text)
    return 0
