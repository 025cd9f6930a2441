"""The global error handler: log with context, tell the user something went wrong, leak nothing."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.context import AppContext
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
    try:
        # The update's unit was rolled back: the committed record still says which language the user reads.
        record = await context.services.storage.read_record(user.id)
        locale = user_locale(record, user, context.services.settings.bot_default_locale)
        await context.bot.send_message(chat.id, context.content.text("error_generic", locale), parse_mode=None)
    except TelegramError as exc:
        log.warning("could not tell chat %s about the error: %r", chat.id, exc)
