"""The rate limiter every Bot API request goes through: Telegram's per-chat limits, and interactive first.

Two kinds of sends share it. *Interactive* ones (answers, edits and screens for a user's own update) are held
back only by the chat they go to: a group's 20 messages a minute; a private chat's messages (sends and edits)
paced at `private_rate` a second after a burst of PRIVATE_BURST, as Telegram's FAQ asks ("avoid sending more
than one message per second in a single chat", short bursts allowed; it publishes no burst size), so a user
tapping faster than that waits the fraction of a second to the next slot instead of a 429's whole seconds;
and a chat Telegram answered 429 for anyway, which is paused for its `retry_after` (other chats carry on)
before the request is retried. *Bulk* ones (what the bot starts itself; the caller passes
`rate_limit_args=BULK`) have already waited for the bulk budget (bot/budget.py); here they respect the chat's
limits like any other request, and when both kinds wait for one of the `slots` open requests, interactive
ones go first. A request that keeps getting 429 raises RetryAfter after `max_retries` retries (the reminder
dispatcher then puts the reminder back with a back-off).

python-telegram-bot's AIORateLimiter is not used: it paces every request through one overall limit and, on
any 429, halts every request of the bot until the wait is over.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.budget import Pace

log = logging.getLogger(__name__)
BULK: dict[str, Any] = {"bulk": True}
JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class PriorityGate:
    """At most `slots` requests in flight; a freed slot goes to a waiting interactive request before a bulk one."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (deque(), deque())

    @asynccontextmanager
    async def slot(self, *, bulk: bool) -> AsyncIterator[None]:
        if self._free > 0 and not any(self._waiting):
            self._free -= 1
        else:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting[bulk].append(waiter)
            try:
                await waiter  # the releasing request handed its slot over
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._release()  # handed over just as we were cancelled: pass it on
                else:
                    self._waiting[bulk].remove(waiter)
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        for queue in self._waiting:  # interactive first
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._free += 1


def is_group(chat_id: object) -> bool:
    """Groups and channels have negative ids (or an @username); private chats have the user's id."""
    return isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0)


def _seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


def is_message(endpoint: str) -> bool:
    """A request that puts a message into a chat or changes one: what a private chat's limit counts."""
    return endpoint.startswith(("send", "edit", "copyMessage", "forwardMessage")) and endpoint != "sendChatAction"


class ChatLimiter(BaseRateLimiter[dict[str, Any]]):
    """`private_rate`: messages a second to one private chat (0: not paced, a 429 is still obeyed)."""

    PRIVATE_BURST = 3
    SWEEP_FROM = 1024  # paces kept before idle ones are dropped (an idle Pace is the same as a fresh one)

    def __init__(
        self,
        *,
        private_rate: float = FloodLimit.MESSAGES_PER_SECOND_PER_CHAT,
        max_retries: int = 3,
        slots: int = 128,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_retries = max_retries
        self._private_rate = private_rate
        self._gate = PriorityGate(slots)
        self._clock = clock
        self._paused: dict[object, float] = {}  # chat -> when its 429 pause ends (monotonic)
        self._paces: dict[object, Pace] = {}
        self._sweep_at = self.SWEEP_FROM

    async def initialize(self) -> None:
        """Nothing to set up: the limits live in memory."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _pace(self, chat: object, endpoint: str) -> Pace | None:
        """The chat's pace, made on first use; None when this request is not paced."""
        if not is_group(chat) and (self._private_rate <= 0 or not is_message(endpoint)):
            return None
        pace = self._paces.get(chat)
        if pace is None:
            if len(self._paces) >= self._sweep_at:
                now = self._clock()
                self._paces = {c: p for c, p in self._paces.items() if not p.idle(now)}
                self._sweep_at = max(self.SWEEP_FROM, 2 * len(self._paces))
            if is_group(chat):
                limit = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP
                pace = Pace(limit, 60.0, burst=limit)
            else:
                pace = Pace(self._private_rate, 1.0, burst=self.PRIVATE_BURST)
            self._paces[chat] = pace
        return pace

    async def _wait_for_chat(self, chat: object, pace: Pace | None) -> None:
        # The slot is reserved before sleeping (no await in between): a chat's requests go out in the order asked.
        if pace is not None and (wait := pace.take(self._clock())) > 0:
            await asyncio.sleep(wait)
        while (until := self._paused.get(chat)) is not None:
            wait = until - self._clock()
            if wait <= 0:
                del self._paused[chat]
                return
            await asyncio.sleep(wait)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> JSONResult:
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        chat = data.get("chat_id")
        pace = None if chat is None else self._pace(chat, endpoint)
        retries = 0
        while True:
            await self._wait_for_chat(chat, pace)
            try:
                async with self._gate.slot(bulk=bulk):
                    try:
                        return await callback(*args, **kwargs)
                    finally:
                        if pace is not None:
                            pace.arrived(self._clock())
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                if chat is not None:
                    # Only this chat waits; every other chat's requests carry on.
                    self._paused[chat] = max(self._paused.get(chat, 0.0), self._clock() + wait)
                if retries == self.max_retries:
                    raise
                retries += 1
                log.info("%s to chat %s: flood limit, retrying in %.0f s", endpoint, chat, wait)
                if chat is None:
                    await asyncio.sleep(wait)
