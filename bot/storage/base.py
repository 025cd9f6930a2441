"""The storage interface used by persistence, checklists and reminders.

Everything is keyed by user so that one user's change is one row write, whatever the number of users,
and `/deletemydata` can erase a user with `erase_user`. A PostgreSQL backend implements the same
methods; nothing above this layer knows which database it talks to.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

ConversationKey = tuple[int | str, ...]
JsonDict = dict[str, Any]


class Storage(ABC):
    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date (migrations)."""

    @abstractmethod
    async def close(self) -> None: ...

    # -- per-user state (python-telegram-bot's user_data) --
    @abstractmethod
    async def load_user_data(self) -> dict[int, JsonDict]: ...

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

    # -- privacy --
    @abstractmethod
    async def erase_user(self, user_id: int) -> None:
        """Delete every row that belongs to this user."""
