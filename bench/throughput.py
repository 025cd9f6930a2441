"""Full-stack throughput: N simulated users walk a procedure at the same time against the real bot process
(`python -m bot`, long polling) through the local Bot API stand-in over real HTTP, Telegram's limits off.

    python -m bench throughput [--users 100,500] [--peer ptb-example] [--cpus 0]

With `--peer ptb-example` the same run also starts python-telegram-bot's plain conversation example
(bench/ptb_example.py) under the same load (same users, same number of updates each, its two buttons edited
in place) and prints both and the ratio. `--cpus 0` pins each bot process to one core (taskset) while the
stand-in and the simulated users run on the other.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import machine
from bench.driving import Users, bot_process, peer_walk, quantile, walk
from bot.standin import SimUser, StandIn

TOKEN = "6161:bench-throughput"
FIRST_USER = 1000


@dataclass
class Result:
    updates: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def line(self, name: str) -> str:
        p50, p99 = quantile(self.latencies, 0.5), quantile(self.latencies, 0.99)
        return (
            f"{name:<12} {self.updates:>7,} updates in {self.seconds:6.2f} s = {self.rate:7,.0f}/s   "
            f"latency p50 {p50 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms"
        )


async def ours(users: int, cpus: str | None) -> tuple[Result, int]:
    """Our bot; returns the result and the updates each user sent (the peer sends as many)."""
    standin = StandIn(TOKEN)
    await standin.start()
    folder = Path(tempfile.mkdtemp())
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "BOT_DB_PATH": str(folder / "bot.sqlite3"),
    }
    try:
        async with bot_process(["-m", "bot", "--log-level", "WARNING"], env, cpus=cpus, cwd=folder):
            driver = Users(standin)
            per_user = await walk(driver, SimUser(1), record=False)  # warm-up: start-up is not in the figures
            started = time.perf_counter()
            counts = await asyncio.gather(*(walk(driver, SimUser(FIRST_USER + u)) for u in range(users)))
            elapsed = time.perf_counter() - started
    finally:
        await standin.stop()
    return Result(sum(counts), elapsed, driver.latencies), per_user


async def peer(users: int, per_user: int, cpus: str | None) -> Result:
    standin = StandIn(TOKEN)
    await standin.start()
    folder = Path(tempfile.mkdtemp())
    try:
        async with bot_process(["-m", "bench.ptb_example", TOKEN, standin.base_url], {}, cpus=cpus, cwd=folder):
            driver = Users(standin)
            await peer_walk(driver, SimUser(1), 3)  # warm-up: waits for the peer to start polling
            driver.latencies.clear()
            started = time.perf_counter()
            counts = await asyncio.gather(*(peer_walk(driver, SimUser(FIRST_USER + u), per_user) for u in range(users)))
            elapsed = time.perf_counter() - started
    finally:
        await standin.stop()
    return Result(sum(counts), elapsed, driver.latencies)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench throughput", description=__doc__)
    parser.add_argument("--users", default="100,500", help="comma-separated user counts, one run each")
    parser.add_argument("--peer", choices=["ptb-example"], default=None)
    parser.add_argument("--cpus", default="0", help="taskset CPU list for each bot process ('' to not pin)")
    args = parser.parse_args(argv)
    cpus = args.cpus or None
    for users in (int(n) for n in args.users.split(",")):
        result, per_user = asyncio.run(ours(users, cpus))
        print(f"{users} users walking concurrently ({per_user} updates each), Telegram's limits off")
        print(result.line("jpsim-bot"))
        if args.peer:
            other = asyncio.run(peer(users, per_user, cpus))
            print(other.line(args.peer))
            print(f"{'ratio':<12} {result.rate / other.rate:.2f}× the peer's updates per second")
        print()
    print(f"bot processes pinned to CPU {cpus or 'no'}; machine: {machine()}")
    return 0
