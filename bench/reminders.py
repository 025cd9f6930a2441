"""Reminder dispatch at scale: N due reminders claimed and sent through python-telegram-bot (the bulk budget)
to the local Bot API stand-in, over real HTTP. Reports claim throughput, dispatch throughput and the highest
send rate seen in any one-second window against the configured limit.

    python -m bench reminders [--reminders 100000] [--rate 1000] [--production-check 300]

`--rate` is BOT_MAX_SEND_RATE for the bulk run (the production default, 25/s, would take over an hour for
100k); `--production-check N` also sends N reminders at the production default to show the limit holds there.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from app import build_application
from bench.common import machine
from bench.standin_process import standin_process
from bot.budget import PacedBudget
from bot.clock import ManualClock
from bot.context import SERVICES_KEY
from bot.reminders import CLAIM_TIMEOUT, Dispatcher
from bot.schedule import epoch
from bot.settings import Settings
from bot.storage import SqliteStorage
from content import load_content
from conversations.reminder_buttons import render_reminder

TOKEN = "5151:bench-token"
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # noon in Tokyo: outside the default quiet hours
ITEMS = ("move_2fa_sms", "backup_data", "settle_final_bill")


def populate(
    db: Path,
    reminders: int,
    users: int,
    *,
    first_user: int = 1,
    quiet: tuple[int, int] = (22, 8),
    due: int | None = None,
) -> None:
    """Users with a checklist of open items, and their due reminders, written in one transaction. Reminders fall
    due over the hour before NOW, or all at `due` (epoch seconds) when given."""
    storage = SqliteStorage(db)
    asyncio.run(_migrate(storage))
    ids = range(first_user, first_user + users)
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO user_settings (user_id, chat_id, locale, timezone, quiet_start, quiet_end) VALUES (?, ?, ?, 'Asia/Tokyo', ?, ?)",
            [(uid, uid, ("zh-Hans", "en", "ja")[uid % 3], *quiet) for uid in ids],
        )
        conn.executemany(
            "INSERT INTO checklists (user_id, procedure) VALUES (?, 'docomo:online:esim')",
            [(uid,) for uid in ids],
        )
        conn.executemany(
            "INSERT INTO checklist_items (user_id, item_id, position) VALUES (?, ?, ?)",
            [(uid, item, pos) for uid in ids for pos, item in enumerate(ITEMS)],
        )
        conn.executemany(
            "INSERT INTO reminders (user_id, chat_id, kind, item_id, due_at, key) VALUES (?, ?, 'user', NULL, ?, ?)",
            [
                (ids[i % users], ids[i % users], due if due is not None else epoch(NOW) - 60 - i % 3600, f"bench:{i}")
                for i in range(reminders)
            ],
        )


async def _migrate(storage: SqliteStorage) -> None:
    await storage.open()
    await storage.close()


def max_window_rate(stamps: Sequence[float], window: float = 1.0) -> int:
    """The most sends inside any window of `window` seconds."""
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def claim_only(db: Path, total: int) -> float:
    storage = SqliteStorage(db)
    await storage.open()
    started = time.perf_counter()
    claimed = 0
    while claimed < total:
        batch = await storage.claim_due(epoch(NOW), 500, epoch(NOW - CLAIM_TIMEOUT))
        if not batch:
            break
        claimed += len(batch)
    elapsed = time.perf_counter() - started
    await storage.close()
    return elapsed


async def dispatch(db: Path, rate: float, base_url: str) -> tuple[int, float]:
    """Send every due reminder through the real bot; returns (sent, seconds)."""
    settings = Settings(
        _env_file=None,
        telegram_bot_token=SecretStr(TOKEN),
        telegram_api_base_url=base_url,
        bot_db_path=db,
        bot_max_send_rate=rate,
    )
    app = build_application(settings, load_content(), clock=ManualClock(NOW))
    async with app:
        dispatcher = Dispatcher(app.bot_data[SERVICES_KEY], app.bot, render_reminder, PacedBudget(rate))
        started = time.perf_counter()
        report = await dispatcher.run()
        elapsed = time.perf_counter() - started
    await app.bot_data[SERVICES_KEY].storage.close()
    return report.sent, elapsed


def measured_dispatch(db: Path, rate: float, users: int) -> tuple[int, float, int, int]:
    """Dispatch against a stand-in in its own process; adds the peak one-second send rate it saw."""
    with standin_process(TOKEN, range(1, users + 1)) as standin:
        sent, seconds = asyncio.run(dispatch(db, rate, standin.base_url))
        stamps = sorted(standin.stamps("sendMessage"))
    return sent, seconds, max_window_rate(stamps), len(stamps)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench reminders", description=__doc__)
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=1000.0, help="BOT_MAX_SEND_RATE for the bulk run")
    parser.add_argument("--production-check", type=int, default=300, help="reminders sent at the default 25/s")
    args = parser.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        claim_db = Path(folder) / "claim.sqlite3"
        populate(claim_db, args.reminders, args.users)
        seconds = asyncio.run(claim_only(claim_db, args.reminders))
        rows.append(("claim only (batches of 500)", args.reminders, seconds, args.reminders / seconds, "", ""))

        send_db = Path(folder) / "send.sqlite3"
        populate(send_db, args.reminders, args.users)
        sent, seconds, peak, seen = measured_dispatch(send_db, args.rate, args.users)
        rows.append(("claim + render + send", sent, seconds, sent / seconds, f"{peak}/s", f"{args.rate:g}/s"))
        if seen != args.reminders:
            print(f"WARNING: the stand-in accepted {seen} messages for {args.reminders} reminders")

        if args.production_check:
            prod_db = Path(folder) / "prod.sqlite3"
            production_rate = Settings.model_fields["bot_max_send_rate"].default
            populate(prod_db, args.production_check, min(args.users, args.production_check))
            sent, seconds, peak, _ = measured_dispatch(prod_db, production_rate, args.users)
            rows.append(
                ("same, production limit", sent, seconds, sent / seconds, f"{peak}/s", f"{production_rate:g}/s")
            )

    header = ("phase", "reminders", "seconds", "per second", "peak 1 s", "limit")
    table = [header, *[(p, f"{n:,}", f"{s:.2f}", f"{r:,.0f}", peak, limit) for p, n, s, r, peak, limit in rows]]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        print(
            "  ".join(
                str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i]) for i, cell in enumerate(row)
            )
        )
    print(f"\nmachine: {machine()}")
    return 0
