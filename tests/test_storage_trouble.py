"""A database that cannot be written: at start-up the process names the problem and the fix in one line and
exits with ExitCode.STORAGE (no crash loop with a traceback); while running, the user hears to try again."""

from __future__ import annotations

import resource
import sqlite3
from pathlib import Path

import pytest

from bot.exitcodes import ExitCode
from bot.standin import SimUser, StandIn
from bot.storage import SqliteStorage
from bot.storage.sqlite import storage_problem
from tests.harness import TOKEN, Chat, running_bot
from tests.processes import finish, start_bot_with
from tests.test_reminders import ui


def no_file_growth() -> None:
    """A full disk, deterministically and as root too (root ignores file modes): RLIMIT_FSIZE 0 makes every
    write to a regular file fail (EFBIG; Python ignores SIGXFSZ), as ENOSPC does on a full disk."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


async def created(db: Path) -> None:
    storage = SqliteStorage(db)
    await storage.open()
    await storage.close()


def bot_env(standin: StandIn, db: Path) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": standin.base_url, "BOT_DB_PATH": str(db)}


@pytest.mark.parametrize("existing", [True, False], ids=["restart", "first-start"])
async def test_full_disk_at_start_up_exits_with_one_line(standin: StandIn, tmp_path: Path, existing: bool) -> None:
    db = tmp_path / "bot.sqlite3"
    if existing:
        await created(db)
    process = await start_bot_with(tmp_path, (), bot_env(standin, db), preexec_fn=no_file_growth)
    code, output = await finish(process)
    assert code == ExitCode.STORAGE, output
    problem = [line for line in output.splitlines() if "cannot write the database" in line]
    assert len(problem) == 1, output
    assert "free disk space" in problem[0]
    assert "Traceback" not in output


async def test_locked_database_at_start_up_exits_with_one_line(standin: StandIn, tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    await created(db)
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process writing (a second bot, a backup tool)
        code, output = await finish(await start_bot_with(tmp_path, (), bot_env(standin, db)))
    finally:
        holder.close()
    assert code == ExitCode.STORAGE, output
    assert len([line for line in output.splitlines() if "is locked by another process" in line]) == 1, output
    assert "Traceback" not in output


def test_storage_problems_name_the_fix(tmp_path: Path) -> None:
    """Real SQLite errors, mapped to the line an operator reads (a read-only disk cannot be made as root)."""
    db = tmp_path / "bot.sqlite3"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.commit()
    read_only = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.Error) as caught:
        read_only.execute("INSERT INTO t VALUES (1)")
    assert "writable by user id" in storage_problem(db, caught.value)
    full = sqlite3.connect(db)
    full.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.Error) as caught:
        full.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 100)
    assert "free disk space" in storage_problem(db, caught.value)


async def test_an_update_that_cannot_be_stored_asks_to_try_again(standin: StandIn, tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(5301))
        await chat.send("/start")
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # writes wait the busy time-out (5 s), then fail
        try:
            await chat.click("NTT docomo")
        finally:
            holder.close()
        assert chat.last["text"] == ui("error_not_saved")
        await chat.send("/start")  # the database is free again: the bot carries on
        await chat.click("NTT docomo")
        assert ui("ask_sim") in chat.screen["text"]
