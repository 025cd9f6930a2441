"""The storage interface: one unit of work per update, plus the few operations of the reminder dispatcher.

Everything a handler writes for an update (the user's flow record, checklist, reminders, settings) goes
through one `Unit` and commits together, before the screen that shows it is sent:

    async with storage.unit(user_id) as tx:
        record = await tx.record()
        ...
        await tx.put_record(record)
    # committed here; now show the screen

A unit serialises with every other unit of the same user and sees its own writes; reads outside a unit
(the dispatcher's) see committed data only. The SQLite backend holds its one writer for the unit and reads
on a second connection; a PostgreSQL backend maps a unit onto a transaction that starts with
`pg_advisory_xact_lock(user_id)`. Nothing above this layer knows which database it talks to.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

JsonDict = dict[str, Any]

DEFAULT_QUIET = (22, 8)  # quiet hours, local time: no reminder from 22:00 until 08:00


@dataclass
class UserSettings:
    user_id: int
    chat_id: int
    locale: str
    timezone: str
    quiet_start: int = DEFAULT_QUIET[0]  # hour 0-23; start == end means no quiet hours
    quiet_end: int = DEFAULT_QUIET[1]
    departure: date | None = None
    blocked: bool = False  # the user blocked the bot: reminders wait until they come back
    # Where the user will be after the departure date (IANA name): reminders after it follow this zone.
    abroad_timezone: str | None = None


@dataclass(frozen=True)
class ChecklistItem:
    item_id: str
    done: bool
    muted: bool  # "stop reminders for this item"


@dataclass(frozen=True)
class Reminder:
    id: int
    user_id: int
    chat_id: int
    kind: str  # "user" (asked for) or "follow_up" (from the item catalogue)
    item_id: str | None  # None: every open item of the checklist
    due_at: int  # UTC epoch seconds
    status: str  # pending, claimed, sent, cancelled, paused, failed
    attempts: int


@dataclass(frozen=True)
class Stats:
    """What /stats and /metrics show an operator, over every replica."""

    active_users: int  # users with an update since `active_since`
    top_procedures: list[tuple[str, int]]  # the procedures users' checklists belong to, most chosen first
    reminders_sent: int  # still stored (an erased user's reminders are gone)
    reminders_failed: int
    reminders_pending: int
    errors: int  # errors noted since `errors_since`


@dataclass(frozen=True)
class Incoming:
    """An update for the inbox: its id, the user it is from (None: no user, e.g. a channel post) and its JSON."""

    update_id: int
    user_id: int | None
    data: JsonDict


class Unit(ABC):
    """One user's reads and writes for one update, committed together when the `unit()` block ends
    (rolled back if it raises). Reads see this unit's own writes."""

    user_id: int

    # -- the flow record: the one source of truth about the user's conversation --
    @abstractmethod
    async def record(self) -> JsonDict:
        """The stored record, or {} for a user without one."""

    @abstractmethod
    async def put_record(self, record: JsonDict) -> None:
        """Store the record; {} deletes it."""

    # -- settings (time zone, quiet hours, departure date, locale for reminders) --
    @abstractmethod
    async def settings(self) -> UserSettings | None: ...

    @abstractmethod
    async def save_settings(self, settings: UserSettings) -> None: ...

    # -- checklist: the outstanding items of the procedure the user chose --
    @abstractmethod
    async def checklist(self) -> tuple[str | None, list[ChecklistItem]]:
        """The procedure key the checklist belongs to, and its items in order."""

    @abstractmethod
    async def make_checklist(self, procedure: str, item_ids: list[str]) -> bool:
        """Make these the user's items, unless the checklist already belongs to `procedure` (False then). The
        follow-ups of the previous checklist are cancelled; an item kept from it keeps its flags."""

    @abstractmethod
    async def set_item(self, item_id: str, *, done: bool | None = None, muted: bool | None = None) -> bool:
        """Set an item's flags (set, never toggle); False when the user has no such item."""

    # -- reminders: rows, not in-memory jobs, so they survive restarts --
    @abstractmethod
    async def add_reminder(self, chat_id: int, kind: str, item_id: str | None, due_at: int, key: str) -> int | None:
        """Schedule; `key` makes it idempotent (None when a pending reminder with that key exists)."""

    @abstractmethod
    async def reminder(self, reminder_id: int) -> Reminder | None:
        """The reminder with this id if it is this user's."""

    @abstractmethod
    async def reminders(self, statuses: tuple[str, ...] = ("pending", "paused")) -> list[Reminder]: ...

    @abstractmethod
    async def set_reminder_status(self, reminder_id: int, status: str) -> None: ...

    @abstractmethod
    async def cancel_reminders(self, *, kind: str | None = None) -> int: ...

    @abstractmethod
    async def resume_reminders(self, now: int) -> None:
        """The user is back: paused reminders become pending, overdue ones due now."""

    # -- privacy --
    @abstractmethod
    async def erase(self) -> None:
        """Delete every row that belongs to this user, their updates in the inbox included."""


