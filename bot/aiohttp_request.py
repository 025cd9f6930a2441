"""The Bot API transport for every call (answers, edits, sends, and getUpdates through bot/updates_request.py):
python-telegram-bot's `BaseRequest` on aiohttp instead of httpx.

Profiled under load (`bench throughput`), httpx and httpcore took about 36% of the bot's CPU: each request
runs through several pure-Python layers (pool bookkeeping, anyio streams, h11). aiohttp parses HTTP in C and
keeps its pool in a deque.
"""

from __future__ import annotations

from collections.abc import Collection
from http import HTTPStatus
from typing import Any

import aiohttp
import orjson
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_TIMEOUTS = {"read": 5.0, "write": 5.0, "connect": 5.0, "pool": 1.0}  # PTB's HTTPXRequest defaults
MEDIA_WRITE_TIMEOUT = 20.0  # PTB's default write timeout for uploads
RESULT_UNREAD = b'{"ok":true,"result":true}'
MESSAGE_ID_FIELDS = ("message_id", "date", "chat")  # all python-telegram-bot needs to build a Message


class AiohttpRequest(BaseRequest):
    def __init__(self, connections: int, *, unread: Collection[str] = (), id_only: Collection[str] = ()) -> None:
        """`unread`: Bot API methods whose result the caller never reads. Their success reaches
        python-telegram-bot as `true`: an edit then returns True (as for an inline message) instead of the
        edited message parsed from Telegram's echo of it, keyboard and all (8% of the bot's CPU under load).
        `id_only`: methods whose Message the caller reads for its id only. It reaches PTB as its id, date and
        chat: a screen sent with 30 buttons was parsed in 690-790 µs, its id in 100-140 µs."""
        self._connections = connections
        self._unread = tuple(f"/{method}" for method in unread)
        self._id_only = tuple(f"/{method}" for method in id_only)
        self._session: aiohttp.ClientSession | None = None

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """orjson: a getUpdates batch of 20 taps parsed in 70-83 µs instead of 148-173. What it refuses (say,
        bytes that are not UTF-8) goes to PTB's parser, which replaces them, or logs and raises as before."""
        try:
            parsed: dict[str, Any] = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return BaseRequest.parse_json_payload(payload)
        return parsed

    @property
    def read_timeout(self) -> float | None:
        return DEFAULT_TIMEOUTS["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None and request_data.contains_files else None
        read = _given(read_timeout, DEFAULT_TIMEOUTS["read"])
        connect = _given(connect_timeout, DEFAULT_TIMEOUTS["connect"])
        pool = _given(pool_timeout, DEFAULT_TIMEOUTS["pool"])
        write = _given(write_timeout, DEFAULT_TIMEOUTS["write"] if files is None else MEDIA_WRITE_TIMEOUT)
        # aiohttp has no write timeout: the whole request gets the sum of the phases as its ceiling instead.
        phases = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if None in phases else sum(p for p in phases if p is not None),
            connect=None if pool is None or connect is None else pool + connect,  # pool wait and connecting
            sock_connect=connect,
            sock_read=read,
        )
        data, headers = _body(request_data, files)
        try:
            async with self._session.request(method, url, data=data, headers=headers, timeout=timeout) as response:
                payload = await response.read()  # read even if unused: the connection goes back to the pool
                if response.status == HTTPStatus.OK and url.endswith(self._unread):
                    return response.status, RESULT_UNREAD
                if response.status == HTTPStatus.OK and url.endswith(self._id_only):
                    return response.status, _message_id_only(payload)
                return response.status, payload
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err


def _given(value: Any, default: float) -> float | None:
    """The timeout a call passed (None: no limit), else `default`."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    return None if value is None else float(value)


def _message_id_only(payload: bytes) -> bytes:
    """The answer with its Message cut to what identifies it; anything else as it came, for PTB to judge."""
    try:
        answer = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload
    message = answer.get("result") if isinstance(answer, dict) else None
    if not isinstance(message, dict):
        return payload
    return orjson.dumps({**answer, "result": {key: message[key] for key in MESSAGE_ID_FIELDS if key in message}})


def _body(request_data: RequestData | None, files: dict[str, Any] | None) -> tuple[Any, dict[str, str] | None]:
    """Files go as multipart; anything else as JSON, which the Bot API takes as well. A form would cost more:
    URL-quoting every value took 2% of the bot's CPU, and aiohttp's form makes a multipart writer, with a fresh
    uuid, before choosing."""
    if request_data is None:
        return None, None
    if files is None:
        # PTB's own payload encodes each object parameter to a JSON string and then the whole again, escaping
        # every non-ASCII character: 49-54 µs for an edit with its keyboard, 2.3-2.6 µs this way (PTB's tip for
        # another JSON library: encode `parameters`).
        return orjson.dumps(request_data.parameters), {"Content-Type": "application/json"}
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None
