"""/deletemydata leaves no copy of the user on disk while the bot runs (SQLite keeps deleted rows in free
space and old page versions in the WAL unless told otherwise), and the database is private to its owner."""

from __future__ import annotations

import stat
import struct
from pathlib import Path

from bot.clock import ManualClock
from bot.standin import SimUser, StandIn
from tests.harness import Chat, running_bot
from tests.test_reminders import NOON_JST, QUIET_INTERVAL, ask_reminder, ui, walk_to_steps

USER = 987654321
TIMEZONE = "America/Los_Angeles"  # chosen in /settings, the default is Asia/Tokyo


def on_disk(db: Path) -> bytes:
    """The raw bytes of the database and its WAL and shared-memory files."""
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def traces(raw: bytes) -> list[str]:
    """Which of the user's marks the bytes hold: the id as text (JSON keys) and as SQLite's 4-byte integer,
    the time zone they chose, their answers."""
    marks = {
        "id as text": str(USER).encode(),
        "id as integer": struct.pack(">i", USER),
        "time zone": TIMEZONE.encode(),
        "answer": b'"docomo"',
    }
    return [name for name, mark in marks.items() if mark in raw]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_erased_user_leaves_no_trace_in_the_database_files_while_running(
    standin: StandIn, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "bot.sqlite3"
    clock = ManualClock(NOON_JST)
    async with running_bot(standin, db, clock=clock, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, SimUser(USER))
        await walk_to_steps(chat)
        await ask_reminder(chat, "preset_3h")
        await chat.send("/settings")
        menu = chat.last
        await chat.click(ui("btn_tz"), message=menu)
        await chat.click(TIMEZONE, message=standin.messages[(USER, menu["message_id"])])
        assert traces(on_disk(db)) == ["id as text", "id as integer", "time zone", "answer"]

        assert (mode(db.parent), mode(db)) == (0o700, 0o600)
        for suffix in ("-wal", "-shm"):
            assert mode(db.with_name(db.name + suffix)) == 0o600, suffix

        await chat.send("/deletemydata")
        prompt = chat.last
        await chat.click(ui("btn_delete_yes"), message=prompt)
        assert standin.messages[(USER, prompt["message_id"])]["text"] == ui("deleted")
        assert traces(on_disk(db)) == []
