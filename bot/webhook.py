"""The webhook HTTP server. Unlike python-telegram-bot's, it checks the secret token from the headers
before reading any of the body, and caps the body size: otherwise anyone who finds the URL can make the
bot buffer bodies of any size (eight concurrent 90 MB POSTs took it from 61 MB to 792 MB of memory).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from http import HTTPStatus
from typing import Any

from telegram import Bot, Update
from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler, stream_request_body

from bot.http_server import HttpServer
from bot.tapped_keyboard import set_aside

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are small: a message carries at most 4,096 characters of text (plus a quoted reply,
# entities and a keyboard), so even the largest stay well under 100 KB. 1 MiB leaves ample room.
MAX_BODY = 1 << 20

JsonDict = dict[str, Any]
Deliver = Callable[[Update, JsonDict], Awaitable[None]]  # the update, and the form the inbox stores


@stream_request_body
class _UpdateHandler(RequestHandler):
    def initialize(self, bot: Bot, secret: str, deliver: Deliver) -> None:
        self._bot, self._secret, self._deliver = bot, secret, deliver
        self._chunks: list[bytes] = []
        self._size = 0
        self._refused = False

    def _refuse(self, status: HTTPStatus, *, drain: bool = False) -> None:
        """Answer `status` and take nothing from the body. A body within the cap is drained (each chunk dropped
        as it comes) so the client reads the answer; closing a socket with unread data resets it, and the client
        may lose the status. Otherwise finishing now makes tornado close the connection without reading on."""
        self._refused = True
        self.set_status(status)
        if not drain:
            self.finish()

    def _small_body(self) -> bool:
        length = self.request.headers.get("Content-Length", "")
        return length.isdigit() and int(length) <= MAX_BODY

    def prepare(self) -> None:
        if self.request.method != "POST":
            self._refuse(HTTPStatus.METHOD_NOT_ALLOWED)
            return
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret.encode()):
            self._refuse(HTTPStatus.FORBIDDEN, drain=self._small_body())
            return
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    def data_received(self, chunk: bytes) -> None:
        if self._refused:
            return
        self._size += len(chunk)
        if self._size > MAX_BODY:  # a chunked body has no Content-Length to check up front
            self._chunks.clear()
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        self._chunks.append(chunk)

    async def post(self) -> None:
        if self._refused:
            if not self._finished:  # a drained refusal: the body is in, now answer
                self.finish()
            return
        try:
            data = json.loads(b"".join(self._chunks))
        except ValueError:
            self._refuse(HTTPStatus.BAD_REQUEST)
            return
        to_parse, to_store = set_aside(data) if isinstance(data, dict) else (data, data)
        try:
            update = Update.de_json(to_parse, self._bot)
        except Exception as exc:  # whatever PTB's parser raises, this update is skipped
            # 200 all the same: an error status would make Telegram deliver it again and again.
            update_id = data.get("update_id") if isinstance(data, dict) else None
            log.error("skipped update %s: python-telegram-bot cannot parse it (%s)", update_id, type(exc).__name__)
            return
        await self._deliver(update, to_store)

    def log_exception(self, *args: Any) -> None:
        # tornado's default logs the request, whose path may be a secret too; the status says enough.
        return


class WebhookServer(HttpServer):
    def __init__(self, bot: Bot, path: str, secret: str, deliver: Deliver, *, routes: Sequence[Any] = ()) -> None:
        """`routes`: more tornado rules served beside the webhook (GET /healthz and /metrics)."""
        route = "/" + re.escape(path.lstrip("/"))
        app = Application([(route, _UpdateHandler, {"bot": bot, "secret": secret, "deliver": deliver}), *routes])
        # The cap applies to every path and method, so no request can make tornado buffer a large body.
        super().__init__(HTTPServer(app, max_body_size=MAX_BODY))
