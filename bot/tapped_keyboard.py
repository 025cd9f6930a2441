"""The keyboard of a tapped message, set aside unparsed.

A callback query carries the whole message its button is on, keyboard included: up to 30 buttons on the
carrier menu, about 2 KB of JSON. python-telegram-bot would build an object per button on every tap, and the
inbox would store that copy of our own keyboard with each update. The bot reads it for one thing only: to skip
an edit that would change nothing (bot/screens.py).

So an update, polled or POSTed to the webhook, is parsed with its keyboard moved into the message's
`api_kwargs` (where PTB keeps fields it has no attribute for, as they came) and parsed only when asked for,
and the inbox stores the update without it. Parsing a tap and encoding it for the inbox took 440-460 µs with a
7-button keyboard and 700-880 µs with 30 buttons; without the keyboard, 240-300 µs whatever its size (this
2-core VM, best of 7).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup, MaybeInaccessibleMessage, Message

log = logging.getLogger(__name__)
JsonDict = dict[str, Any]
UNPARSED = "unparsed_reply_markup"


def set_aside(update: JsonDict) -> tuple[JsonDict, JsonDict]:
    """(the update to parse, its keyboard kept unparsed; the update to store, without it). The update itself is
    left as it is."""
    query = update.get("callback_query")
    message = query.get("message") if isinstance(query, dict) else None
    if not isinstance(query, dict) or not isinstance(message, dict) or "reply_markup" not in message:
        return update, update
    bare = {key: value for key, value in message.items() if key != "reply_markup"}
    to_parse = {**update, "callback_query": {**query, "message": {**bare, UNPARSED: message["reply_markup"]}}}
    to_store = {**update, "callback_query": {**query, "message": bare}}
    return to_parse, to_store


def keyboard_of(message: MaybeInaccessibleMessage) -> InlineKeyboardMarkup:
    """The keyboard the message shows as its update reported it (none after a restart: the inbox did not keep
    it)."""
    if not isinstance(message, Message):
        return InlineKeyboardMarkup([])
    raw = message.api_kwargs.get(UNPARSED)
    if raw is None:
        return message.reply_markup or InlineKeyboardMarkup([])
    try:
        return InlineKeyboardMarkup.de_json(raw, None)
    except Exception as exc:  # whatever PTB's parser raises: then an edit goes out rather than being skipped
        log.warning("the keyboard of message %s cannot be parsed (%s)", message.message_id, type(exc).__name__)
        return InlineKeyboardMarkup([])
