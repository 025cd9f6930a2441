"""The durable inbox (bot/inbox.py): an update is stored before it is acknowledged and handled from there.

The backlog tests run the real bot (`python -m bot`) against the stand-in: 150 users send /start at once,
the process is killed with SIGKILL 1.5 s later, in the middle of the backlog (the rate limiter sends 25
messages a second), and started again on the same database. Every user must then have exactly one answer,
except the one whose answer Telegram had accepted when the kill came but whose message id the bot had not
stored yet: that update is handled again after the restart and sends its screen a second time (a send has no
idempotency key, so this window cannot close). Before the inbox, 114 (polling) and 116 (webhook) of the 150
never got an answer.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from telegram import Bot as TelegramBot
from telegram import Update

from app.build import CONNECTIONS
from bot.clock import ManualClock
from bot.inbox import Inbox
from bot.standin import SimUser, StandIn
from bot.storage import SqliteStorage
from bot.storage.base import Incoming
from bot.updates_request import NO_UPDATES, ParsedUpdates, UpdatesRequest, parse_batch
from tests.harness import TOKEN
from tests.processes import clean_env, free_port, wait_until
from tests.test_erase_on_disk import on_disk

pytestmark = pytest.mark.asyncio

USERS = range(9001, 9151)  # 150 users
# Seconds from the first answer to the kill: users are handled in parallel, so the whole backlog takes about a
# second; a kill this early leaves most of it waiting in the inbox (the test fails if it leaves none).
KILL_AFTER = 0.1
SECRET = "inbox-test_secret"
BACKLOG_TIMEOUT = 60.0  # 150 answers, plus a restart, on a loaded machine


# -- the storage methods --


def _message(update_id: int, user_id: int, text: str = "/start") -> dict[str, object]:
    chat = {"id": user_id, "type": "private", "first_name": "A"}
    sender = {"id": user_id, "is_bot": False, "first_name": "A"}
    return {"update_id": update_id, "message": {"message_id": 1, "date": 0, "chat": chat, "from": sender, "text": text}}


MARK = "/start the-words-of-user-11"


async def test_storage_keeps_each_id_once_and_forgets_handled_content(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "bot.sqlite3")
    await storage.open()
    try:
        first = [Incoming(1, 11, _message(1, 11, MARK)), Incoming(2, 12, _message(2, 12))]
        assert await storage.keep_updates(first, now=1000) == {1, 2}
        assert await storage.keep_updates(
            [Incoming(2, 12, _message(2, 12)), Incoming(3, 11, _message(3, 11))], now=1001
        ) == {3}
        await storage.mark_handled([2], now=1002)
        assert [u["update_id"] for u in await storage.pending_updates()] == [1, 3]
        # A handled id is still known (a re-sent copy is not handled again), without its content.
        assert await storage.keep_updates([Incoming(2, 12, _message(2, 12))], now=1003) == set()
        with sqlite3.connect(storage.path) as conn:
            assert conn.execute("SELECT data, user_id FROM inbox WHERE update_id = 2").fetchone() == (None, None)
        # A day later it is dropped.
        assert await storage.keep_updates([], now=1002 + 24 * 3600 + 1) == set()
        with sqlite3.connect(storage.path) as conn:
            assert [r[0] for r in conn.execute("SELECT update_id FROM inbox ORDER BY update_id")] == [1, 3]
        # Erasing a user's data takes their updates waiting in the inbox with it, off the disk too.
        assert MARK.encode() in on_disk(storage.path)
        async with storage.unit(11) as tx:
            await tx.erase()
        assert await storage.pending_updates() == []
        assert MARK.encode() not in on_disk(storage.path)
    finally:
        await storage.close()


async def test_a_polled_batch_is_stored_and_copies_come_back_bare(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "bot.sqlite3")
    await storage.open()
    try:
        inbox = Inbox(storage, ManualClock(datetime(2026, 12, 1, tzinfo=UTC)))
        batch, _ = parse_batch([_message(5, 21), _message(6, 22)], None)
        assert await inbox.receive(batch) == [_message(5, 21), _message(6, 22)]
        again = await inbox.receive(parse_batch([_message(6, 22), _message(7, 21)], None)[0])
        assert again == [{"update_id": 6}, _message(7, 21)]
        assert [u["update_id"] for u in await storage.pending_updates()] == [5, 6, 7]
    finally:
        await storage.close()


async def test_a_batch_that_cannot_be_stored_is_not_confirmed(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "bot.sqlite3")  # never opened: every write fails
    request = UpdatesRequest()
    request.keep = Inbox(storage, ManualClock(datetime(2026, 12, 1, tzinfo=UTC))).receive
    batch = json.dumps({"ok": True, "result": [_message(8, 23)]}).encode()
    # python-telegram-bot sees no updates, so its next getUpdates does not move the offset past this one.
    assert await request._kept(batch) == NO_UPDATES


async def test_a_polled_update_is_parsed_once_and_its_stand_in_swapped_in_the_queue(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "bot.sqlite3")
    await storage.open()
    try:
        request, queue = UpdatesRequest(), ParsedUpdates()
        request.keep = Inbox(storage, ManualClock(datetime(2026, 12, 1, tzinfo=UTC))).receive
        request.hand_to(TelegramBot(TOKEN), queue)
        await storage.keep_updates([Incoming(9, 24, _message(9, 24))], now=0)  # a copy the inbox already has
        payload = json.dumps({"ok": True, "result": [_message(8, 23), _message(9, 24)]}).encode()
        # PTB gets stand-ins, cheap to parse, and puts what it parsed from them into the queue, in order.
        handed = Update.de_list(request.parse_json_payload(await request._kept(payload))["result"], None)
        assert [u.to_dict() for u in handed] == [{"update_id": 8}, {"update_id": 9}]
        for update in handed:
            await queue.put(update)
        fresh, copy = queue.get_nowait(), queue.get_nowait()
        assert isinstance(fresh, Update)
        assert fresh.message is not None
        assert fresh.message.text == "/start"
        assert fresh.get_bot().token == TOKEN  # parsed with the application's bot: shortcuts work
        assert isinstance(copy, Update)
        assert copy.message is None  # the copy stays bare: no handler takes it
        assert queue.parsed == {}
    finally:
        await storage.close()


# -- the backlog, killed --


class Bot:
    """`python -m bot` on one database, its output in a log file (a pipe could fill up and stall it)."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env = workdir, env
        self.process: asyncio.subprocess.Process | None = None
        self.runs = 0

    async def start(self) -> None:
        self.runs += 1
        with (self.workdir / f"bot-{self.runs}.log").open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=self.workdir, env=clean_env(**self.env),
                stdout=out, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip

    async def kill(self) -> None:
        assert self.process is not None
        if self.process.returncode is None:
            os.kill(self.process.pid, signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            return await self.process.wait()

    def logs(self) -> str:
        return "".join((self.workdir / f"bot-{n}.log").read_text(errors="replace") for n in range(1, self.runs + 1))


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Callable[..., Bot]]:
    made: list[Bot] = []

    def make(**env: str) -> Bot:
        made.append(Bot(tmp_path, env))
        return made[-1]

    yield make
    for process in made:
        await process.kill()