class Storage(ABC):
    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date (migrations)."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def unit(self, user_id: int) -> AbstractAsyncContextManager[Unit]:
        """One update's unit of work for this user (see the module docstring)."""

    @abstractmethod
    async def patch_record(self, user_id: int, fields: JsonDict, *, when: JsonDict) -> bool:
        """Set top-level `fields` of the user's record if every key of `when` holds that value now, in one
        step that no unit of this user interleaves with; False when it did not (no record, or it changed)."""

    # -- committed reads, outside any unit --
    @abstractmethod
    async def read_record(self, user_id: int) -> JsonDict: ...

    @abstractmethod
    async def read_settings(self, user_id: int) -> UserSettings | None: ...

    @abstractmethod
    async def read_checklist(self, user_id: int) -> tuple[str | None, list[ChecklistItem]]: ...

    # -- the reminder dispatcher: one statement, one transaction each --
    @abstractmethod
    async def claim_due(self, now: int, limit: int, stale_before: int) -> list[Reminder]:
        """Atomically mark due pending reminders (and claims older than `stale_before`, left by a crash)
        as claimed and return them: one scheduler gets each reminder once per claim."""

    @abstractmethod
    async def mark_reminder(
        self, reminder_id: int, status: str, *, due_at: int | None = None, error: str | None = None
    ) -> None: ...

    @abstractmethod
    async def pause_user_reminders(self, user_id: int) -> None:
        """The user blocked the bot: their reminders wait until they write again."""

    # -- operators: health, activity and errors, the figures of /stats --
    @abstractmethod
    async def ping(self) -> None:
        """Raise unless the database answers (GET /healthz)."""

    @abstractmethod
    async def note_activity(self, user_id: int, now: int) -> None:
        """The user sent an update at `now` (epoch seconds): one row per user, erased with their data."""

    @abstractmethod
    async def note_error(self, now: int) -> None:
        """An update's handler failed at `now`; rows older than a week are dropped."""

    @abstractmethod
    async def stats(self, *, active_since: int, errors_since: int, top: int = 10) -> Stats: ...

    # -- the bulk send budget, shared by every process on this database --
    @abstractmethod
    async def take_bulk_slot(self, now: float, rate: float, burst: int) -> float:
        """A token bucket held in the database (refilled at `rate` per second, up to `burst`): 0.0 when the
        caller may send one bulk message now (the token is taken), else the seconds to wait before asking
        again. `now` is the caller's clock, in seconds."""

    # -- the inbox: an update is stored before Telegram is told it arrived, and marked once it is handled --
    @abstractmethod
    async def keep_updates(self, updates: Sequence[Incoming], now: int) -> set[int]:
        """Store, in one transaction, the updates whose id is not in the inbox yet (pending or handled), and
        return their ids: those are new, the others were stored before. Drops handled ids older than a day."""

    @abstractmethod
    async def pending_updates(self) -> list[JsonDict]:
        """The stored updates not handled yet, lowest update id first."""

    @abstractmethod
    async def mark_handled(self, update_ids: Sequence[int], now: int) -> None:
        """The updates have been handled: their content is deleted; each id stays for a day (Telegram sends an
        unconfirmed update again within 24 hours), so a copy of it is known and not handled twice."""
