"""Notes who uses the bot, for /stats ("users active in the last 7 days"): a handler ahead of the chat's
handlers that stores the user's last update time in its own small transaction."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import AppContext
from bot.schedule import epoch
from bot.storage import STORAGE_ERRORS

log = logging.getLogger(__name__)

NOTE_EVERY = 3600  # seconds: a user's activity is stored at most once an hour by each process
MAX_REMEMBERED = 100_000


class ActivityNotes:
    """The dict only spares writes (when this process last stored a user's activity); it holds no user state,
    so another replica's notes never make it wrong, at worst an hour late."""

    def __init__(self) -> None:
        self._noted: dict[int, int] = {}

    async def __call__(self, update: Update, context: AppContext) -> None:
        user = update.effective_user
        if user is None:
            return
        now = epoch(context.services.clock.now())
        last = self._noted.get(user.id)
        if last is not None and now - last < NOTE_EVERY:
            return
        if len(self._noted) >= MAX_REMEMBERED:
            self._noted.clear()
        self._noted[user.id] = now
        try:
            await context.services.storage.note_activity(user.id, now)
        except STORAGE_ERRORS as exc:  # statistics only: the update itself goes on
            log.warning("could not note activity: %r", exc)
