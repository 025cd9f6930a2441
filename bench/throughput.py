"""Full-stack throughput: N simulated users walk a procedure at the same time against the real bot process
(`python -m bot`, long polling) through the local Bot API stand-in over real HTTP.

    python -m bench throughput [--users 200] [--cpus 0]

Reports updates per second and the latency from an update being available to the bot until the bot's
reply (the sendMessage/editMessageText for that chat) reaches the stand-in: p50 and p99. `--cpus 0` pins the
bot process to one core (taskset) while the stand-in and the simulated users run on the other.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import machine
from bot.standin import Call, SimUser, StandIn
from content import load_content

TOKEN = "6161:bench-throughput"
REPLIES = ("sendMessage", "editMessageText")
QUESTIONS = ("/start", "p", "s", "c", "g", "y")
REPLY_TIMEOUT = 60.0


class Users:
    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        self.replies: dict[int, asyncio.Event] = {}
        self.latencies: list[float] = []
        standin.listeners.append(self._on_call)

    def _on_call(self, call: Call) -> None:
        chat = call.params.get("chat_id")
        if call.method in REPLIES and isinstance(chat, int) and chat in self.replies:
            self.replies[chat].set()

    def _screen(self, chat: int) -> dict[str, object]:
        return [m for m in self.standin.bot_messages(chat) if m.get("reply_markup")][-1]

    def _data(self, screen: dict[str, object], action: str, arg: str | None) -> str:
        rows = screen["reply_markup"]["inline_keyboard"]  # type: ignore[index]
        datas: list[str] = [b["callback_data"] for row in rows for b in row if "callback_data" in b]
        if arg is not None:
            return next(d for d in datas if d == f"v1|{action}|{arg}")
        # "go" buttons are Back (step - 1) and Next (step + 1): the walk always goes forward.
        return max((d for d in datas if d.split("|")[1] == action), key=lambda d: int(d.split("|")[2] or 0))

    def _has(self, chat: int, action: str) -> bool:
        rows = self._screen(chat)["reply_markup"]["inline_keyboard"]  # type: ignore[index]
        return any(b.get("callback_data", "").split("|")[1:2] == [action] for row in rows for b in row)

    async def _step(self, user: SimUser, action: str, arg: str | None) -> None:
        """One update, timed from the moment the bot can fetch it until its reply reaches the stand-in."""
        event = self.replies[user.id]
        event.clear()
        started = time.perf_counter()
        if action.startswith("/"):
            self.standin.push_message(user, action)
        else:
            screen = self._screen(user.id)
            self.standin.push_callback(user, dict(screen), self._data(screen, action, arg))
        await asyncio.wait_for(event.wait(), REPLY_TIMEOUT)
        self.latencies.append(time.perf_counter() - started)

    async def walk(self, user: SimUser, choices: dict[str, str]) -> int:
        """/start, the five answers, Next until the last step, then the summary; returns the updates sent."""
        self.replies[user.id] = asyncio.Event()
        sent = 0
        for action in QUESTIONS:
            await self._step(user, action, choices.get(action))
            sent += 1
        while not self._has(user.id, "sum"):
            await self._step(user, "go", None)
            sent += 1
        await self._step(user, "sum", None)
        return sent + 1


ROOT = Path(__file__).resolve().parent.parent


async def run(users: int, cpus: str | None) -> tuple[int, float, list[float]]:
    standin = StandIn(TOKEN)
    await standin.start()
    folder = tempfile.mkdtemp()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=standin.base_url,
        BOT_DB_PATH=str(Path(folder) / "bot.sqlite3"),
        BOT_MAX_SEND_RATE="100000",  # measure our processing, not Telegram's flood limit
        PYTHONPATH=str(ROOT),
    )
    command = [sys.executable, "-m", "bot", "--log-level", "WARNING"]
    if cpus is not None:
        command = ["taskset", "-c", cpus, *command]
    process = await asyncio.create_subprocess_exec(*command, env=env, cwd=folder)
    driver = Users(standin)
    content = load_content()
    assert "docomo" in content.providers
    choices = {"p": "docomo", "s": "esim", "c": "online", "g": "cancel", "y": "staying"}
    try:
        # Warm up: one user first, so start-up is not in the figures.
        await driver.walk(SimUser(1), choices)
        driver.latencies.clear()
        started = time.perf_counter()
        counts = await asyncio.gather(*(driver.walk(SimUser(uid), choices) for uid in range(2, users + 2)))
        elapsed = time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGINT)
        await process.wait()
        await standin.stop()
    return sum(counts), elapsed, driver.latencies


RAW_CALLS = """
import asyncio, sys, time
from telegram import Bot
async def main():
    async with Bot(sys.argv[1], base_url=sys.argv[2]) as bot:
        started = time.perf_counter()
        for _ in range(int(sys.argv[3])):
            await bot.get_me()
        print(int(sys.argv[3]) / (time.perf_counter() - started))
asyncio.run(main())
"""


async def raw_call_rate(cpus: str | None, calls: int = 1000) -> float:
    """The peer figure: bare python-telegram-bot Bot API calls per second, one after another, from a process
    pinned like the bot to the same stand-in. Every tap costs the bot at least two such calls."""
    standin = StandIn(TOKEN)
    await standin.start()
    command = [sys.executable, "-c", RAW_CALLS, TOKEN, standin.base_url, str(calls)]
    if cpus is not None:
        command = ["taskset", "-c", cpus, *command]
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    output, _ = await process.communicate()
    await standin.stop()
    return float(output)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench throughput", description=__doc__)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--cpus", default="0", help="taskset CPU list for the bot process ('' to not pin)")
    args = parser.parse_args(argv)
    updates, seconds, latencies = asyncio.run(run(args.users, args.cpus or None))
    raw = asyncio.run(raw_call_rate(args.cpus or None))
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"users walking concurrently   {args.users}")
    print(f"updates processed            {updates}")
    print(f"wall time                    {seconds:.2f} s")
    print(f"updates per second           {updates / seconds:,.0f}")
    print(f"latency p50 / p99            {quantiles[49] * 1000:.1f} ms / {quantiles[98] * 1000:.1f} ms")
    print(f"bot process pinned to CPU    {args.cpus or 'no'}")
    print(f"peer: bare PTB Bot API calls {raw:,.0f}/s sequential from one process (a tap needs 2: answer + edit)")
    print(f"\nmachine: {machine()}")
    return 0
