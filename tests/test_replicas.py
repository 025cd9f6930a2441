"""Several bot processes on one PostgreSQL database (real `python -m bot` subprocesses)."""

from __future__ import annotations

import asyncio
import itertools
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bot.runner import POLLING_IS_SINGLE
from bot.standin import SimUser, StandIn
from bot.storage.base import UserSettings
from bot.storage.factory import storage_for
from conversations.flow import answers
from tests.harness import TOKEN, buttons, shared_content
from tests.postgres import fresh_database
from tests.processes import PROCESS_TIMEOUT, clean_env, free_port, start_bot, stop_bot, wait_until


async def test_polling_on_postgresql_says_it_is_single_process(standin: StandIn, tmp_path: Path) -> None:
    async with fresh_database() as url:
        process = await start_bot(
            tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=standin.base_url, BOT_DATABASE_URL=url
        )
        standin.push_message(SimUser(4101), "/start")
        try:
            await wait_until(lambda: bool(standin.bot_messages(4101)))  # it polls, and answers from PostgreSQL
        finally:
            code, output = await stop_bot(process)
    assert code == 0, output
    assert output.count(POLLING_IS_SINGLE) == 1, output


SECRET = "replica-secret_for-tests"
USERS = 30
FIRST_HALF = [  # (button label, text of the screen it leads to)
    ("NTT docomo", "ask_sim"),
    ("sim_physical", "ask_channel"),
    ("channel_shop", "ask_goal"),
    ("goal_cancel", "ask_stay"),
    ("stay_leaving", "Step 1 of"),
]
SECOND_HALF = [("btn_next", "Step 2 of"), ("btn_next", "Step 3 of"), ("btn_back", "Step 2 of")]
EXPECTED_ANSWERS = {"provider": "docomo", "sim": "physical", "channel": "shop", "goal": "cancel", "stay": "leaving"}


class RoundRobin:
    """The load balancer of the test: each update to the next replica in turn; a replica that refuses the
    connection or drops it is skipped (nginx's passive failover: proxy_next_upstream error)."""

    def __init__(self, ports: list[int]) -> None:
        self.urls = [f"http://127.0.0.1:{port}" for port in ports]
        self.turn = itertools.count()
        self.client = httpx.AsyncClient(timeout=10)
        self.served: Counter[str] = Counter()

    async def post(self, update: dict[str, Any]) -> None:
        first = next(self.turn)
        for k in range(len(self.urls)):
            url = self.urls[(first + k) % len(self.urls)]
            try:
                response = await self.client.post(
                    f"{url}/telegram/hook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                )
            except httpx.TransportError:
                continue
            assert response.status_code == 200, response.status_code
            self.served[url] += 1
            return
        raise AssertionError("no replica answered")


class Walker:
    """One user tapping through a procedure, each tap through the load balancer. A tap whose screen does not
    come (its replica was killed after accepting it) is tapped again, as a person would."""

    def __init__(self, standin: StandIn, proxy: RoundRobin, user_id: int) -> None:
        self.standin, self.proxy, self.user = standin, proxy, SimUser(user_id, language_code="en")

    def screen(self) -> dict[str, Any]:
        """The flow's screen: the last message with buttons that is not a reminder."""
        messages = self.standin.bot_messages(self.user.id)
        return [m for m in messages if m.get("reply_markup") and m not in reminders(self.standin, self.user.id)][-1]

    async def deliver(self, make: Callable[[], dict[str, Any]], arrived: Callable[[], bool]) -> None:
        """`make`: a new update each time (a tap again has a new callback query id, as in Telegram)."""
        for _ in range(3):
            await self.proxy.post({"update_id": self.standin.next_update_id(), **make()})
            try:
                await wait_until(arrived)
                return
            except TimeoutError:
                continue
        raise AssertionError(f"user {self.user.id}: no answer after three taps")

    async def start(self) -> None:
        await self.deliver(lambda: self.standin.message_update(self.user, "/start"), self._has_screen)

    def _has_screen(self) -> bool:
        return any(m.get("reply_markup") for m in self.standin.bot_messages(self.user.id))

    async def walk(self, steps: list[tuple[str, str]]) -> None:
        for label, expect in steps:
            label, expect = ui_or(label), ui_or(expect)
            screen = dict(self.screen())
            data = next(d for text, d in buttons(screen) if label in text)
            await self.deliver(
                lambda s=screen, d=data: self.standin.callback_update(self.user, s, d),
                lambda e=expect: e in str(self.screen()["text"]),
            )


def ui_or(key: str) -> str:
    """A UI string by key (formatted loosely: the part before its first placeholder), or the text itself."""
    content = shared_content()
    return content.ui[key]["en"].split("{")[0] if key in content.ui else key


async def start_replica(tmp_path: Path, standin: StandIn, url: str, port: int) -> asyncio.subprocess.Process:
    """`python -m bot` in webhook mode; its output goes to a file (a pipe nobody reads would fill up)."""
    folder = tmp_path / str(port)
    folder.mkdir()
    env = clean_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=standin.base_url,
        BOT_DATABASE_URL=url,
        BOT_WEBHOOK_URL="https://bot.example.org/telegram/hook",
        BOT_WEBHOOK_PORT=str(port),
        BOT_WEBHOOK_SECRET=SECRET,
        BOT_REMINDER_INTERVAL="0.5",
    )
    with (folder / "output.log").open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=folder, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT
        )


