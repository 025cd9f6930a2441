"""The durable inbox: every update is stored before Telegram is told it arrived, and marked handled only
after its handlers have run and their messages were sent.

Acknowledging comes after storing in both modes: the webhook answers 200 once `deliver` has stored the update
(a storage failure answers 500, so Telegram sends it again), and in polling mode `receive` stores a getUpdates
batch before python-telegram-bot sees it, so the next getUpdates (whose offset confirms the batch) can only
go out once the batch is on disk. At start the updates still pending are handled first, in update-id order.

Marking after the sends rather than inside the update's unit of work: a kill between the unit's commit and
the reply would otherwise leave a user who is never answered. Here that update is handled again after the
restart; the flow record's recent update ids (conversations/turn.py) recognise it and show the current
screen instead of applying it twice. A copy Telegram sends again (polling: the batch was stored but not
confirmed) is known by its id and goes to python-telegram-bot as a bare update that no handler takes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.ext import TypeHandler

from bot.clock import Clock
from bot.context import AppContext, AppType
from bot.schedule import epoch
from bot.storage import Storage
from bot.storage.base import Incoming

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
LAST_GROUP = 1_000  # after every handler of the update (conversations/wiring.py registers them in group 0)
RETRY_SECONDS = 1.0  # after a failed store, before getUpdates is asked again


class Inbox:
    def __init__(self, storage: Storage, clock: Clock) -> None:
        self.storage, self.clock = storage, clock
        self._unmarked: list[int] = []
        self._marking = asyncio.Lock()

    def _now(self) -> int:
        return epoch(self.clock.now())

    async def receive(self, batch: list[Incoming]) -> list[JsonDict] | None:
        """Store a getUpdates batch. Updates stored before come back bare (their id only: python-telegram-bot
        still confirms them, no handler takes them). None when the batch cannot be stored: it must not be
        confirmed, so the caller answers "no updates" and getUpdates returns the same batch again."""
        if not batch:
            return []
        try:
            fresh = await self.storage.keep_updates(batch, self._now())
        except Exception as exc:  # the database, whichever: the batch stays with Telegram
            log.error("could not store %d updates in the inbox, fetching them again: %r", len(batch), exc)
            await asyncio.sleep(RETRY_SECONDS)
            return None
        return [u.data if u.update_id in fresh else {"update_id": u.update_id} for u in batch]

    def deliver_to(self, app: AppType) -> Any:
        """The webhook's deliver hook: store, then queue. A failure to store propagates (the server answers
        500 and Telegram sends the update again)."""

        async def deliver(update: Update, data: JsonDict) -> None:
            user = update.effective_user
            incoming = Incoming(update.update_id, user.id if user else None, data)
            fresh = await self.storage.keep_updates([incoming], self._now())
            if update.update_id in fresh:
                await app.update_queue.put(update)

        return deliver

    async def replay(self, app: AppType) -> int:
        """Queue the updates left pending by the previous process (before any new one is fetched)."""
        pending = await self.storage.pending_updates()
        for data in pending:
            await app.update_queue.put(Update.de_json(data, app.bot))
        if pending:
            log.info("handling %d updates left in the inbox", len(pending))
        return len(pending)

    async def _handled(self, update: Update, context: AppContext) -> None:
        """Group commit: the marks of updates finishing together go in one transaction. Whoever holds the
        lock writes every mark waiting so far; the others find theirs written and return."""
        self._unmarked.append(update.update_id)
        async with self._marking:
            marks, self._unmarked = self._unmarked, []
            if not marks:
                return
            try:
                await self.storage.mark_handled(marks, self._now())
            except Exception as exc:  # these updates are handled again after a restart, and recognised then
                log.warning("could not mark %d updates handled: %r", len(marks), exc)

    def attach(self, app: AppType) -> None:
        """Mark each update handled once every handler group has run (an error in a handler included)."""
        app.add_handler(TypeHandler(Update, self._handled), group=LAST_GROUP)
