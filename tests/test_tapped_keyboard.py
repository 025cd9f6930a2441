"""The keyboard of a tapped message: set aside unparsed when a polled update is parsed, never stored in the
inbox, and still compared so that an edit which would change nothing is not sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.context import AppType
from bot.screens import Screen, already_shows
from bot.standin import SimUser, StandIn
from bot.tapped_keyboard import keyboard_of, set_aside
from bot.updates_request import parse_batch
from tests.harness import TOKEN, Chat, buttons, running_bot
from tests.processes import start_webhook_bot, stop_bot, wait_until

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
    _, data = set_aside(tap(3, KEYBOARD.to_dict()))
    message = tapped_message(data)
    assert keyboard_of(message) == InlineKeyboardMarkup([])
    assert not already_shows(message, Screen(TEXT, KEYBOARD))


async def test_a_tap_posted_to_the_webhook_on_the_screen_already_shown_sends_no_edit(
    standin: StandIn, tmp_path: Path
) -> None:
    """The same through the webhook of a real bot process: its own parser sets the keyboard aside too."""
    secret = "keyboard-test_secret"
    process, url = await start_webhook_bot(tmp_path, TOKEN, standin.base_url, secret)
    user = SimUser(4102)
    updates = iter(range(1, 100))

    def methods() -> list[str]:
        return [
            c.method for c in standin.calls if c.params.get("chat_id") == user.id or "callback_query_id" in c.params
        ]

    try:
        await wait_until(lambda: standin.webhook_url == url)
        async with httpx.AsyncClient() as client:

            async def post(update: dict[str, Any], calls: int) -> None:
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
                response = await client.post(url, json={"update_id": next(updates), **update}, headers=headers)
                assert response.status_code == 200
                await wait_until(lambda: len(methods()) >= calls)

            await post(standin.message_update(user, "/start"), 1)
            menu = dict(standin.bot_messages(user.id)[-1])
            docomo = next(data for label, data in buttons(menu) if "NTT docomo" in label)
            await post(standin.callback_update(user, menu, docomo), 3)
            shown = dict(standin.bot_messages(user.id)[-1])
            assert shown["reply_markup"] != menu["reply_markup"]
            await post(standin.callback_update(user, shown, docomo), 4)
            await asyncio.sleep(0.3)  # time for an edit, were one to go out
    finally:
        code, output = await stop_bot(process)
    assert code == 0, output
    assert methods() == ["sendMessage", "answerCallbackQuery", "editMessageText", "answerCallbackQuery"]


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
