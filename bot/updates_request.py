"""The HTTP request object python-telegram-bot uses for getUpdates only (on aiohttp, as every other call).

Two failures would otherwise leave a process that looks alive but serves nobody:
- one update PTB cannot parse fails the whole getUpdates batch, so the offset never moves past it and
  polling retries it forever (a CRITICAL line each time, ~35 a second);
- a 401 makes PTB's polling loop log "Invalid token. Aborting retry loop" and stop, while the process stays up.

It is also where a batch enters the durable inbox (bot/inbox.py): stored before PTB sees it, so before the
next getUpdates confirms it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import orjson
from telegram import Bot, Update

from bot.aiohttp_request import AiohttpRequest
from bot.storage.base import Incoming
from bot.tapped_keyboard import set_aside

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
REJECTED = (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND)  # what PTB turns into InvalidToken
NO_UPDATES = b'{"ok":true,"result":[]}'
Keep = Callable[[list[Incoming]], Awaitable[list[JsonDict] | None]]


def parse_batch(raw: list[JsonDict], bot: Bot | None) -> tuple[list[Incoming], dict[int, Update]]:
    """Each update parsed once, here: for the inbox (with its user) and for python-telegram-bot (by id), a
    tapped message's keyboard set aside (bot/tapped_keyboard.py). One PTB cannot parse is logged once and
    stored as a bare update with the same id: no handler takes it, and the offset moves past it."""
    kept: list[Incoming] = []
    parsed: dict[int, Update] = {}
    for update in raw:
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if not isinstance(update_id, int):
            log.error("skipped an update without an update_id from getUpdates")
            continue
        to_parse, to_store = set_aside(update)
        try:
            parsed[update_id] = Update.de_json(to_parse, bot)
        except Exception as exc:  # whatever PTB's parser raises, this update is skipped
            log.error("skipped update %d: python-telegram-bot cannot parse it (%s)", update_id, type(exc).__name__)
            kept.append(Incoming(update_id, None, {"update_id": update_id}))
            continue
        user = parsed[update_id].effective_user
        kept.append(Incoming(update_id, user.id if user else None, to_store))
    return kept, parsed


class ParsedUpdates(asyncio.Queue[object]):
    """The application's update queue, which swaps the stand-ins of a polled batch for the updates parsed
    before.

    `UpdatesRequest` parses every update of a getUpdates batch (it must: to skip what python-telegram-bot
    cannot parse, and to name the user for the inbox). Parsing them again in PTB's polling loop cost 7% of the
    bot's CPU under load, so PTB gets `{"update_id": n}` for each, which it parses at no cost and puts here,
    in order; this queue puts the update parsed before in its place. Anything else (a webhook's update, the
    inbox's replay, a copy the inbox already holds) passes as it is.
    """

    def __init__(self) -> None:
        super().__init__()
        self.parsed: dict[int, Update] = {}

    def put_nowait(self, item: object) -> None:  # Queue.put ends here too
        if isinstance(item, Update):
            item = self.parsed.pop(item.update_id, item)
        super().put_nowait(item)


class UpdatesRequest(AiohttpRequest):
    def __init__(self, on_invalid_token: Callable[[], None] | None = None) -> None:
        super().__init__(connections=1)  # one long poll at a time, as PTB's own getUpdates request
        self._on_invalid_token = on_invalid_token
        self.keep: Keep | None = None  # the inbox's `receive`, once the storage exists
        self._bot: Bot | None = None
        self._queue: ParsedUpdates | None = None

    def hand_to(self, bot: Bot, queue: ParsedUpdates) -> None:
        """Parse with the application's bot (shortcuts such as `query.answer()` need it) into its queue."""
        self._bot, self._queue = bot, queue

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
        """The batch PTB gets: updates it can parse, each stored in the inbox first (as stand-ins once handed to
        a ParsedUpdates queue)."""
        data = self.parse_json_payload(payload)
        batch = data.get("result")
        if not isinstance(batch, list) or not batch:
            return payload
        incoming, parsed = parse_batch(batch, self._bot)
        if self.keep is None:
            kept: list[JsonDict] | None = [update.data for update in incoming]
        else:
            kept = await self.keep(incoming)
        if kept is None:  # not stored: answer "no updates", so the offset does not confirm the batch
            return NO_UPDATES
        if self._queue is not None:
            fresh = [u["update_id"] for u in kept if len(u) > 1]  # not bare: to be handled now
            self._queue.parsed.update((update_id, parsed[update_id]) for update_id in fresh)
            kept = [{"update_id": u["update_id"]} for u in kept]
        return orjson.dumps({**data, "result": kept})
