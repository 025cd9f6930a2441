"""Full-stack throughput: N simulated users walk a procedure at the same time against the real bot process
(`python -m bot`, long polling) through the local Bot API stand-in over real HTTP, Telegram's limits off (so
the bot's own pacing of a private chat to Telegram's limit is off too: BOT_PRIVATE_CHAT_RATE=0).

    python -m bench throughput [--users 100,500] [--peer ptb-example|ptb-example-tuned] [--rounds 3] [--cpus 0]
                               [--rtt 0]
    python -m bench throughput --replicas [--users 50,100] [--postgres-url URL]

With `--peer ptb-example` the same run also starts python-telegram-bot's plain conversation example
(bench/ptb_example.py) under the same load (same users, same number of updates each, its two buttons edited
in place) and prints both and the ratio; `--peer ptb-example-tuned` runs that example on our transport and
loop instead (see bench/ptb_example.py). Each bot runs `--rounds` times, the two taking turns, and the
median run of each is shown (with every run's rate): this shared machine's speed drifts by ±20% within
minutes. `--cpus 0` pins each bot process to one core (taskset) while the stand-in and the simulated users
run on the other. `--rtt MS` makes every Bot API call take that many milliseconds longer, half each way, as
the network to Telegram does (0: loopback, where every bot is bound by its CPU alone).

`--replicas` instead runs the bot in webhook mode on PostgreSQL, as one replica and then as two replicas on one
database with a round-robin balancer in front (each update POSTed to the next replica in turn, as nginx does in
compose.yaml), the same users and walks each time, and prints both side by side. Replicas are not pinned: on a
2-core machine two replicas share the same two cores with the stand-in, the users, the balancer and PostgreSQL.
PostgreSQL: --postgres-url, else $JPSIM_TEST_POSTGRES_URL, else a throwaway server with fsync on (a fresh
database per run). A reply's latency here starts when the balancer begins the POST.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.common import machine
from bench.driving import Users, bot_process, peer_walk, quantile, walk
from bench.pgserver import describe, fresh_database, postgres_server
from bot.standin import SimUser, StandIn

TOKEN = "6161:bench-throughput"
FIRST_USER = 1000
SECRET = "bench-replicas-secret"
HOOK_PATH = "/telegram/hook"
START_TIMEOUT = 120.0  # seconds for a replica to answer /healthz on a loaded machine


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
            f"{name:<17} {self.updates:>7,} updates in {self.seconds:6.2f} s = {self.rate:7,.0f}/s   "
            f"latency p50 {p50 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms"
        )


async def ours(users: int, cpus: str | None, rtt: float) -> tuple[Result, int]:
    """Our bot; returns the result and the updates each user sent (the peer sends as many)."""
    standin = StandIn(TOKEN)
    standin.round_trip = rtt
    await standin.start()
    folder = Path(tempfile.mkdtemp())
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "BOT_DB_PATH": str(folder / "bot.sqlite3"),
        "BOT_PRIVATE_CHAT_RATE": "0",
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


async def peer(users: int, per_user: int, cpus: str | None, rtt: float, *, tuned: bool) -> Result:
    standin = StandIn(TOKEN)
    standin.round_trip = rtt
    await standin.start()
    folder = Path(tempfile.mkdtemp())
    try:
        async with bot_process(
            ["-m", "bench.ptb_example", TOKEN, standin.base_url, *(["tuned"] if tuned else [])],
            {},
            cpus=cpus,
            cwd=folder,
        ):
            driver = Users(standin)
            await peer_walk(driver, SimUser(1), 3)  # warm-up: waits for the peer to start polling
            driver.latencies.clear()
            started = time.perf_counter()
            counts = await asyncio.gather(*(peer_walk(driver, SimUser(FIRST_USER + u), per_user) for u in range(users)))
            elapsed = time.perf_counter() - started
    finally:
        await standin.stop()
    return Result(sum(counts), elapsed, driver.latencies)


class Balancer:
    """Round robin over the replicas' webhook servers, as nginx in compose.yaml (no failover needed here)."""

    def __init__(self, ports: list[int]) -> None:
        self.urls = [f"http://127.0.0.1:{port}{HOOK_PATH}" for port in ports]
        self.turn = itertools.cycle(self.urls)
        self.client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=None))

    async def post(self, update: dict[str, Any]) -> None:
        response = await self.client.post(
            next(self.turn), json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        response.raise_for_status()


class WebhookUsers(Users):
    """Simulated users whose updates Telegram would POST: each one through the balancer to a replica."""

    def __init__(self, standin: StandIn, balancer: Balancer) -> None:
        super().__init__(standin)
        self.balancer = balancer

    def _post(self, update: dict[str, Any]) -> Awaitable[None]:
        return self.balancer.post({"update_id": self.standin.next_update_id(), **update})

    async def command(self, user: SimUser, text: str, *, record: bool = True) -> float:
        return await self.update(user, lambda: self._post(self.standin.message_update(user, text)), record=record)

    async def tap(self, user: SimUser, data: str, *, record: bool = True) -> float:
        screen = dict(self.screens[user.id])
        return await self.update(
            user, lambda: self._post(self.standin.callback_update(user, screen, data)), record=record
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _healthy(port: int) -> None:
    async with httpx.AsyncClient() as client, asyncio.timeout(START_TIMEOUT):
        while True:
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


@asynccontextmanager
async def replica_set(count: int, standin: StandIn, url: str) -> AsyncIterator[Balancer]:
    """`count` webhook replicas of `python -m bot` on the database `url`, started and healthy, behind a balancer."""
    ports = [_free_port() for _ in range(count)]
    async with AsyncExitStack() as stack:
        for port in ports:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-replica-")))
            env = {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": standin.base_url,
                "BOT_DATABASE_URL": url,
                "BOT_WEBHOOK_URL": f"https://bot.example.org{HOOK_PATH}",
                "BOT_WEBHOOK_PORT": str(port),
                "BOT_WEBHOOK_SECRET": SECRET,
                "BOT_PRIVATE_CHAT_RATE": "0",
            }
            await stack.enter_async_context(
                bot_process(["-m", "bot", "--log-level", "WARNING"], env, cpus=None, cwd=folder)
            )
        await asyncio.gather(*(_healthy(port) for port in ports))
        balancer = Balancer(ports)
        stack.push_async_callback(balancer.client.aclose)
        yield balancer


async def replicated(users: int, count: int, server: str) -> Result:
    """`users` walking concurrently against `count` webhook replicas on a fresh PostgreSQL database."""
    standin = StandIn(TOKEN)
    await standin.start()
    try:
        async with fresh_database(server) as url, replica_set(count, standin, url) as balancer:
            driver = WebhookUsers(standin, balancer)
            # Warm-up, not in the figures: a walk's updates alternate over the replicas, so each handles some.
            await walk(driver, SimUser(1), record=False)
            started = time.perf_counter()
            counts = await asyncio.gather(*(walk(driver, SimUser(FIRST_USER + u)) for u in range(users)))
            elapsed = time.perf_counter() - started
    finally:
        await standin.stop()
    return Result(sum(counts), elapsed, driver.latencies)


def replicas_main(args: argparse.Namespace) -> int:
    with postgres_server(args.postgres_url) as server:
        for users in (int(n) for n in args.users.split(",")):
            one = asyncio.run(replicated(users, 1, server))
            two = asyncio.run(replicated(users, 2, server))
            print(f"{users} users walking concurrently, webhook mode on PostgreSQL, Telegram's limits off")
            print(one.line("1 replica"))
            print(two.line("2 replicas"))
            print(f"{'ratio':<17} {two.rate / one.rate:.2f}× the updates per second of one replica")
            print()
        postgres = asyncio.run(describe(server))
    print("replicas not pinned (they share the machine's cores with the users, the stand-in and PostgreSQL)")
    print(f"machine: {machine()}")
    print(f"database server: {postgres}, on this machine over loopback TCP (a fresh database per run)")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench throughput", description=__doc__)
    parser.add_argument("--users", default="100,500", help="comma-separated user counts, one run each")
    parser.add_argument("--peer", choices=["ptb-example", "ptb-example-tuned"], default=None)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each bot per user count, taking turns")
    parser.add_argument("--cpus", default="0", help="taskset CPU list for each bot process ('' to not pin)")
    parser.add_argument("--rtt", type=float, default=0.0, help="milliseconds the network adds to each Bot API call")
    parser.add_argument("--replicas", action="store_true", help="one vs two webhook replicas on PostgreSQL")
    parser.add_argument("--postgres-url", default=None, help="--replicas: the PostgreSQL server (see above)")
    args = parser.parse_args(argv)
    if args.replicas:
        return replicas_main(args)
    cpus = args.cpus or None
    rtt = args.rtt / 1000
    for users in (int(n) for n in args.users.split(",")):
        # The bots take turns, so a noisy spell of this shared machine falls on both; the median run of each
        # is compared.
        mine: list[Result] = []
        theirs: list[Result] = []
        per_user = 0
        for _ in range(max(1, args.rounds)):
            result, per_user = asyncio.run(ours(users, cpus, rtt))
            mine.append(result)
            if args.peer:
                theirs.append(asyncio.run(peer(users, per_user, cpus, rtt, tuned=args.peer == "ptb-example-tuned")))
        network = f"{args.rtt:g} ms added to each Bot API call" if args.rtt else "loopback"
        print(f"{users} users walking concurrently ({per_user} updates each), Telegram's limits off, {network}")
        print(_median(mine).line("jpsim-bot"), _rates(mine))
        if args.peer:
            print(_median(theirs).line(args.peer), _rates(theirs))
            ratio = _median(mine).rate / _median(theirs).rate
            print(f"{'ratio':<17} {ratio:.2f}× the peer's updates per second (median runs)")
        print()
    print(
        f"median of {max(1, args.rounds)} runs each; bot processes pinned to CPU {cpus or 'no'}; machine: {machine()}"
    )
    return 0


def _median(results: list[Result]) -> Result:
    return sorted(results, key=lambda r: r.rate)[len(results) // 2]


def _rates(results: list[Result]) -> str:
    return "  (runs: " + ", ".join(f"{r.rate:,.0f}/s" for r in results) + ")"
