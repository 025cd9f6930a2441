"""Helpers for tests that start `python -m bot` as a real subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROCESS_TIMEOUT = 60.0
WAIT_TIMEOUT = 15.0


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_until(check: Callable[[], bool]) -> None:
    """Poll for an effect of another process (stand-in calls, database rows); no event exists to await."""
    async with asyncio.timeout(WAIT_TIMEOUT):
        while not check():  # noqa: ASYNC110 - the effect happens in a subprocess
            await asyncio.sleep(0.02)


async def start_bot(tmp_path: Path, *args: str, **env: str) -> asyncio.subprocess.Process:
    return await start_bot_with(tmp_path, args, env)


async def start_webhook_bot(
    tmp_path: Path, token: str, api_base_url: str, secret: str
) -> tuple[asyncio.subprocess.Process, str]:
    """A bot in webhook mode on a free loopback port, its database in tmp_path; the process and its webhook URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    process = await start_bot(
        tmp_path,
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE_URL=api_base_url,
        BOT_DB_PATH=str(tmp_path / "bot.sqlite3"),
        BOT_WEBHOOK_URL=url,
        BOT_WEBHOOK_PORT=str(port),
        BOT_WEBHOOK_SECRET=secret,
    )
    return process, url


async def start_bot_with(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], **options: Any
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=tmp_path, env=clean_env(**env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, **options,
    )  # fmt: skip


async def finish(process: asyncio.subprocess.Process) -> tuple[int, str]:
    """Wait for the process to end by itself; its exit code and stdout + stderr."""
    out, err = await asyncio.wait_for(process.communicate(), PROCESS_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace") + err.decode(errors="replace")


async def stop_bot(process: asyncio.subprocess.Process) -> tuple[int, str]:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    return await finish(process)
