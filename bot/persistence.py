"""python-telegram-bot persistence on top of `Storage`: per-user rows, written only when they changed.

Only user data and conversation states are stored; bot data, chat data and arbitrary callback data are
switched off (callback data is short self-describing strings, see conversations/callbacks.py).
"""

from __future__ import annotations

import json
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.storage import Storage

UserData = dict[str, Any]

# Exactly json.dumps(data, sort_keys=True), without building a new encoder on every call (~1 µs each, which
# adds up when get_user_data encodes every stored user).
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

    async def get_user_data(self) -> dict[int, UserData]:
        await self.storage.open()
        data = await self.storage.load_user_data()
        self._written = {uid: _snapshot(d) for uid, d in data.items()}
        return data

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
        await self.storage.save_user_data(user_id, {})

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        """Single process: memory is the truth. A multi-replica backend would re-read the row here."""

    async def get_conversations(self, name: str) -> ConversationDict:
        await self.storage.open()
        return await self.storage.load_conversations(name)

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        await self.storage.save_conversation(name, key, new_state)

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
