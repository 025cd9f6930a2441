"""Users ahead of a reminder wave: N users walk a procedure (again and again, `--think` seconds between taps, as
people read each screen) while M reminders fall due at the same moment, against the real bot process with its
default settings and the stand-in applying Telegram's flood limits.

    python -m bench mixed [--users 100] [--reminders 500] [--think 1.0] [--spread 0,0.5]

One run per `--spread`: 0 keeps every user in lockstep (all start together and read each screen exactly
`--think` seconds, so all of them reach the summary, the heaviest screen, in the same second, again and
again); 0.5 lets each user read a screen 0.5 to 1.5 seconds, so they drift apart as people do.

Prints the interactive latency (p50, p99, max), the bulk send rate (highest count in any one-second window,
seen by the stand-in, against BOT_MAX_SEND_RATE), how long the wave took, and every 429 the bot received.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from bench.common import machine
from bench.driving import Users, bot_process, quantile, walk
from bench.reminders import max_window_rate, populate
from bot.schedule import epoch
from bot.settings import Settings
from bot.standin import Call, SimUser, StandIn

TOKEN = "6262:bench-mixed"
WALKERS = 1000  # first walking user id
REMINDED = 100_000  # first reminded user id: they never write, so Telegram counts their messages as bulk
LEAD = 4.0  # seconds between the walks starting and the reminders falling due


async def run(db: Path, users: int, reminders: int, think: float, spread: float) -> None:
    standin = StandIn(TOKEN, limits=True)
    await standin.start()
    for uid in range(REMINDED, REMINDED + reminders):
        standin.open_chat(uid)
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "BOT_DB_PATH": str(db),
        "BOT_REMINDER_INTERVAL": "1",
    }
    rate = Settings.model_fields["bot_max_send_rate"].default
    driver = Users(standin)
    try:
        async with bot_process(["-m", "bot", "--log-level", "WARNING"], env, cpus=None, cwd=db.parent):
            await walk(driver, SimUser(1), record=False)  # warm-up, tapping without pause: not counted below
            measured = time.monotonic()
            await _due_in(db, LEAD)
            stop = asyncio.Event()
            walkers = [
                asyncio.create_task(_keep_walking(driver, SimUser(WALKERS + u), think, spread, stop))
                for u in range(users)
            ]
            wave_start, wave_end = await _wave(standin, reminders)
            stop.set()
            await asyncio.gather(*walkers)
    finally:
        await standin.stop()
    bulk = sorted(c.at for c in standin.calls if c.ok and c.method == "sendMessage" and _reminded(c.params))
    flooded = [c for c in standin.calls if c.at >= measured and not c.ok and "Too Many Requests" in str(c.result)]
    lat = driver.latencies
    reading = f"{think:g} s" if not spread else f"{think - spread:g} to {think + spread:g} s"
    print(f"{users} users walking ({reading} between taps) while {reminders} reminders fall due at once")
    print(
        f"interactive   {len(lat):,} updates   p50 {quantile(lat, 0.5) * 1000:.0f} ms   "
        f"p99 {quantile(lat, 0.99) * 1000:.0f} ms   max {max(lat) * 1000:.0f} ms"
    )
    print(
        f"bulk          {len(bulk)} reminders sent in {wave_end - wave_start:.1f} s   "
        f"peak {max_window_rate(bulk)} in any second (BOT_MAX_SEND_RATE {rate:g})"
    )
    print(f"429 answers   {len(flooded)} after the warm-up (Telegram's limits modelled by the stand-in)")


async def _due_in(db: Path, seconds: float) -> None:
    """Move every reminder's due time to `seconds` from now: the wave falls due in the middle of the walks."""
    async with aiosqlite.connect(db) as conn:  # next to the bot's own connection (WAL)
        await conn.execute("UPDATE reminders SET due_at = ?", (epoch(datetime.now(UTC)) + int(seconds),))
        await conn.commit()


def _reminded(params: dict[str, object]) -> bool:
    chat = params.get("chat_id")
    return isinstance(chat, int) and chat >= REMINDED


async def _keep_walking(driver: Users, user: SimUser, think: float, spread: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await walk(driver, user, think, spread=spread)


async def _wave(standin: StandIn, reminders: int) -> tuple[float, float]:
    """Wait until every reminder went out; returns (first, last) send time (monotonic)."""
    sent: list[float] = []
    done = asyncio.Event()

    def on_call(call: Call) -> None:
        if call.ok and call.method == "sendMessage" and _reminded(call.params):
            sent.append(time.monotonic())
            if len(sent) >= reminders:
                done.set()

    standin.listeners.append(on_call)
    await asyncio.wait_for(done.wait(), LEAD + reminders + 120)
    return sent[0], sent[-1]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench mixed", description=__doc__)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--reminders", type=int, default=500)
    parser.add_argument("--think", type=float, default=1.0, help="seconds a user reads a screen before tapping")
    parser.add_argument("--spread", default="0,0.5", help="comma-separated spreads of the reading time, one run each")
    args = parser.parse_args(argv)
    for spread in (float(s) for s in args.spread.split(",")):
        db = Path(tempfile.mkdtemp()) / "bot.sqlite3"
        later = epoch(datetime.now(UTC)) + 3600  # moved to LEAD seconds away once the walks start
        populate(db, args.reminders, args.reminders, first_user=REMINDED, quiet=(0, 0), due=later)
        asyncio.run(run(db, args.users, args.reminders, args.think, spread))
        print()
    print(f"machine: {machine()}")
    return 0
