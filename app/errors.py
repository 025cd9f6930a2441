"""The global error handler: log with context, tell the user something went wrong, leak nothing."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.context import AppContext
from bot.schedule import epoch
from bot.storage import STORAGE_ERRORS
from conversations.locale import user_locale

log = logging.getLogger(__name__)


async def on_error(update: object, context: AppContext) -> None:
    error = context.error
    if isinstance(update, Update):
        user = update.effective_user
        log.error(
            "error handling update %s (user %s, chat %s): %r",
            update.update_id,
            user.id if user else None,
            update.effective_chat.id if update.effective_chat else None,
            error,
            exc_info=error,
        )
        try:  # /stats: errors in the last 24 hours
            await context.services.storage.note_error(epoch(context.services.clock.now()))
        except STORAGE_ERRORS as exc:
            log.warning("could not note the error: %r", exc)
    else:
        log.error("error outside an update: %r", error, exc_info=error)
    # Blocked, flooded or unreachable: the user cannot be told. (BadRequest is a NetworkError in PTB, but the
    # user can be reached and should hear that their tap did not work.)
    unreachable = isinstance(error, Forbidden | RetryAfter) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    )
    if not isinstance(update, Update) or unreachable:
        return
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type != chat.PRIVATE or user is None:
        return
    # A database that cannot be written (disk full, locked): the change is lost, so "your progress is saved"
    # would be wrong.
    key = "error_not_saved" if isinstance(error, STORAGE_ERRORS) else "error_generic"
    try:
        # The update's unit was rolled back: the committed record still says which language the user reads
        # (unless the database itself is what failed).
        try:
            record = await context.services.storage.read_record(user.id)
        except STORAGE_ERRORS:
            record = {}
        locale = user_locale(record, user, context.services.settings.bot_default_locale)
        await context.bot.send_message(chat.id, context.content.text(key, locale), parse_mode=None)
    except TelegramError as exc:
        log.warning("could not tell chat %s about the error: %r", chat.id, exc)
