"""The keyboard of a tapped message: set aside unparsed when a polled update is parsed, never stored in the
inbox, and still compared so that an edit which would change nothing is not sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.context import AppType
from bot.screens import Screen, already_shows
from bot.standin import SimUser, StandIn
from bot.tapped_keyboard import keyboard_of, stored
from bot.updates_request import parse_batch
from tests.harness import Chat, buttons, running_bot

pytestmark = pytest.mark.asyncio

KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton(f"Carrier {n}", callback_data=f"f|pick|{n}")] for n in range(30)]
    + [[InlineKeyboardButton("Official page", url="https://www.docomo.ne.jp/")]]
)
TEXT = "Which carrier?"


def tap(update_id: int, reply_markup: Any) -> dict[str, Any]:
    user = {"id": 41, "is_bot": False, "first_name": "A"}
    message = {
        "message_id": 7,
        "date": 0,
        "chat": {"id": 41, "type": "private", "first_name": "A"},
        "text": TEXT,
        "reply_markup": reply_markup,
    }
    query = {"id": "q1", "from": user, "chat_instance": "1", "data": "f|pick|3", "message": message}
    return {"update_id": update_id, "callback_query": query}


def tapped_message(update: dict[str, Any]) -> Message:
    incoming, parsed = parse_batch([update], None)
    assert [i.update_id for i in incoming] == [update["update_id"]]
    query = parsed[update["update_id"]].callback_query
    assert query is not None
    assert isinstance(query.message, Message)
    return query.message


async def test_a_tapped_keyboard_is_parsed_only_when_compared_and_never_stored() -> None:
    update = tap(1, KEYBOARD.to_dict())
    incoming, _ = parse_batch([update], None)
    assert "reply_markup" not in incoming[0].data["callback_query"]["message"]
    assert incoming[0].data["callback_query"]["message"]["text"] == TEXT  # the rest of the update is kept
    assert "reply_markup" in update["callback_query"]["message"], "the update handed in was changed"

    message = tapped_message(update)
    assert message.reply_markup is None  # no object per button on every tap
    assert keyboard_of(message) == KEYBOARD
    assert already_shows(message, Screen(TEXT, KEYBOARD))
    other = InlineKeyboardMarkup(KEYBOARD.inline_keyboard[:-1])
    assert not already_shows(message, Screen(TEXT, other))


async def test_a_keyboard_that_cannot_be_parsed_costs_an_edit_not_the_update() -> None:
    message = tapped_message(tap(2, {"inline_keyboard": "not rows"}))
    assert keyboard_of(message) == InlineKeyboardMarkup([])
    assert not already_shows(message, Screen(TEXT, KEYBOARD))


async def test_after_a_restart_the_stored_update_has_no_keyboard_and_the_edit_goes_out() -> None:
    """The inbox's copy is what a restarted bot handles: without the keyboard nothing is taken as shown."""
    data = stored(tap(3, KEYBOARD.to_dict()))
    message = tapped_message(data)
    assert keyboard_of(message) == InlineKeyboardMarkup([])
    assert not already_shows(message, Screen(TEXT, KEYBOARD))


@pytest.fixture
async def bot(standin: StandIn, tmp_path: Path) -> AsyncIterator[AppType]:
    async with running_bot(standin, tmp_path / "bot.sqlite3") as app:
        yield app


async def test_a_tap_on_the_screen_already_shown_sends_no_edit(standin: StandIn, bot: AppType) -> None:
    """Polled by the real Application: the menu's "NTT docomo" tapped again once its message shows the docomo
    question leads to that same screen, and no edit goes out (Telegram would refuse it as not modified)."""
    chat = Chat(standin, bot, SimUser(4101))
    await chat.send("/start")
    menu = dict(chat.screen)
    await chat.click("NTT docomo", menu)
    shown = dict(chat.screen)
    assert shown["reply_markup"] != menu["reply_markup"]
    before = len(standin.calls)
    again = next(data for label, data in buttons(menu) if "NTT docomo" in label)
    query_id = await chat.click_data(again, shown)
    assert chat.answer(query_id) is not None
    assert [c.method for c in standin.calls[before:] if c.method != "getUpdates"] == ["answerCallbackQuery"]
