"""A local Bot API stand-in: an HTTP server on 127.0.0.1 that answers the methods this bot uses the way
Telegram does, including Telegram's errors. The real Application talks to it over real HTTP through
TELEGRAM_API_BASE_URL; the end-to-end tests and the offline demo play the user through it.

Not a Telegram clone: it keeps chats and messages in memory, validates what Telegram would reject
(HTML entities, 64-byte callback data, message length, unmodified edits) and can inject faults
(429 with retry_after, 403 blocked, 5xx, slow answers). With `limits=True` it also applies Telegram's flood
limits (FloodLimits below) and answers 429 with retry_after, as Telegram does.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot.budget import Pace

JsonDict = dict[str, Any]

# Parameters PTB sends JSON-encoded inside form fields.
JSON_PARAMS = frozenset(
    {"reply_markup", "commands", "scope", "results", "allowed_updates", "link_preview_options", "button", "entities"}
)
INT_PARAMS = frozenset({"chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "user_id"})
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
    "blockquote", "tg-emoji",
}  # fmt: skip
ALLOWED_ENTITIES = {"lt", "gt", "amp", "quot"}
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
FETCH_TIMEOUT = 10.0  # seconds a caller waits for the bot to fetch an update before giving up
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: JsonDict | None = None, *, page: bool = False) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters
        self.page = page  # answer an HTML error page, as a reverse proxy in front of the Bot API does


class _EntityChecker(HTMLParser):
    """Telegram's HTML parse mode: a few tags, properly nested, and only four named entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.plain: list[str] = []

    def _error(self, reason: str) -> ApiError:
        return ApiError(400, f"Bad Request: can't parse entities: {reason}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise self._error(f'Unsupported start tag "{tag}"')
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise self._error(f'Unmatched end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.plain.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ALLOWED_ENTITIES:
            raise self._error(f'Unsupported HTML entity "&{name};"')
        self.plain.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.plain.append(html.unescape(f"&#{name};"))

    def check(self, text: str) -> str:
        self.feed(text)
        self.close()
        if self.stack:
            raise self._error(f'Can\'t find end tag corresponding to start tag "{self.stack[-1]}"')
        return "".join(self.plain)


def plain_text(text: str, parse_mode: str | None) -> str:
    return _EntityChecker().check(text) if (parse_mode or "").upper() == "HTML" else text


def _check_markup(markup: JsonDict | None) -> None:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")


class FloodLimits:
    """Telegram's limits on what a bot sends (core.telegram.org/bots/faq, "My bot is hitting limits"): about one
    message per second in a private chat, short bursts allowed (Telegram publishes no burst size: we allow
    PRIVATE_BURST); 20 messages a minute in a group; about 30 messages a second in bulk to different users. A
    message counts as bulk when its chat sent the bot nothing in the last ACTIVE_SECONDS (a reply to a user's
    own update is not a broadcast). Edits count towards their chat's limit. A rejected request counts nowhere.
    """

    SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"})
    NEW_MESSAGES = frozenset({"sendMessage", "sendPhoto"})
    PRIVATE_BURST = 3
    GROUP_PER_MINUTE = 20
    BULK_PER_SECOND = 30
    ACTIVE_SECONDS = 60.0

    def __init__(self) -> None:
        self._chats: dict[int, Pace] = {}
        self._bulk: deque[float] = deque()
        self.last_update: dict[int, float] = {}  # chat -> when it last sent the bot an update

    def check(self, method: str, chat_id: int, now: float) -> None:
        """Take one message of the chat's (and maybe the bulk) allowance, or raise a 429 saying how long to wait."""
        pace = self._chats.get(chat_id)
        if pace is None:
            pace = (
                Pace(self.GROUP_PER_MINUTE, 60.0, self.GROUP_PER_MINUTE)
                if chat_id < 0
                else Pace(1, 1.0, self.PRIVATE_BURST)
            )
            self._chats[chat_id] = pace
        wait = pace.delay(now)
        bulk = method in self.NEW_MESSAGES and now - self.last_update.get(chat_id, -math.inf) > self.ACTIVE_SECONDS
        if bulk:
            while self._bulk and now - self._bulk[0] >= 1.0:
                self._bulk.popleft()
            if len(self._bulk) >= self.BULK_PER_SECOND:
                wait = max(wait, self._bulk[0] + 1.0 - now)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        pace.take(now)
        if bulk:
            self._bulk.append(now)


@dataclass
class Call:
    method: str
    params: JsonDict
    ok: bool
    result: Any = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    method: str
    code: int
    description: str
    retry_after: int | None = None
    delay: float = 0.0
    times: int = 1
    chat_id: int | None = None
    page: bool = False  # an HTML page echoing the request path (token included) instead of Telegram's JSON


@dataclass
class SimUser:
    id: int
    first_name: str = "Test"
    language_code: str | None = "en"

    def as_json(self) -> JsonDict:
        data: JsonDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            data["language_code"] = self.language_code
        return data


class StandIn:
    def __init__(self, token: str, *, username: str = "jpsim_standin_bot", limits: bool = False) -> None:
        self.token = token
        self.limits = FloodLimits() if limits else None
        self.bot_user: JsonDict = {
            "id": int(token.split(":")[0]) if token.split(":")[0].isdigit() else 1,
            "is_bot": True,
            "first_name": "JP SIM (stand-in)",
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], JsonDict] = {}
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.callback_answers: dict[str, JsonDict | None] = {}
        self.inline_answers: dict[str, JsonDict] = {}
        self.photos: dict[tuple[int, int], bytes] = {}
        self.documents: dict[tuple[int, int], bytes] = {}
        self.blocked: set[int] = set()
        self.faults: list[Fault] = []
        self.webhook_url = ""
        self.listeners: list[Callable[[Call], None]] = []
        # Seconds the network between a bot and Telegram adds to each call, half on the way there and half on
        # the way back (0: loopback; a bot far from Telegram's servers waits a good part of a second).
        self.round_trip = 0.0
        self.in_flight = self.most_in_flight = 0  # calls being answered now, and the most there ever were
        self._updates: list[JsonDict] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callback_ids = itertools.count(1)
        self._confirmed = 0  # every update below this id was fetched by the bot
        self._changed = asyncio.Condition()
        self._server: HTTPServer | None = None
        self._stopping = False
        self.port = 0

    # -- server --
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, port: int = 0) -> None:
        app = Application([(r"/bot([^/]+)/([A-Za-z]+)", _MethodHandler, {"standin": self})])
        sockets = bind_sockets(port, address="127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self._server = HTTPServer(app)
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        self._stopping = True  # long polls answer now (empty), instead of failing when the server closes
        await self._notify()
        await asyncio.sleep(0)
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None

    # -- what the user does --
    def open_chat(self, chat_id: int) -> None:
        """Make a chat known, as if its user had written to the bot (Telegram rejects unknown chats)."""
        self._message_ids.setdefault(chat_id, itertools.count(1))

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _chat(self, user: SimUser) -> JsonDict:
        return {"id": user.id, "type": "private", "first_name": user.first_name}

    def push_update(self, payload: JsonDict) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **payload})
        asyncio.get_running_loop().create_task(self._notify())
        return update_id

    def push_message(self, user: SimUser, text: str | None = None, **extra: Any) -> int:
        return self.push_update(self.message_update(user, text, **extra))

    def message_update(self, user: SimUser, text: str | None = None, **extra: Any) -> JsonDict:
        """A message from the user, recorded in the chat but not queued: for webhook deliveries."""
        message: JsonDict = {
            "message_id": self._next_message_id(user.id),
            "date": int(time.time()),
            "chat": self._chat(user),
            "from": user.as_json(),
            **extra,
        }
        self._seen(message["chat"]["id"])
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self.messages[(user.id, message["message_id"])] = message
        return {"message": message}

    def push_callback(self, user: SimUser, message: JsonDict | None, data: str) -> tuple[int, str]:
        payload = self.callback_update(user, message, data)
        return self.push_update(payload), payload["callback_query"]["id"]

    def callback_update(self, user: SimUser, message: JsonDict | None, data: str) -> JsonDict:
        """A tap, ready to be answered but not queued: for updates handed to the bot directly."""
        query_id = str(next(self._callback_ids))
        self.callback_answers[query_id] = None
        self._seen(message["chat"]["id"] if message and "chat" in message else user.id)
        query: JsonDict = {"id": query_id, "from": user.as_json(), "chat_instance": str(user.id), "data": data}
        if message is not None:
            query["message"] = message
        return {"callback_query": query}

    def _seen(self, chat_id: int) -> None:
        if self.limits is not None:
            self.limits.last_update[chat_id] = time.monotonic()

    def next_update_id(self) -> int:
        """An id no queued update will have."""
        return next(self._update_ids)

    def push_inline_query(self, user: SimUser, query: str, offset: str = "") -> tuple[int, str]:
        query_id = f"iq{next(self._callback_ids)}"
        payload = {"id": query_id, "from": user.as_json(), "query": query, "offset": offset}
        return self.push_update({"inline_query": payload}), query_id

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_fetched(self, update_id: int) -> None:
        """Wait until the bot has fetched this update (its next getUpdates confirms it)."""
        async with asyncio.timeout(FETCH_TIMEOUT), self._changed:
            await self._changed.wait_for(lambda: self._confirmed > update_id)

    # -- what the bot did --
    def chat_messages(self, chat_id: int) -> list[JsonDict]:
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    def bot_messages(self, chat_id: int) -> list[JsonDict]:
        return [m for m in self.chat_messages(chat_id) if m.get("from", {}).get("id") == self.bot_user["id"]]

    # -- faults --
    def inject(self, fault: Fault) -> None:
        self.faults.append(fault)

    def _take_fault(self, method: str, params: JsonDict) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and (fault.chat_id is None or fault.chat_id == params.get("chat_id")):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # -- the methods --
    async def handle(self, token: str, method: str, params: JsonDict, files: dict[str, bytes]) -> Any:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        fault = self._take_fault(method, params)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.code:
                extra = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
                raise ApiError(fault.code, fault.description, extra, page=fault.page)
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        if self.limits is not None and method in FloodLimits.SENDS and isinstance(chat_id, int):
            self.limits.check(method, chat_id, time.monotonic())
        if method in ("sendPhoto", "sendDocument"):
            return handler(params, files)
        result = handler(params)
        return await result if asyncio.iscoroutine(result) else result

    def _m_getMe(self, params: JsonDict) -> JsonDict:
        return self.bot_user

    async def _m_getUpdates(self, params: JsonDict) -> list[JsonDict]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._confirmed = max(self._confirmed, offset)
            await self._notify()
        timeout = float(params.get("timeout") or 0)
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: bool(self._updates) or self._stopping), timeout)
            except TimeoutError:
                return []
        limit = int(params.get("limit") or 100)
        return self._updates[:limit]

    def _m_deleteWebhook(self, params: JsonDict) -> bool:
        if str(params.get("drop_pending_updates")).lower() == "true":
            self._updates.clear()
        self.webhook_url = ""
        return True

    def _m_setWebhook(self, params: JsonDict) -> bool:
        self.webhook_url = str(params.get("url", ""))
        return True

    def _m_getWebhookInfo(self, params: JsonDict) -> JsonDict:
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": len(self._updates)}

    def _m_setMyCommands(self, params: JsonDict) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = (params.get("scope") or {"type": "default"})["type"]
        self.commands[(scope, str(params.get("language_code") or ""))] = commands
        return True

    def _message(self, chat_id: int, text: str | None, params: JsonDict) -> JsonDict:
        message: JsonDict = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": self.bot_user,
        }
        if text is not None:
            message["text"] = text
            message["html"] = params.get("text")
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _text(self, params: JsonDict) -> str:
        text = str(params.get("text") or "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        plain = plain_text(text, params.get("parse_mode"))
        if len(plain) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return plain

    def _known_chat(self, params: JsonDict) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in self._message_ids:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _m_sendMessage(self, params: JsonDict) -> JsonDict:
        chat_id = self._known_chat(params)
        text = self._text(params)
        _check_markup(params.get("reply_markup"))
        message = self._message(chat_id, text, params)
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _bot_message(self, params: JsonDict) -> JsonDict:
        key = (params.get("chat_id"), params.get("message_id"))
        message = self.messages.get(key)  # type: ignore[arg-type]
        if message is None or message.get("from", {}).get("id") != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _m_editMessageText(self, params: JsonDict) -> JsonDict:
        message = self._bot_message(params)
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = self._text(params)
        markup = params.get("reply_markup")
        _check_markup(markup)
        if (
            text == message.get("text")
            and params.get("text") == message.get("html")
            and markup == message.get("reply_markup")
        ):
            raise ApiError(400, NOT_MODIFIED)
        message.update(text=text, html=params.get("text"), edit_date=int(time.time()))
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    def _m_editMessageReplyMarkup(self, params: JsonDict) -> JsonDict:
        message = self._bot_message(params)
        markup = params.get("reply_markup")
        _check_markup(markup)
        if markup == message.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    def _m_answerCallbackQuery(self, params: JsonDict) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self.callback_answers or self.callback_answers[query_id] is not None:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        if len(str(params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = params
        return True

    def _m_answerInlineQuery(self, params: JsonDict) -> bool:
        results = params.get("results") or []
        ids = [r.get("id") for r in results]
        if len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        if len(set(ids)) != len(ids) or not all(ids):
            raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
        for result in results:
            _check_markup(result.get("reply_markup"))
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                plain_text(content["message_text"], content.get("parse_mode"))
        self.inline_answers[str(params.get("inline_query_id"))] = params
        return True

    def _m_sendPhoto(self, params: JsonDict, files: dict[str, bytes]) -> JsonDict:
        chat_id = self._known_chat(params)
        if "photo" not in files:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        _check_markup(params.get("reply_markup"))
        caption = plain_text(str(params.get("caption") or ""), params.get("parse_mode"))
        message = self._message(chat_id, None, params)
        message["photo"] = [
            {"file_id": f"photo{message['message_id']}", "file_unique_id": "u", "width": 1, "height": 1}
        ]
        if caption:
            message["caption"] = caption
        self.messages[(chat_id, message["message_id"])] = message
        self.photos[(chat_id, message["message_id"])] = files["photo"]
        return message

    def _m_sendDocument(self, params: JsonDict, files: dict[str, bytes]) -> JsonDict:
        chat_id = self._known_chat(params)
        if "document" not in files:
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption = plain_text(str(params.get("caption") or ""), params.get("parse_mode"))
        message = self._message(chat_id, None, params)
        message["document"] = {"file_id": f"doc{message['message_id']}", "file_unique_id": "d"}
        if caption:
            message["caption"] = caption
        self.messages[(chat_id, message["message_id"])] = message
        self.documents[(chat_id, message["message_id"])] = files["document"]
        return message

    def record(self, call: Call) -> None:
        self.calls.append(call)
        for listener in self.listeners:
            listener(call)


def _parse_params(handler: RequestHandler) -> tuple[JsonDict, dict[str, bytes]]:
    params: JsonDict = {}
    content_type = handler.request.headers.get("Content-Type", "")
    if content_type.startswith("application/json") and handler.request.body:
        params = json.loads(handler.request.body)
    else:
        for name, values in handler.request.body_arguments.items():
            params[name] = values[-1].decode()
        for name, values in handler.request.query_arguments.items():
            params.setdefault(name, values[-1].decode())
    files = {name: infos[0]["body"] for name, infos in handler.request.files.items()}
    for name, value in list(params.items()):
        if not isinstance(value, str):
            continue
        if name in JSON_PARAMS:
            params[name] = json.loads(value)
        elif name in INT_PARAMS and value.lstrip("-").isdigit():
            params[name] = int(value)
    return params, files


class _MethodHandler(RequestHandler):
    def initialize(self, standin: StandIn) -> None:
        self.standin = standin

    async def _serve(self, token: str, method: str) -> None:
        standin = self.standin
        standin.in_flight += 1
        standin.most_in_flight = max(standin.most_in_flight, standin.in_flight)
        try:
            await self._answer(token, method)
        finally:
            standin.in_flight -= 1

    async def _answer(self, token: str, method: str) -> None:
        if self.standin.round_trip:
            await asyncio.sleep(self.standin.round_trip / 2)
        try:
            params, files = _parse_params(self)
        except (ValueError, UnicodeDecodeError):
            params, files = {}, {}
            error: ApiError | None = ApiError(400, "Bad Request: can't parse request parameters")
        else:
            error = None
        result: Any = None
        if error is None:
            try:
                result = await self.standin.handle(token, method, params, files)
            except ApiError as exc:
                error = exc
        self.standin.record(Call(method, params, error is None, result if error is None else error.description))
        if self.standin.round_trip:
            await asyncio.sleep(self.standin.round_trip / 2)
        if self.request.connection is None or self.request.connection.stream.closed():  # type: ignore[attr-defined]
            return  # the client went away during a long poll (a stopped or killed bot): nobody to answer
        if error is None:
            self.finish({"ok": True, "result": result})
            return
        if error.page:
            self.set_status(error.code)
            self.finish(
                f"<html><body><h1>{error.code} {error.description}</h1><p>{self.request.path}</p></body></html>"
            )
            return
        body: JsonDict = {"ok": False, "error_code": error.code, "description": error.description}
        if error.parameters:
            body["parameters"] = error.parameters
        self.set_status(error.code if error.code in (400, 401, 403, 404, 409, 429) or error.code >= 500 else 400)
        self.finish(body)

    async def post(self, token: str, method: str) -> None:
        await self._serve(token, method)

    async def get(self, token: str, method: str) -> None:
        await self._serve(token, method)
