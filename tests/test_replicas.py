"""Several bot processes on one PostgreSQL database (real `python -m bot` subprocesses)."""

from __future__ import annotations

from pathlib import Path

from bot.runner import POLLING_IS_SINGLE
from bot.standin import SimUser, StandIn
from tests.harness import TOKEN
from tests.postgres import fresh_database
from tests.processes import start_bot, stop_bot, wait_until


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
