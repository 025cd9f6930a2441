"""Show a screen: edit the user's one live message in place, or send a new one when that is impossible.

The id of the live message is kept in user_data["screen"]; buttons on any other message are stale.
"message is not modified" (a double tap) is not an error; a message that can no longer be edited is
replaced by a new one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import CallbackQuery, InlineKeyboardMarkup
from telegram.error import BadRequest, TimedOut

from bot.context import AppContext

log = logging.getLogger(__name__)
SCREEN_KEY = "screen"
_REPLACE_ERRORS = ("message to edit not found", "message can't be edited", "message_id_invalid")


def is_not_modified(exc: BadRequest) -> bool:
    return "message is not modified" in exc.message.lower()


def cannot_edit(exc: BadRequest) -> bool:
    """The message is gone or too old to edit: show the screen as a new message instead."""
    return any(reason in exc.message.lower() for reason in _REPLACE_ERRORS)


@dataclass(frozen=True)
class Screen:
    text: str  # HTML
    keyboard: InlineKeyboardMarkup


async def show(context: AppContext, chat_id: int, screen: Screen, *, new: bool = False) -> None:
    message_id = context.ud.get(SCREEN_KEY)
    if message_id is not None and not new:
        try:
            await context.bot.edit_message_text(
                chat_id=chat_id, message_id=message_id, text=screen.text, reply_markup=screen.keyboard
            )
            return
        except TimedOut:
            # Telegram may well have applied it. Raising would keep the conversation in its old state while
            # the user sees the new screen; going on keeps both in step, and a double edit is harmless.
            log.warning("editing screen %s in chat %s timed out; assuming it was applied", message_id, chat_id)
            return
        except BadRequest as exc:
            if is_not_modified(exc):
                return
            if not cannot_edit(exc):
                raise
            log.info("screen %s in chat %s cannot be edited (%s); sending a new one", message_id, chat_id, exc.message)
    message = await context.bot.send_message(chat_id=chat_id, text=screen.text, reply_markup=screen.keyboard)
    context.ud[SCREEN_KEY] = message.message_id


async def redraw(query: CallbackQuery, chat_id: int, screen: Screen) -> None:
    """Redraw the message a button was on; when it can no longer be edited (deleted, too old), send the
    screen as a new message instead."""
    try:
        await query.edit_message_text(screen.text, reply_markup=screen.keyboard)
    except BadRequest as exc:
        if is_not_modified(exc):
            return
        if not cannot_edit(exc):
            raise
        await query.get_bot().send_message(chat_id, screen.text, reply_markup=screen.keyboard)
