"""The ways the bot runs: the offline demo, webhook mode over real HTTP, and a clean stop on SIGTERM.
These start `python -m bot` as a real subprocess."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import httpx
import pytest

from bot.standin import SimUser, StandIn
from tests.harness import TOKEN, buttons, shared_content
from tests.processes import PROCESS_TIMEOUT, ROOT, clean_env, start_bot, start_webhook_bot, stop_bot, wait_until

pytestmark = pytest.mark.asyncio


def ui(key: str, **values: object) -> str:
    return shared_content().text(key, "en", **values)


async def test_demo_script_walks_to_the_summary_and_a_reminder_fires(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--script", str(ROOT / "tests/data/demo_walk.txt"), "--fast-clock", "36000",
        cwd=tmp_path, env=clean_env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    transcript = output.decode()
    assert process.returncode == 0, transcript
    assert "OFFLINE DEMO" in transcript
    assert "No TELEGRAM_BOT_TOKEN is set" not in transcript  # a replay skips the set-up hint
    assert ui("summary_title") in transcript
    assert ui("reminder_title", procedure="Cancel docomo online (My docomo)") in transcript
    assert transcript.index(ui("summary_title")) < transcript.index("⏰ Reminder")
    assert "(no button" not in transcript
    assert not (tmp_path / "data").exists()  # a replay uses a throw-away database


async def test_demo_script_shows_the_dated_plan(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--script", str(ROOT / "tests/data/demo_plan.txt"),
        cwd=tmp_path, env=clean_env(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    transcript = output.decode()
    assert process.returncode == 0, transcript
    assert "(no button" not in transcript
    assert transcript.count(ui("plan_title", date="")) >= 2  # after the typed date, and from /plan
    assert ui("plan_departure_line") in transcript
    items = shared_content().catalogue.items
    assert f"☑ {items['backup_data'].title['en']}" in transcript  # ticked on the plan, in place


async def test_no_token_interactive_demo_explains_and_quits_on_eof(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=clean_env(),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(b"1\n:quit\n"), PROCESS_TIMEOUT)
    transcript = output.decode()
    assert process.returncode == 0, transcript
    assert "No TELEGRAM_BOT_TOKEN is set" in transcript
    assert ui("ask_provider") in transcript  # the demo greets with /start on its own
    assert (tmp_path / "data" / "demo.sqlite3").exists()


async def test_webhook_requires_the_secret_token(standin: StandIn, tmp_path: Path) -> None:
    secret = "s3cret-token_for-tests"
    db = tmp_path / "bot.sqlite3"
    process, url = await start_webhook_bot(tmp_path, TOKEN, standin.base_url, secret)
    try:
        await wait_until(lambda: standin.webhook_url == url)
        user = SimUser(4001, language_code="en")
        # No kept-alive connections: the server closes the connection of a refused request (it reads no body),
        # and Telegram opens a new one per delivery anyway.
        async with httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0)) as client:
            await wait_until(lambda: any(c.method == "setWebhook" for c in standin.calls))
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                update = {"update_id": 1, **standin.message_update(user, "/start")}
                response = await client.post(url, json=update, headers=headers)
                assert response.status_code == 403
            await asyncio.sleep(0.3)
            assert standin.bot_messages(4001) == []
            with sqlite3.connect(db) as conn:
                assert conn.execute("SELECT count(*) FROM flow_records WHERE user_id = 4001").fetchone() == (0,)
            update = {"update_id": 2, **standin.message_update(user, "/start")}
            response = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret})
            assert response.status_code == 200
            await wait_until(lambda: bool(standin.bot_messages(4001)))
            assert ui("ask_provider") in standin.bot_messages(4001)[-1]["text"]
    finally:
        code, output = await stop_bot(process)
    assert code == 0, output
    assert TOKEN not in output


async def test_sigterm_mid_conversation_keeps_the_state(standin: StandIn, tmp_path: Path) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "BOT_DB_PATH": str(tmp_path / "bot.sqlite3"),
    }
    user = SimUser(4002, language_code="en")

    def screen() -> dict[str, object]:
        return [m for m in standin.bot_messages(4002) if m.get("reply_markup")][-1]

    async def press(label: str, expect: str) -> None:
        data = next(d for text, d in buttons(screen()) if label in text)
        standin.push_callback(user, dict(screen()), data)
        await wait_until(lambda: expect in str(screen()["text"]))

    process = await start_bot(tmp_path, **env)
    try:
        standin.push_message(user, "/start")
        await wait_until(lambda: bool(standin.bot_messages(4002)))
        await press("NTT docomo", ui("ask_sim"))
        await press(ui("sim_physical"), ui("ask_channel", provider="NTT docomo"))
        await press(ui("channel_shop"), ui("ask_goal"))
        await press(ui("goal_cancel"), ui("ask_stay"))
        await press(ui("stay_leaving"), "Step 1 of")
        await press(ui("btn_next"), "Step 2 of")
    finally:
        code, output = await stop_bot(process)
    assert code == 0, output
    process = await start_bot(tmp_path, **env)
    try:
        await press(ui("btn_next"), "Step 3 of")  # the button of the screen shown before the stop
    finally:
        code, output = await stop_bot(process)
    assert code == 0, output
