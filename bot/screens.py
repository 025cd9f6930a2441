"""Show a screen: the one function that edits a message in place or sends the screen anew.

An edit that cannot be applied (the message is gone or too old, Telegram answered 5xx or 429 after the rate
limiter's retries) sends the screen as a new message, so the user sees the current screen rather than
silence. An edit that would change nothing is not sent at all: the message a button was on comes with the
callback query, so it is compared first, and Telegram never refuses an edit as "not modified".
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardMarkup, MaybeInaccessibleMessage, Message
from telegram.error import BadRequest, Forbidden, TelegramError, TimedOut

from bot.tapped_keyboard import keyboard_of

log = logging.getLogger(__name__)
# What an edit returns goes unread here (show and replace_keyboard built the message they edit): the transport
# can skip parsing it (AiohttpRequest's `unread`).
EDITS = ("editMessageText", "editMessageReplyMarkup")
# Of a message the bot sends, only its id is read (here, to edit it later; reminders and error notices read
# nothing): the transport can cut the rest (AiohttpRequest's `id_only`).
SENDS = ("sendMessage",)
_REPLACE_ERRORS = ("message to edit not found", "message can't be edited", "message_id_invalid")
_TAG_RE = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Screen:
    text: str  # HTML
    keyboard: InlineKeyboardMarkup


def is_not_modified(exc: BadRequest) -> bool:
    return "message is not modified" in exc.message.lower()


def cannot_edit(exc: BadRequest) -> bool:
    """The message is gone or too old to edit: show the screen as a new message instead."""
    return any(reason in exc.message.lower() for reason in _REPLACE_ERRORS)


def plain_text(text: str) -> str:
    """The text Telegram shows for our HTML (we only use b, i and a)."""
    return html.unescape(_TAG_RE.sub("", text))


def already_shows(message: MaybeInaccessibleMessage | None, screen: Screen) -> bool:
    return (
        isinstance(message, Message)
        and message.text == plain_text(screen.text)
        and keyboard_of(message) == screen.keyboard
    )


async def show(
    bot: Bot, chat_id: int, screen: Screen, *, edit: int | None, seen: MaybeInaccessibleMessage | None = None
) -> int:
    """Show `screen` in message `edit` (None: as a new message); returns the id of the message showing it.
    `seen` is the message as the user's tap reported it, to skip an edit that would change nothing."""
    if edit is not None:
        if seen is not None and seen.message_id == edit and already_shows(seen, screen):
            return edit
        try:
            await bot.edit_message_text(
                chat_id=chat_id, message_id=edit, text=screen.text, reply_markup=screen.keyboard
            )
            return edit
        except TimedOut:
            # Telegram may well have applied it; a screen that lags behind the record still works (its buttons
            # carry absolute targets), and a second copy would only clutter the chat.
            log.warning("editing message %s in chat %s timed out; assuming it was applied", edit, chat_id)
            return edit
        except BadRequest as exc:
            if is_not_modified(exc):
                return edit
            if not cannot_edit(exc):
                raise
            log.info("message %s in chat %s cannot be edited (%s); sending anew", edit, chat_id, exc.message)
        except Forbidden:
            raise  # blocked: a new message would fail the same way
        except TelegramError as exc:
            log.warning("editing message %s in chat %s failed (%r); sending the screen anew", edit, chat_id, exc)
    message = await bot.send_message(chat_id=chat_id, text=screen.text, reply_markup=screen.keyboard)
    return message.message_id


async def replace_keyboard(bot: Bot, message: MaybeInaccessibleMessage, keyboard: InlineKeyboardMarkup) -> None:
    """Swap the buttons of an old message (text kept), unless it already has exactly these."""
    if isinstance(message, Message) and keyboard_of(message) == keyboard:
        return
    try:
        await bot.edit_message_reply_markup(
            chat_id=message.chat.id, message_id=message.message_id, reply_markup=keyboard
        )
    except BadRequest as exc:
        if not (is_not_modified(exc) or cannot_edit(exc)):
            raise
