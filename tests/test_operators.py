"""GET /healthz and /metrics of a real bot process (polling mode, on BOT_METRICS_PORT), and the health states."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.operators import Health
from bot.standin import Fault, SimUser, StandIn
from bot.storage import SqliteStorage
from tests.harness import TOKEN
from tests.processes import free_port, start_bot, stop_bot, wait_until


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_health_and_metrics_in_polling_mode(standin: StandIn, tmp_path: Path) -> None:
    port = free_port()
    standin.inject(Fault("getMe", 0, "", delay=3.0))  # a slow start, to see /healthz say so
    standin.inject(Fault("sendMessage", 502, "Bad Gateway"))  # the first reply fails: counted by kind
    process = await start_bot(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=standin.base_url,
        BOT_DB_PATH=str(tmp_path / "bot.sqlite3"),
        BOT_METRICS_PORT=str(port),
    )
    statuses: list[int] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def health() -> int:
                try:
                    status = (await client.get("/healthz")).status_code
                except httpx.TransportError:
                    return 0  # not listening yet
                statuses.append(status)
                return status

            async with asyncio.timeout(30):
                while await health() != 200:  # noqa: ASYNC110 - the effect happens in a subprocess
                    await asyncio.sleep(0.05)
            assert statuses[0] == 503  # starting
            user = SimUser(4301)
            standin.push_message(user, "/start")  # its screen fails with the 502 (the user cannot be told)
            standin.push_message(user, "/start")
            await wait_until(lambda: bool(standin.bot_messages(4301)))
            async with asyncio.timeout(15):  # until the second update's handlers have returned
                while (metrics := samples((await client.get("/metrics")).text)).get(  # noqa: ASYNC110
                    ("jpsim_handler_seconds_count", ())
                ) != 2:
                    await asyncio.sleep(0.05)
    finally:
        code, output = await stop_bot(process)
    assert code == 0, output
    assert metrics[("jpsim_updates_total", (("kind", "message"),))] == 2
    assert metrics[("jpsim_bot_api_errors_total", (("kind", "server"),))] == 1
    assert metrics[("jpsim_reminders_pending", ())] == 0


async def test_health_is_503_unless_started_and_the_database_answers(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "bot.sqlite3")
    await storage.open()
    health = Health(storage)
    assert await health.check() == (False, "starting")
    health.ready()
    assert await health.check() == (True, "ok")
    await storage.close()
    assert await health.check() == (False, "database: RuntimeError")
    health.stopping()
    assert await health.check() == (False, "stopping")
