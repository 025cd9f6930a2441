"""One codec for callback data: `v1|<action>|<argument>`, short and self-describing.

Plain strings survive restarts (unlike PTB's arbitrary callback data, an in-memory LRU), and the version
prefix lets a future format reject old buttons cleanly instead of misreading them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

VERSION = "v1"
MAX_BYTES = 64  # Telegram's limit for callback_data


class Action(StrEnum):
    PROVIDER = "p"
    SIM = "s"
    CHANNEL = "c"
    GOAL = "g"
    STAY = "y"
    GO_STEP = "go"
    SUMMARY = "sum"
    TOGGLE_DONE = "d"  # <step index>-<1 mark done | 0 mark not done>
    BACK = "b"
    RESTART = "r"
    LOCALE = "L"
    NOOP = "x"
    # checklist and reminders (buttons on long-lived messages: validated against the database)
    CHECK = "ck"  # toggle a checklist item: <item_id>
    CHECKLIST = "cl"  # open the checklist from a step
    REMIND = "rm"  # open the reminder picker
    PRESET = "rp"  # 3h | tm | 3d | dep
    CALENDAR = "cal"  # show a month: <purpose r|d><yyyymm>
    DAY = "day"  # pick a day: <purpose r|d><yyyymmdd>
    REMINDER_DONE = "rd"  # <reminder id>-<item_id>
    SNOOZE = "sn"  # <reminder id>-<1h|tm>
    STOP = "st"  # <reminder id>[-<item_id>]
    CANCEL_REMINDER = "rc"  # <reminder id>
    SETTINGS = "set"  # tz | quiet | dep | clear | menu
    TIMEZONE = "tz"  # index into schedule.TIMEZONES
    QUIET = "qh"  # <start>-<end>
    DELETE = "del"  # yes | no


ARG_RE = re.compile(r"^[A-Za-z0-9_-]{0,40}$")


@dataclass(frozen=True)
class Callback:
    action: Action
    arg: str = ""

    def encode(self) -> str:
        data = f"{VERSION}|{self.action.value}|{self.arg}"
        if len(data.encode()) > MAX_BYTES or not ARG_RE.match(self.arg):
            raise ValueError(f"callback data does not fit: {data!r}")
        return data

    def index(self) -> int | None:
        """The argument as a step index, or None when it is not one."""
        return int(self.arg) if self.arg.isdigit() and len(self.arg) < 4 else None


def decode(data: str | None) -> Callback | None:
    """Parse callback data; anything malformed, from another version or forged gives None."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split("|")
    if len(parts) != 3 or parts[0] != VERSION or not ARG_RE.match(parts[2]):
        return None
    try:
        action = Action(parts[1])
    except ValueError:
        return None
    return Callback(action, parts[2])


def pattern(*actions: Action) -> str:
    """An anchored regex for CallbackQueryHandler matching these actions."""
    alternatives = "|".join(re.escape(a.value) for a in actions)
    return rf"^{VERSION}\|(?:{alternatives})\|[A-Za-z0-9_-]{{0,40}}$"
