"""The HTTP request object python-telegram-bot uses for getUpdates only.

Two failures would otherwise leave a process that looks alive but serves nobody:
- one update PTB cannot parse fails the whole getUpdates batch, so the offset never moves past it and
  polling retries it forever (a CRITICAL line each time, ~35 a second);
- a 401 makes PTB's polling loop log "Invalid token. Aborting retry loop" and stop, while the process stays up.

It is also where a batch enters the durable inbox (bot/inbox.py): stored before PTB sees it, so before the
next getUpdates confirms it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

from bot.storage.base import Incoming

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
REJECTED = (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND)  # what PTB turns into InvalidToken
NO_UPDATES = b'{"ok":true,"result":[]}'
Keep = Callable[[list[Incoming]], Awaitable[list[JsonDict] | None]]


def parseable(raw: list[JsonDict]) -> list[Incoming]:
    """Each update parsed once, here: one PTB cannot parse is logged once and replaced by a bare update with the
    same id (no handler matches it, and the offset moves past it). The parse also names the update's user for
    the inbox. (PTB parses each update once more when it reads the batch.)"""
    kept: list[Incoming] = []
    for update in raw:
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if not isinstance(update_id, int):
            log.error("skipped an update without an update_id from getUpdates")
            continue
        try:
            user = Update.de_json(update, None).effective_user
        except Exception as exc:  # whatever PTB's parser raises, this update is skipped
            log.error("skipped update %d: python-telegram-bot cannot parse it (%s)", update_id, type(exc).__name__)
            kept.append(Incoming(update_id, None, {"update_id": update_id}))
            continue
        kept.append(Incoming(update_id, user.id if user else None, update))
    return kept


class UpdatesRequest(HTTPXRequest):
    def __init__(self, on_invalid_token: Callable[[], None] | None = None) -> None:
        super().__init__(connection_pool_size=1)  # PTB's default for the getUpdates request
        self._on_invalid_token = on_invalid_token
        self.keep: Keep | None = None  # the inbox's `receive`, once the storage exists

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code in REJECTED and self._on_invalid_token is not None:
            # The callback ends the process with its exit code; answering "no updates" meanwhile keeps PTB's
            # polling loop from logging a traceback of its own and giving up.
            self._on_invalid_token()
            return HTTPStatus.OK, NO_UPDATES
        if code == HTTPStatus.OK:
            return code, await self._kept(payload)
        return code, payload

    async def _kept(self, payload: bytes) -> bytes:
        """The batch PTB gets: parseable updates only, each stored in the inbox first."""
        data = self.parse_json_payload(payload)
        batch = data.get("result")
        if not isinstance(batch, list) or not batch:
            return payload
        incoming = parseable(batch)
        if self.keep is None:
            kept: list[JsonDict] | None = [update.data for update in incoming]
        else:
            kept = await self.keep(incoming)
        if kept is None:  # not stored: answer "no updates", so the offset does not confirm the batch
            return NO_UPDATES
        return json.dumps({**data, "result": kept}).encode()