def answered(standin: StandIn) -> dict[int, int]:
    return {user: len(standin.bot_messages(user)) for user in USERS}


async def _until_all_answered(standin: StandIn, bot: Bot) -> None:
    deadline = asyncio.get_running_loop().time() + BACKLOG_TIMEOUT
    # Until the restarted process is up too: a SIGTERM before it installs its handlers would end it unclean.
    while min(answered(standin).values()) == 0 or bot.logs().count("Application started") < bot.runs:
        assert bot.process is not None
        assert bot.process.returncode is None, bot.logs()[-3000:]
        never = [user for user, n in answered(standin).items() if n == 0]
        assert asyncio.get_running_loop().time() < deadline, f"{len(never)} users never answered: {never[:10]}…"
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # anything still to come (a duplicate) would arrive now


class Killed:
    """What the stand-in had seen when the process was killed."""

    def __init__(self, standin: StandIn) -> None:
        counts = answered(standin)
        self.unanswered = sum(1 for n in counts.values() if n == 0)
        # Updates of different users run at once: every user already answered may have been in flight (their
        # screen sent, the update not yet marked handled), so theirs may come again after the restart.
        self.in_flight = {user for user, n in counts.items() if n > 0}


def _check_once(standin: StandIn, bot: Bot, killed: Killed) -> None:
    assert killed.unanswered > 0, "the kill came after the whole backlog: nothing was tested"
    counts = answered(standin)
    wrong = {user: n for user, n in counts.items() if n != 1}
    for user in [u for u, n in wrong.items() if n == 2 and u in killed.in_flight]:
        first, second = standin.bot_messages(user)
        assert first["text"] == second["text"]  # the same screen, shown again
        del wrong[user]
    # Nobody is left without an answer, and nobody whose update was still waiting at the kill gets two.
    assert not wrong, f"users not answered exactly once: {wrong}\n{bot.logs()[-3000:]}"


