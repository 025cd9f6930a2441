"""What the full-stack benchmarks share: a bot in its own process polling the Bot API stand-in, and simulated
users who push updates into the stand-in and time the bot's reply.

A reply is the first sendMessage or editMessageText the bot makes in the user's chat after the update was made
available; its latency runs from that moment until the stand-in receives the reply (so it includes the bot's
getUpdates round trip, its handling and its rate limiter's waits).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import random
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.standin import Call, SimUser, StandIn

ROOT = Path(__file__).resolve().parent.parent
REPLIES = ("sendMessage", "editMessageText")
REPLY_TIMEOUT = 120.0
CHOICES = {"p": "docomo", "s": "esim", "c": "online", "g": "cancel", "y": "staying"}


@asynccontextmanager
async def bot_process(
    command: Sequence[str], env: dict[str, str], *, cpus: str | None, cwd: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A bot in its own process (pinned to `cpus` with taskset), stopped with SIGINT as an operator would."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    full = [sys.executable, *command]
    if cpus is not None:
        full = ["taskset", "-c", cpus, *full]
    process = await asyncio.create_subprocess_exec(*full, env={**base, "PYTHONPATH": str(ROOT), **env}, cwd=cwd)
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        await process.wait()


class Users:
    """Simulated users of one stand-in: push an update, wait for the reply, keep the latest screen per chat."""

    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        logging.getLogger("tornado.access").setLevel(logging.ERROR)  # 429s are expected here, not news
        self.screens: dict[int, dict[str, Any]] = {}
        self.latencies: list[float] = []
        self._waiting: dict[int, asyncio.Future[float]] = {}
        standin.listeners.append(self._on_call)

    def _on_call(self, call: Call) -> None:
        chat = call.params.get("chat_id")
        if not call.ok or call.method not in REPLIES or not isinstance(chat, int):
            return
        if isinstance(call.result, dict) and call.result.get("reply_markup"):
            self.screens[chat] = call.result
        waiter = self._waiting.pop(chat, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(time.perf_counter())

    async def update(self, user: SimUser, push: Callable[[], object], *, record: bool = True) -> float:
        """Push one update of `user`; returns the seconds until the bot replied in the user's chat."""
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[user.id] = waiter
        started = time.perf_counter()
        pushed = push()
        if inspect.isawaitable(pushed):  # webhook mode: the POST to the bot
            await pushed
        seconds = await asyncio.wait_for(waiter, REPLY_TIMEOUT) - started
        if record:
            self.latencies.append(seconds)
        return seconds

    async def command(self, user: SimUser, text: str, *, record: bool = True) -> float:
        return await self.update(user, lambda: self.standin.push_message(user, text), record=record)

    async def tap(self, user: SimUser, data: str, *, record: bool = True) -> float:
        screen = dict(self.screens[user.id])
        return await self.update(user, lambda: self.standin.push_callback(user, screen, data), record=record)


def _datas(screen: dict[str, Any]) -> list[list[str]]:
    rows = screen["reply_markup"]["inline_keyboard"]
    return [b["callback_data"].split("|") for row in rows for b in row if "callback_data" in b]


def next_tap(screen: dict[str, Any]) -> str | None:
    """Our bot's walk: answer each question as CHOICES says, then Next through the steps, then the summary
    (None once the summary is on screen). Callback data is `v2|action|token|arg`."""
    datas = _datas(screen)
    for parts in datas:
        if parts[1] in CHOICES and parts[3] == CHOICES[parts[1]]:
            return "|".join(parts)
    actions = {parts[1] for parts in datas}
    if "ck" in actions:  # the summary's checklist boxes: the walk is over
        return None
    if "go" in actions:
        step = max((parts for parts in datas if parts[1] == "go"), key=lambda parts: int(parts[3] or 0))
        if "sum" not in actions:
            return "|".join(step)
    summary = next((parts for parts in datas if parts[1] == "sum"), None)
    return "|".join(summary) if summary is not None else None


async def walk(users: Users, user: SimUser, think: float = 0.0, *, spread: float = 0.0, record: bool = True) -> int:
    """One user walks docomo eSIM online from /start to the summary, reading each screen `think` seconds give or
    take up to `spread` (uniformly, the same draws for the same user in every run); returns the updates sent."""
    draws = random.Random(user.id)
    await users.command(user, "/start", record=record)
    sent = 1
    while (data := next_tap(users.screens[user.id])) is not None:
        if think:
            await asyncio.sleep(think + draws.uniform(-spread, spread))
        await users.tap(user, data, record=record)
        sent += 1
    return sent


async def peer_walk(users: Users, user: SimUser, updates: int) -> int:
    """The PTB example's walk: /start, then taps alternating its two buttons, `updates` in all."""
    await users.command(user, "/start")
    for tap in range(updates - 1):
        await users.tap(user, str(1 + tap % 2))
    return updates


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
