"""One busy chat, another user's tap: with the stand-in applying Telegram's flood limits (1 message a second per
private chat after a short burst, 20 a minute per group, 429 with retry_after beyond), against the real bot
process with its default settings.

    python -m bench flood [--messages 20] [--commands 30]

Run 1: one user sends `--messages` /help at once, then another user taps a button.
Run 2: a group gets `--commands` /help commands at once (from different members), then another user taps.
Prints the tap's delay (until its reply reaches the stand-in) and how the busy chat fared.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.common import machine
from bench.driving import Users, bot_process, next_tap
from bot.standin import SimUser, StandIn

TOKEN = "6363:bench-flood"
GROUP = -1001
TAPPER = SimUser(2000)
FLOODER = SimUser(3000)
MEMBERS = 4000  # first group member id


async def run(messages: int, commands: int) -> None:
    standin = StandIn(TOKEN, limits=True)
    await standin.start()
    standin.open_chat(GROUP)
    folder = Path(tempfile.mkdtemp())
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "BOT_DB_PATH": str(folder / "bot.sqlite3"),
    }
    driver = Users(standin)
    try:
        async with bot_process(["-m", "bot", "--log-level", "WARNING"], env, cpus=None, cwd=folder):
            await driver.command(TAPPER, "/start", record=False)
            await driver.command(FLOODER, "/start", record=False)
            await asyncio.sleep(3)  # the chats' bursts refill

            started = time.perf_counter()
            for _ in range(messages):
                standin.push_message(FLOODER, "/help")
            tap = await _tap(driver)
            await _replies(standin, FLOODER.id, messages + 1)
            print(
                f"one user floods {messages} messages: another user's tap answered in {tap * 1000:.0f} ms; "
                f"the flood's replies took {time.perf_counter() - started:.1f} s (Telegram: 1/s in a chat)"
            )

            group = {"id": GROUP, "type": "group", "title": "bench"}
            for member in range(commands):
                standin.push_message(SimUser(MEMBERS + member), "/help", chat=group)
            tap = await _tap(driver)
            print(
                f"a group gets {commands} commands: another user's tap answered in {tap * 1000:.0f} ms; "
                f"the group had {len(_sent(standin, GROUP))} replies by then (Telegram: 20 a minute in a group)"
            )
            flooded = [c for c in standin.calls if not c.ok and "Too Many Requests" in str(c.result)]
            print(f"429 answers so far: {len(flooded)}; stopping the bot waits for the group's paced replies")
    finally:
        await standin.stop()
    print(f"\nmachine: {machine()}")


async def _tap(driver: Users) -> float:
    data = next_tap(driver.screens[TAPPER.id])
    assert data is not None
    return await driver.tap(TAPPER, data)


def _sent(standin: StandIn, chat: int) -> list[float]:
    return [c.at for c in standin.calls if c.ok and c.method == "sendMessage" and c.params.get("chat_id") == chat]


async def _replies(standin: StandIn, chat: int, count: int) -> None:
    done = asyncio.Event()

    def check(_: object) -> None:
        if len(_sent(standin, chat)) >= count:
            done.set()

    standin.listeners.append(check)
    check(None)
    await asyncio.wait_for(done.wait(), 120)
    standin.listeners.remove(check)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench flood", description=__doc__)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--commands", type=int, default=30)
    args = parser.parse_args(argv)
    asyncio.run(run(args.messages, args.commands))
    return 0
