"""Memory per active user, and start-up with many users in the database.

    python -m bench memory [--users 10000 50000] [--rows 200000]

Active users: the real Application (handlers, storage, rate limiter, HTTP to the Bot API stand-in, which runs
in its own process so its memory is not counted) handles, for each simulated user, /start and a typed
provider name. The process's resident memory (VmRSS) is printed after a warm-up of 1,000 users and after each
number of users in --users, with what python-telegram-bot keeps per user (user_data, chat_data).

Start-up: `python -m bot` is started on an empty database and on one with --rows flow records (copies of a
real record); printed are the seconds from the process start until it polls (its first deleteWebhook reaches
the stand-in) and its VmRSS then.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from telegram import Bot, Update

from bench.common import machine
from bench.standin_process import StandInProcess, standin_process
from bot.settings import Settings
from bot.standin import SimUser
from content import load_content

TOKEN = "6262:bench-memory"
WARM_UP = 1_000
CONCURRENCY = 16
FIRST_USER = 10_000_000
READY_TIMEOUT = 120.0


def rss_mib(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next(entry for entry in status if entry.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def _updates(user_id: int, bot: Bot) -> list[Update]:
    """/start and a typed provider name, built here: StandIn.message_update would keep every message."""
    sender = SimUser(user_id, language_code="en").as_json()
    chat = {"id": user_id, "type": "private", "first_name": sender["first_name"]}
    start = {"type": "bot_command", "offset": 0, "length": len("/start")}
    messages: list[dict[str, Any]] = [{"text": "/start", "entities": [start]}, {"text": "docomo"}]
    return [
        Update.de_json(
            {"update_id": n, "message": {"message_id": n, "date": int(time.time()), "chat": chat, "from": sender, **m}},
            bot,
        )
        for n, m in enumerate(messages, 1)
    ]


async def _active_users(counts: list[int], standin: StandInProcess, workdir: Path) -> Path:
    from app.build import build_application  # the composition root, imported only for this benchmark

    settings = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=standin.base_url,
        bot_db_path=workdir / "active.sqlite3",
        bot_max_send_rate=1_000_000,  # the stand-in does not limit; the bench measures memory, not pacing
    )
    app = build_application(settings, load_content())

    async def users(numbers: Iterator[int]) -> None:
        for n in numbers:  # the workers share the iterator: CONCURRENCY users at a time
            for update in _updates(FIRST_USER + n, app.bot):
                await app.process_update(update)

    async with app:
        assert app.post_init is not None
        await app.post_init(app)
        done = 0
        started = time.perf_counter()
        for target in [WARM_UP, *counts]:
            numbers = iter(range(done, target))
            await asyncio.gather(*(users(numbers) for _ in range(CONCURRENCY)))
            done = target
            label = "after warm-up" if target == WARM_UP else f"{target:,} users"
            print(
                f"{label:>16}: VmRSS {rss_mib():7.1f} MiB; user_data {len(app.user_data)}, chat_data "
                f"{len(app.chat_data)} entries ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
    return settings.bot_db_path


def _fill(db: Path, rows: int, sample: Path) -> None:
    with sqlite3.connect(sample) as src:
        record = src.execute("SELECT data FROM flow_records LIMIT 1").fetchone()[0]
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO flow_records (user_id, data) VALUES (?, ?)", ((FIRST_USER + n, record) for n in range(rows))
        )
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def _ready(db: Path, standin: StandInProcess, workdir: Path) -> tuple[float, float]:
    before = len(standin.stamps("deleteWebhook"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=standin.base_url, BOT_DB_PATH=str(db))
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=workdir, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            while len(stamps := standin.stamps("deleteWebhook")) == before:  # noqa: ASYNC110 - another process
                await asyncio.sleep(0.01)
        return stamps[-1] - started, rss_mib(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()


async def _startup(rows: int, sample: Path, standin: StandInProcess, workdir: Path) -> None:
    from bot.storage import SqliteStorage

    for n in (0, rows):
        db = workdir / f"start-{n}.sqlite3"
        storage = SqliteStorage(db)
        await storage.open()  # the schema, as the bot makes it
        await storage.close()
        if n:
            _fill(db, n, sample)
        seconds, rss = await _ready(db, standin, workdir)
        print(f"start-up, {n:>7,} flow records: polling after {seconds:.2f} s, VmRSS {rss:.1f} MiB", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10_000, 50_000], help="checkpoints (ascending)")
    parser.add_argument("--rows", type=int, default=200_000, help="flow records for the start-up run")
    args = parser.parse_args(argv)
    counts = sorted(n for n in args.users if n > WARM_UP)
    print(machine())
    with (
        tempfile.TemporaryDirectory() as tmp,
        standin_process(TOKEN, range(FIRST_USER, FIRST_USER + max(counts, default=WARM_UP))) as standin,
    ):
        workdir = Path(tmp)
        sample = asyncio.run(_active_users(counts, standin, workdir))
        asyncio.run(_startup(args.rows, sample, standin, workdir))
    return 0