async def test_polling_backlog_killed_every_user_answered_once(
    standin: StandIn, tmp_path: Path, bot: Callable[..., Bot]
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": standin.base_url,
           "BOT_DB_PATH": str(tmp_path / "bot.sqlite3")}  # fmt: skip
    process = bot(**env)
    for user in USERS:
        standin.push_message(SimUser(user, language_code="en"), "/start")
    await process.start()
    await wait_until(lambda: any(standin.bot_messages(user) for user in USERS))
    await asyncio.sleep(KILL_AFTER)
    await process.kill()
    await asyncio.sleep(0.3)  # requests the dead process had already sent finish in the stand-in
    killed = Killed(standin)
    await process.start()
    await _until_all_answered(standin, process)
    assert await process.stop() == 0
    _check_once(standin, process, killed)


async def test_webhook_backlog_killed_every_user_answered_once(
    standin: StandIn, tmp_path: Path, bot: Callable[..., Bot]
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": standin.base_url,
           "BOT_DB_PATH": str(tmp_path / "bot.sqlite3"), "BOT_WEBHOOK_URL": url,
           "BOT_WEBHOOK_PORT": str(port), "BOT_WEBHOOK_SECRET": SECRET}  # fmt: skip
    process = bot(**env)
    await process.start()
    await wait_until(lambda: standin.webhook_url == url)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    updates = [{"update_id": n, **standin.message_update(SimUser(user, language_code="en"), "/start")}
               for n, user in enumerate(USERS, start=1)]  # fmt: skip
    await asyncio.sleep(0.5)  # the server is up once setWebhook was called; let the app start as well
    # Telegram a long round trip away: each open request is held 4 s, so until the kill below (well within
    # that) the bot has sent at most as many screens as it keeps requests open, and the other users are
    # unanswered however fast the machine handles the backlog.
    assert len(USERS) > CONNECTIONS
    standin.round_trip = 4.0
    async with httpx.AsyncClient(timeout=30) as client:
        replies = await asyncio.gather(*(client.post(url, json=u, headers=headers) for u in updates))
    assert [r.status_code for r in replies] == [200] * len(updates)  # Telegram will not send them again
    await asyncio.sleep(KILL_AFTER)
    await process.kill()
    await asyncio.sleep(0.3 + standin.round_trip / 2)  # requests the dead process had sent reach the stand-in
    standin.round_trip = 0
    killed = Killed(standin)
    standin.webhook_url = ""
    await process.start()
    await _until_all_answered(standin, process)
    assert await process.stop() == 0
    _check_once(standin, process, killed)
