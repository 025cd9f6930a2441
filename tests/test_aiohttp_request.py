"""The aiohttp Bot API transport, through python-telegram-bot's Bot against the stand-in over real HTTP: forms,
uploads, Telegram's errors, timeouts and an unreachable server become what PTB's own transport raises."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.aiohttp_request import AiohttpRequest
from bot.standin import Fault, SimUser, StandIn
from tests.harness import TOKEN


def _bot(base_url: str) -> Bot:
    return Bot(TOKEN, base_url=base_url, request=AiohttpRequest(connections=4))


async def test_a_message_with_a_keyboard_and_unicode_round_trips(standin: StandIn) -> None:
    user = SimUser(7001)
    standin.push_message(user, "/start")  # the stand-in knows a chat once its user wrote
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("下一步 ›", callback_data="v2|go|1.abc|3")]])
    async with _bot(standin.base_url) as bot:
        sent = await bot.send_message(user.id, '解約 & +81 "réservé"', reply_markup=keyboard)
    assert sent.text == '解約 & +81 "réservé"'
    assert sent.reply_markup == keyboard
    shown = standin.bot_messages(user.id)[-1]
    assert shown["text"] == '解約 & +81 "réservé"'
    assert shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "v2|go|1.abc|3"


async def test_an_upload_goes_as_multipart_with_its_caption(standin: StandIn) -> None:
    user = SimUser(7002)
    standin.push_message(user, "/start")
    body = b"BEGIN:VCALENDAR\r\n" + bytes(range(256)) + b"END:VCALENDAR\r\n"
    async with _bot(standin.base_url) as bot:
        sent = await bot.send_document(user.id, InputFile(body, filename="plan.ics"), caption="plan")
    assert standin.documents[(user.id, sent.message_id)] == body
    assert sent.caption == "plan"


async def test_telegram_errors_keep_their_meaning(standin: StandIn) -> None:
    user = SimUser(7003)
    standin.push_message(user, "/start")
    standin.inject(Fault("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7))
    async with _bot(standin.base_url) as bot:
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(user.id, "x")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(424242, "x")
    assert retry.value.retry_after in (7, timedelta(seconds=7))  # an int unless PTB_TIMEDELTA is set


async def test_a_slow_answer_is_timed_out(standin: StandIn) -> None:
    user = SimUser(7004)
    standin.push_message(user, "/start")
    standin.inject(Fault("sendMessage", 0, "", delay=2.0))
    async with _bot(standin.base_url) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(user.id, "x", read_timeout=0.3)
        assert (await bot.send_message(user.id, "after")).text == "after"  # the pool recovers


async def test_an_unreachable_server_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again at once: nothing listens there
    request = AiohttpRequest(connections=1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match="aiohttp"):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()


async def test_it_refuses_to_send_before_initialize() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest(connections=1).do_request("http://127.0.0.1:9/bot1:x/getMe", "POST")


async def test_an_unread_method_answers_true_and_its_errors_still_raise(standin: StandIn) -> None:
    user = SimUser(7005)
    standin.push_message(user, "/start")
    request = AiohttpRequest(connections=2, unread=("editMessageText",))
    async with Bot(TOKEN, base_url=standin.base_url, request=request) as bot:
        sent = await bot.send_message(user.id, "first")  # not in `unread`: parsed as ever
        assert sent.text == "first"
        assert await bot.edit_message_text("second", chat_id=user.id, message_id=sent.message_id) is True
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", chat_id=user.id, message_id=sent.message_id + 99)
    assert standin.bot_messages(user.id)[-1]["text"] == "second"  # the edit itself went through


async def test_a_message_read_for_its_id_only_comes_back_with_its_id_and_its_errors_still_raise(
    standin: StandIn,
) -> None:
    user = SimUser(7006)
    standin.push_message(user, "/start")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(f"Option {n}", callback_data=str(n))] for n in range(30)])
    request = AiohttpRequest(connections=2, id_only=("sendMessage",))
    async with Bot(TOKEN, base_url=standin.base_url, request=request) as bot:
        sent = await bot.send_message(user.id, "解約", reply_markup=keyboard)
        assert (sent.message_id, sent.chat.id) == (standin.bot_messages(user.id)[-1]["message_id"], user.id)
        assert (sent.text, sent.reply_markup) == (None, None)  # not parsed
        edited = await bot.edit_message_text("解約 ✓", chat_id=user.id, message_id=sent.message_id)
        assert isinstance(edited, Message)  # not in `id_only`: parsed as ever
        assert edited.text == "解約 ✓"
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(user.id + 999_999, "x")
    assert standin.bot_messages(user.id)[-1]["text"] == "解約 ✓"


def test_an_answer_that_is_not_utf8_is_still_read_and_one_that_is_not_json_raises() -> None:
    """orjson refuses bytes that are not UTF-8; PTB's parser replaces them, as before."""
    assert AiohttpRequest.parse_json_payload(b'{"ok":true,"result":"caf\xe9"}') == {"ok": True, "result": "caf\ufffd"}
    assert AiohttpRequest.parse_json_payload('{"ok":true,"result":"解約"}'.encode()) == {"ok": True, "result": "解約"}
    with pytest.raises(TelegramError, match="Invalid server response"):
        AiohttpRequest.parse_json_payload(b"<html>502 Bad Gateway</html>")


async def test_a_keyboard_goes_as_a_json_object_and_text_as_utf8() -> None:
    """The body as it leaves, caught by a bare HTTP server."""
    bodies: list[tuple[str, bytes]] = []

    async def send_message(request: web.Request) -> web.Response:
        bodies.append((request.content_type, await request.read()))
        chat = {"id": 7003, "type": "private"}
        return web.json_response({"ok": True, "result": {"message_id": 1, "date": 0, "chat": chat, "text": "解約"}})

    async def get_me(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "B", "username": "b"}})

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/sendMessage", send_message)
    app.router.add_post(f"/bot{TOKEN}/getMe", get_me)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("下一步 ›", callback_data="v2|go|1.abc|3")]])
        async with _bot(f"http://{host}:{port}/bot") as bot:
            await bot.send_message(7003, "解約", reply_markup=keyboard)
    finally:
        await runner.cleanup()
    ((content_type, body),) = bodies
    assert content_type == "application/json"
    assert "解約".encode() in body  # UTF-8, not \\u escapes
    sent = json.loads(body)
    assert sent["reply_markup"] == keyboard.to_dict()  # an object, not its JSON text
    assert (sent["chat_id"], sent["text"]) == (7003, "解約")