async def stop_replica(process: asyncio.subprocess.Process, tmp_path: Path, port: int) -> str:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), PROCESS_TIMEOUT)
    return (tmp_path / str(port) / "output.log").read_text(errors="replace")


async def healthy(port: int) -> None:
    async with httpx.AsyncClient() as client, asyncio.timeout(60):
        while True:
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


async def test_two_replicas_behind_a_round_robin_survive_a_sigkill(standin: StandIn, tmp_path: Path) -> None:
    """Thirty users walk a procedure at once through two webhook replicas on one PostgreSQL database, each
    update landing on either; due reminders are sent by whichever dispatcher claims them; one replica is
    killed with SIGKILL while the users are mid-walk and they carry on through the other."""
    ports = [free_port(), free_port()]
    async with fresh_database() as url:
        replicas = [await start_replica(tmp_path, standin, url, port) for port in ports]
        try:
            await asyncio.gather(*(healthy(port) for port in ports))
            proxy = RoundRobin(ports)
            walkers = [Walker(standin, proxy, 5000 + k) for k in range(USERS)]
            await asyncio.gather(*(w.start() for w in walkers))
            await asyncio.gather(*(w.walk(FIRST_HALF) for w in walkers))
            assert min(proxy.served.values()) > USERS  # both replicas served a fair share

            # A reminder due now for every user: both replicas' dispatchers race for them.
            storage = storage_for(url)
            await storage.open()
            try:
                for w in walkers:
                    async with storage.unit(w.user.id) as tx:
                        await tx.save_settings(UserSettings(w.user.id, w.user.id, "en", "Asia/Tokyo", 0, 0))
                        await tx.add_reminder(w.user.id, "user", None, int(time.time()) - 60, f"due:{w.user.id}")
                await wait_until(lambda: all(reminders(standin, w.user.id) for w in walkers))

                before = proxy.served.copy()
                at_kill: Counter[str] = Counter()

                async def kill_mid_walk() -> None:
                    # After about a third of the second half's taps, however fast the replicas answer them.
                    await wait_until(lambda: proxy.served.total() - before.total() >= USERS)
                    replicas[1].kill()  # SIGKILL
                    at_kill.update(proxy.served)

                await asyncio.gather(kill_mid_walk(), *(w.walk(SECOND_HALF) for w in walkers))
                await asyncio.wait_for(replicas[1].wait(), PROCESS_TIMEOUT)
                survivor, killed = proxy.urls
                assert at_kill[killed] > before[killed]  # the killed replica served part of the second half
                assert proxy.served[survivor] > at_kill[survivor] + USERS  # the rest went to the survivor
                await healthy(ports[0])
                await asyncio.sleep(2)  # a few more dispatcher runs: nothing is sent twice
                records = {w.user.id: await storage.read_record(w.user.id) for w in walkers}
                stats = await storage.stats(active_since=0, errors_since=0)
            finally:
                await storage.close()
        finally:
            outputs = [
                await stop_replica(process, tmp_path, port) for process, port in zip(replicas, ports, strict=True)
            ]
    assert replicas[0].returncode == 0, outputs[0]
    assert replicas[1].returncode == -signal.SIGKILL
    for w in walkers:
        assert "Step 2 of" in str(w.screen()["text"]), w.user.id
        assert answers(records[w.user.id]) == EXPECTED_ANSWERS
        assert len(reminders(standin, w.user.id)) == 1, w.user.id
    assert stats.reminders_sent == USERS
    assert stats.reminders_pending == 0
    expired = shared_content().text("expired_button", "en")
    assert not [a for a in standin.callback_answers.values() if a and a.get("text") == expired]
    refused = [(c.method, c.result) for c in standin.calls if not c.ok]
    assert refused == [], refused
    assert all("Traceback" not in output for output in outputs), outputs


def reminders(standin: StandIn, user_id: int) -> list[dict[str, Any]]:
    return [m for m in standin.bot_messages(user_id) if str(m.get("text", "")).startswith("⏰")]
