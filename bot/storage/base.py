"""The storage interface used by persistence, checklists and reminders.

Everything is keyed by user so that one user's change is one row write, whatever the number of users,
and `/deletemydata` can erase a user with `erase_user`. A PostgreSQL backend implements the same
methods; nothing above this layer knows which database it talks to.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from typing import Any

ConversationKey = tuple[int | str, ...]
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


class Storage(ABC):
    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date (migrations)."""

    @abstractmethod
    async def close(self) -> None: ...

    # -- per-user state (python-telegram-bot's user_data) --
    @abstractmethod
    async def load_one_user_data(self, user_id: int) -> JsonDict | None: ...

    @abstractmethod
    async def save_user_data(self, user_id: int, data: JsonDict) -> None: ...

    # -- conversation states of persistent ConversationHandlers --
    @abstractmethod
    async def load_conversations(self, name: str) -> dict[ConversationKey, Any]: ...

    @abstractmethod
    async def save_conversation(self, name: str, key: ConversationKey, state: Any) -> None:
        """Store a state; `None` means the conversation ended and the row goes."""

    # -- settings (time zone, quiet hours, departure date, locale for reminders) --
    @abstractmethod
    async def get_settings(self, user_id: int) -> UserSettings | None: ...

    @abstractmethod
    async def save_settings(self, settings: UserSettings) -> None: ...

    # -- checklist: the outstanding items of the procedure the user chose --
    @abstractmethod
    async def get_checklist(self, user_id: int) -> tuple[str | None, list[ChecklistItem]]:
        """The procedure key the checklist belongs to, and its items in order."""

    @abstractmethod
    async def replace_checklist(self, user_id: int, procedure: str, item_ids: list[str]) -> None:
        """Make these the user's items; an item kept from the previous checklist keeps its done flag."""

    @abstractmethod
    async def set_item(
        self, user_id: int, item_id: str, *, done: bool | None = None, muted: bool | None = None
    ) -> bool:
        """Change an item's flags; False when the user has no such item."""

    # -- reminders: rows, not in-memory jobs, so they survive restarts --
    @abstractmethod
    async def add_reminder(
        self, user_id: int, chat_id: int, kind: str, item_id: str | None, due_at: int, key: str
    ) -> int | None:
        """Schedule; `key` makes it idempotent (None when a pending reminder with that key exists)."""

    @abstractmethod
    async def get_reminder(self, reminder_id: int) -> Reminder | None: ...

    @abstractmethod
    async def user_reminders(
        self, user_id: int, statuses: tuple[str, ...] = ("pending", "paused")
    ) -> list[Reminder]: ...

    @abstractmethod
    async def set_reminder_status(
        self, reminder_id: int, status: str, *, due_at: int | None = None, error: str | None = None
    ) -> None: ...

    @abstractmethod
    async def cancel_reminders(self, user_id: int, *, kind: str | None = None) -> int: ...

    @abstractmethod
    async def claim_due(self, now: int, limit: int, stale_before: int) -> list[Reminder]:
        """Atomically mark due pending reminders (and claims older than `stale_before`, left by a crash)
        as claimed and return them: one scheduler gets each reminder once per claim."""

    @abstractmethod
    async def pause_user_reminders(self, user_id: int) -> None: ...

    @abstractmethod
    async def resume_user_reminders(self, user_id: int, now: int) -> None:
        """The user is back: paused reminders become pending, overdue ones due now."""

    # -- privacy --
    @abstractmethod
    async def erase_user(self, user_id: int) -> None:
        """Delete every row that belongs to this user."""
