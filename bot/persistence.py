"""python-telegram-bot persistence on top of `Storage`: per-user rows, written only when they changed.

Only user data and conversation states are stored; bot data, chat data and arbitrary callback data are
switched off (callback data is short self-describing strings, see conversations/callbacks.py).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.storage import Storage

UserData = dict[str, Any]

# Exactly json.dumps(data, sort_keys=True), without building a new encoder on every call.
_snapshot = json.JSONEncoder(sort_keys=True).encode


class SqlitePersistence(BasePersistence[UserData, dict[Any, Any], dict[Any, Any]]):
    def __init__(self, storage: Storage, update_interval: float = 60) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False),
            update_interval=update_interval,
        )
        self.storage = storage
        # What each user's row holds now, so an unchanged user costs a comparison, not a write.
        self._written: dict[int, str] = {}
        self._loaded: set[int] = set()  # users whose row has been read since start
        self._states: dict[tuple[str, ConversationKey], object] = {}  # conversation states as stored

    async def get_user_data(self) -> dict[int, UserData]:
        """Nothing up front: each user's row is read on their first update (refresh_user_data), so start-up
        time does not grow with the number of stored users."""
        await self.storage.open()
        return {}

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        """PTB calls this before handling each update; the first one of a user since start reads their row.
        A backend shared by several replicas would re-read the row on every call instead."""
        if user_id in self._loaded:
            return
        self._loaded.add(user_id)
        stored = await self.storage.load_one_user_data(user_id)
        if stored:
            for key, value in stored.items():
                user_data.setdefault(key, value)
            self._written[user_id] = _snapshot(stored)

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        encoded = _snapshot(data)
        if self._written.get(user_id) == encoded or (not data and user_id not in self._written):
            return
        await self.storage.save_user_data(user_id, data)
        if data:
            self._written[user_id] = encoded
        else:
            self._written.pop(user_id, None)

    async def drop_user_data(self, user_id: int) -> None:
        self._written.pop(user_id, None)
        self._loaded.discard(user_id)
        await self.storage.save_user_data(user_id, {})

    async def get_conversations(self, name: str) -> ConversationDict:
        await self.storage.open()
        states = await self.storage.load_conversations(name)
        self._states.update(((name, key), state) for key, state in states.items())
        return states

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        if (name, key) in self._states and self._states[(name, key)] == new_state:
            return
        await self.storage.save_conversation(name, key, new_state)
        if new_state is None:
            self._states.pop((name, key), None)
        else:
            self._states[(name, key)] = new_state

    async def write_through(
        self, user_id: int, data: UserData, conversation: str, key: ConversationKey, state: object
    ) -> None:
        """Store a user's data and conversation state now, before the reply that shows them is sent.

        PTB writes only after the handler returned, so a crash between Telegram showing the new screen and
        that write would lose a change the user saw. The handler's own write afterwards finds nothing
        changed and costs a comparison."""
        await self.update_user_data(user_id, copy.deepcopy(data))
        await self.update_conversation(conversation, key, state)

    async def flush(self) -> None:
        """Every write is committed as it happens; nothing is buffered."""

    # Kinds switched off in store_data; PTB never calls the writers, the readers return empty.
    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        pass

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        pass

    async def update_callback_data(self, data: Any) -> None:
        pass

    async def drop_chat_data(self, chat_id: int) -> None:
        pass

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        pass

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        pass
