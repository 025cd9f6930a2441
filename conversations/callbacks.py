"""One codec for callback data: `v2|<action>|<token>|<argument>`, short and self-describing.

Plain strings survive restarts (unlike PTB's arbitrary callback data, an in-memory LRU), and the version
prefix makes buttons of an older format expire cleanly instead of being misread (v1 had no token).

Arguments are absolute targets ("go to step 3", "set item X done", "back to the SIM question"), never
"toggle" or "next", so a double tap, a tap on a lagging copy of a screen or a re-delivered update has one
effect. The token says which screen the button belongs to (see flow.token); long-lived messages use it for
what they were made from (a picker's number, a checklist's procedure) or leave it empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from telegram.constants import InlineKeyboardButtonLimit

VERSION = "v2"
MAX_BYTES = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA


class Action(StrEnum):
    PROVIDER = "p"  # answer: <option>
    SIM = "s"
    CHANNEL = "c"
    GOAL = "g"
    STAY = "y"
    GO_STEP = "go"  # <step index>
    SUMMARY = "sum"
    MARK = "d"  # <step index>-<1 mark done | 0 mark not done>
    BACK = "b"  # <question to reopen>
    RESTART = "r"
    LOCALE = "L"
    NOOP = "x"
    CHECK = "ck"  # on the summary: <item_id>-<1 ticked | 0 not ticked>
    REMIND = "rm"  # open the reminder picker
    CHECKLIST = "cl"  # open the checklist from a step
    # buttons on long-lived messages (a reminder may be tapped days later): validated against the database
    TICK = "tk"  # on the /checklist message: <item_id>-<1|0>; token: the checklist's procedure
    PRESET = "rp"  # 3h | tm | 3d | dep; token: the picker's number
    CALENDAR = "cal"  # show a month: <purpose r|d|p><yyyymm>; token: the picker's number (purpose r)
    DAY = "day"  # pick a day: <purpose r|d|p><yyyymmdd>; token as CALENDAR
    REMINDER_DONE = "rd"  # <reminder id>-<item_id>
    SNOOZE = "sn"  # <reminder id>-<1h|tm>
    STOP = "st"  # <reminder id>[-<item_id>]
    CANCEL_REMINDER = "rc"  # <reminder id>
    SETTINGS = "set"  # tz | quiet | dep | clear | menu
    TIMEZONE = "tz"  # index into the time zone menu
    QUIET = "qh"  # <start>-<end>
    DELETE = "del"  # yes | no
    PLAN = "pl"  # open | show | dep | tz | skip
    PLAN_TICK = "pt"  # on the plan: <item_id>-<1|0>; token: the checklist's procedure
    PLAN_ICS = "ics"  # send the plan as an .ics file
    ABROAD = "ab"  # where the user will be after leaving: index into the time zone menu


# The button that answers each question of the flow (flow.QUESTIONS, in order).
ANSWER_ACTIONS = {
    "provider": Action.PROVIDER,
    "sim": Action.SIM,
    "channel": Action.CHANNEL,
    "goal": Action.GOAL,
    "stay": Action.STAY,
}
QUESTION_OF = {action: question for question, action in ANSWER_ACTIONS.items()}

ARG = r"[A-Za-z0-9_-]{0,40}"
TOKEN = r"[a-z0-9.]{0,16}"
ARG_RE = re.compile(rf"^{ARG}$")
TOKEN_RE = re.compile(rf"^{TOKEN}$")


@dataclass(frozen=True)
class Callback:
    action: Action
    arg: str = ""
    token: str = ""

    def encode(self) -> str:
        data = f"{VERSION}|{self.action.value}|{self.token}|{self.arg}"
        if len(data.encode()) > MAX_BYTES or not ARG_RE.match(self.arg) or not TOKEN_RE.match(self.token):
            raise ValueError(f"callback data does not fit: {data!r}")
        return data

    def index(self) -> int | None:
        """The argument as a step index, or None when it is not one."""
        return int(self.arg) if self.arg.isdigit() and len(self.arg) < 4 else None

    def setting(self) -> tuple[str, bool] | None:
        """An `<id>-<1|0>` argument: the id and the value to set."""
        head, _, value = self.arg.rpartition("-")
        return (head, value == "1") if head and value in ("0", "1") else None


def decode(data: str | None) -> Callback | None:
    """Parse callback data; anything malformed, from another version or forged gives None."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split("|")
    if len(parts) != 4 or parts[0] != VERSION or not TOKEN_RE.match(parts[2]) or not ARG_RE.match(parts[3]):
        return None
    try:
        action = Action(parts[1])
    except ValueError:
        return None
    return Callback(action, parts[3], parts[2])


def pattern(*actions: Action) -> str:
    """An anchored regex for CallbackQueryHandler matching these actions."""
    alternatives = "|".join(re.escape(a.value) for a in actions)
    return rf"^{VERSION}\|(?:{alternatives})\|{TOKEN}\|{ARG}$"
