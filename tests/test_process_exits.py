"""A real `python -m bot` process: fatal conditions end it with its exit code (bot/exitcodes.py) and one
clear line, an update python-telegram-bot cannot parse is skipped, and no output ever holds the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.exitcodes import ExitCode
from bot.standin import Fault, SimUser, StandIn
from tests.harness import TOKEN
from tests.processes import finish, free_port, start_bot, stop_bot, wait_until

pytestmark = pytest.mark.asyncio
FAKE_TOKEN = "111222333:FAKE-TOKEN_abcdefghijklmnopqrstuvwxyz"


def env_for(standin: StandIn, tmp_path: Path, token: str = TOKEN, **extra: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "BOT_DB_PATH": str(tmp_path / "bot.sqlite3"),
        **extra,
    }


def assert_secret_free(output: str, token: str) -> None:
    assert token not in output
    assert token.partition(":")[2] not in output  # not even URL-encoded


def lines_with(output: str, text: str) -> list[str]:
    return [line for line in output.splitlines() if text in line]


async def test_a_rejected_token_at_start_exits_with_one_line_and_never_prints_the_token(
    standin: StandIn, tmp_path: Path
) -> None:
    process = await start_bot(tmp_path, **env_for(standin, tmp_path, token=FAKE_TOKEN))
    code, output = await finish(process)
    assert code == ExitCode.TOKEN_REJECTED, output
    assert_secret_free(output, FAKE_TOKEN)
    assert len(lines_with(output, "rejected TELEGRAM_BOT_TOKEN")) == 1, output
    assert "Traceback" not in output


async def test_a_502_page_echoing_the_path_never_prints_the_token(standin: StandIn, tmp_path: Path) -> None:
    standin.inject(Fault("getMe", 502, "Bad Gateway", times=100, page=True))
    process = await start_bot(tmp_path, "--log-level", "DEBUG", **env_for(standin, tmp_path))
    code, output = await finish(process)
    assert code == ExitCode.UNAVAILABLE, output
    assert any(c.method == "getMe" and not c.ok for c in standin.calls)
    assert "<redacted>" in output  # the page (with the path) was printed, redacted
    assert_secret_free(output, TOKEN)
    assert len(lines_with(output, "cannot reach the Bot API")) == 1, output


async def test_a_401_while_polling_ends_the_process(standin: StandIn, tmp_path: Path) -> None:
    user = SimUser(5101)
    process = await start_bot(tmp_path, **env_for(standin, tmp_path))
    try:
        standin.push_message(user, "/start")
        await wait_until(lambda: bool(standin.bot_messages(user.id)))
    except BaseException:
        await stop_bot(process)
        raise
    standin.token = "999:revoked-token"  # the token is revoked: every call is 401 from now on
    standin.push_update({})  # ends the running long poll with an update no handler sends for; the next one is 401
    code, output = await finish(process)
    assert code == ExitCode.TOKEN_REJECTED, output
    assert len(lines_with(output, "rejected TELEGRAM_BOT_TOKEN")) == 1, output
    assert "Traceback" not in output
    assert_secret_free(output, TOKEN)


async def test_an_unparseable_update_is_logged_once_and_skipped(standin: StandIn, tmp_path: Path) -> None:
    user = SimUser(5102)
    process = await start_bot(tmp_path, **env_for(standin, tmp_path))
    try:
        # A chat that is not an object: python-telegram-bot's parser fails on it.
        bad = standin.push_update({"message": {"message_id": 1, "date": 0, "chat": 7, "text": "hi"}})
        standin.push_message(user, "/start")
        await wait_until(lambda: bool(standin.bot_messages(user.id)))
    finally:
        code, output = await stop_bot(process)
    assert code == ExitCode.OK, output
    assert len(lines_with(output, "skipped update")) == 1, output
    assert f"skipped update {bad}" in output
    assert "CRITICAL" not in output


async def test_a_refused_webhook_ends_the_process(standin: StandIn, tmp_path: Path) -> None:
    standin.inject(Fault("setWebhook", 400, "Bad Request: bad webhook: HTTPS url must be provided for webhook"))
    port = free_port()
    env = env_for(
        standin,
        tmp_path,
        BOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
        BOT_WEBHOOK_PORT=str(port),
        BOT_WEBHOOK_SECRET="a-secret",
    )
    code, output = await finish(await start_bot(tmp_path, **env))
    assert code == ExitCode.PROTOCOL, output
    assert len(lines_with(output, "Telegram refused the webhook")) == 1, output
    assert "Traceback" not in output
