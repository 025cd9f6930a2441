"""One update, one unit of work. Every handler runs inside a `Turn`:

1. the user's flow record is read from storage at the start of the update's unit (no per-process copy that
   could go stale when another process, or a restart, changed it);
2. the handler changes the record and any other rows through the unit, and says what to show;
3. the unit commits: every write of the update together, before anything is sent;
4. the callback query is answered and the screens are shown (bot/screens.show).

A kill between 3 and 4 loses no change: what the user then sees lags behind the record, and because every
button carries an absolute target and a token checked against the record (flow.token), that lagging screen
still does what its buttons say. The id of a newly sent flow screen is written after the send, in a small
second unit; losing it (a kill right after the send) only means the next flow screen is sent as a new
message instead of editing that one.

Why plain handlers rather than python-telegram-bot's ConversationHandler: the record is the only truth, and a
persistent ConversationHandler keeps its own copy of the state, loaded once at start (python-telegram-bot
#5225, #5123) and written in a second transaction, so it can disagree with the record after a crash and with
another replica at any time. Here a tap is routed by its action and accepted when its token matches the
record, read fresh in each update. Handlers never call persistence and never build conversation keys.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import orjson
from telegram import MaybeInaccessibleMessage, Message, Update
from telegram.error import TelegramError

from bot import schedule
from bot.context import AppContext, Services
from bot.screens import Screen, replace_keyboard, show
from bot.storage import Unit
from content import Content
from conversations.callbacks import Callback, decode
from conversations.flow import digest
from conversations.locale import user_locale
from conversations.views import notice, restart_screen

log = logging.getLogger(__name__)
SCREEN_KEY = "screen"  # the id of the message showing the flow's live screen
SHOWN_KEY = "shown"  # flow screens shown so far: pairs a sent message with the record it showed
UPDATES_KEY = "updates"  # ids of the user's last few updates, to know a re-delivered one
RECENT_UPDATES = 8
IN_FLIGHT_SECONDS = 60  # longer than a send with the rate limiter's retries; a crash mid-send blocks no longer
OPENED_KEY = "opened"  # the last message a button opened (picker, checklist): {"key": ..., "msg": id once sent}


@dataclass
class Outgoing:
    screen: Screen
    edit: int | None  # the message to edit; None sends a new one
    flow: bool = False  # the flow's live screen: remember which message shows it
    shown: int = 0
    opens: str | None = None  # sent by a button that opens a message once (see Turn.once)


def _snapshot(record: dict[str, Any]) -> bytes:
    """The record as JSON, keys sorted: a copy to compare with later (a deepcopy of it took 16 µs, this 0.7)."""
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


class Turn:
    """An update being handled: its unit of work, the user's record, and what to show afterwards."""

    def __init__(self, update: Update, context: AppContext, tx: Unit, record: dict[str, Any]) -> None:
        self.update, self.context, self.tx, self.record = update, context, tx, record
        self.stored = _snapshot(record)  # to write the record only if this update changed it
        self.callback: Callback | None = None
        self.notice: str | None = None
        self.alert = False
        self.outbox: list[Outgoing] = []
        self.retired: MaybeInaccessibleMessage | None = None  # an old message whose buttons become Start over
        self.opening = False  # this update asked `once`: keep the record of what the previous one opened
        # Telegram sends an update again when the bot died before confirming it (getUpdates) or answering it
        # (webhook). Ids are compared for equality: after a week without updates Telegram starts them afresh.
        recent: list[int] = record.get(UPDATES_KEY, [])
        self.redelivered = update.update_id in recent
        if not self.redelivered:
            record[UPDATES_KEY] = [*recent, update.update_id][-RECENT_UPDATES:]

    @property
    def services(self) -> Services:
        return self.context.services

    @property
    def content(self) -> Content:
        return self.context.content

    @property
    def locale(self) -> str:
        return user_locale(self.record, self.update.effective_user, self.services.settings.bot_default_locale)

    @property
    def chat_id(self) -> int:
        chat = self.update.effective_chat
        if chat is None:
            raise RuntimeError("update without a chat")
        return chat.id

    @property
    def user_id(self) -> int:
        return self.tx.user_id

    @property
    def button(self) -> Callback:
        """The decoded button of a tap (the button decorator runs handlers only for ones that decode)."""
        if self.callback is None:
            raise RuntimeError("not a decoded button")
        return self.callback

    @property
    def tapped(self) -> MaybeInaccessibleMessage | None:
        """The message the tapped button is on."""
        return self.update.callback_query.message if self.update.callback_query else None

    def now(self) -> int:
        return schedule.epoch(self.services.clock.now())

    def text(self, key: str, **values: object) -> str:
        return self.content.text(key, self.locale, **values)

    # -- what to show once the unit has committed --
    def answer(self, key: str | None = None, *, alert: bool = False, **values: object) -> None:
        """The little notice on a tap (None: just stop the button's spinner)."""
        self.notice = self.text(key, **values) if key else None
        self.alert = alert

    def refuse(self) -> None:
        self.answer("expired_button")

    def say(self, key: str, **values: object) -> None:
        """A short text reply as a new message."""
        self.send(notice(self.content, self.locale, key, **values))

    def send(self, screen: Screen) -> None:
        self.outbox.append(Outgoing(screen, None))

    def once(self, kind: str) -> bool:
        """Whether this tap should open its message: False when the user's previous update was the same
        button on the same screen (same message, same text) and opened one, so a double tap or a re-delivered
        tap sends one picker, while the same button tapped again after anything else opens another.
        Call `send_opened` when it returns True."""
        self.opening = True
        tapped = self.tapped
        text = tapped.text if isinstance(tapped, Message) else ""
        key = f"{kind}:{tapped.message_id if tapped else 0}:{digest(str(text))}"
        opened = self.record.get(OPENED_KEY) or {}
        # Sent, or still being sent by a concurrent copy of this tap (committed, not yet answered by Telegram).
        in_flight = opened.get("msg") is None and self.now() - int(opened.get("at", 0)) < IN_FLIGHT_SECONDS
        if opened.get("key") == key and (opened.get("msg") is not None or in_flight):
            return False
        self.record[OPENED_KEY] = {"key": key, "at": self.now()}
        return True

    def send_opened(self, screen: Screen) -> None:
        self.outbox.append(Outgoing(screen, None, opens=self.record[OPENED_KEY]["key"]))

    def edit_tapped(self, screen: Screen) -> None:
        """Redraw the long-lived message the tapped button is on."""
        message = self.tapped
        self.outbox.append(Outgoing(screen, message.message_id if message is not None else None))

    def show_live(self, screen: Screen, *, new: bool = False) -> None:
        """The flow's live screen: edit the message that shows it, or send it anew."""
        shown = int(self.record.get(SHOWN_KEY, 0)) + 1
        self.record[SHOWN_KEY] = shown
        edit = None if new else self.record.get(SCREEN_KEY)
        self.outbox.append(Outgoing(screen, edit, flow=True, shown=shown))


Body = Callable[[Turn], Awaitable[None]]
PtbCallback = Callable[[Update, AppContext], Coroutine[Any, Any, None]]


async def resume_if_blocked(turn: Turn) -> None:
    """A user who had blocked the bot writes again: their paused reminders go out again."""
    settings = await turn.tx.settings()
    if settings is not None and settings.blocked:
        await turn.tx.resume_reminders(turn.now())


async def run(update: Update, context: AppContext, body: Body, callback: Callback | None = None) -> None:
    user = update.effective_user
    if user is None or update.effective_chat is None:
        return
    async with context.services.storage.unit(user.id) as tx:
        turn = Turn(update, context, tx, await tx.record())
        turn.callback = callback
        await resume_if_blocked(turn)
        await body(turn)
        if not turn.opening:
            turn.record.pop(OPENED_KEY, None)
        if _snapshot(turn.record) != turn.stored:
            await tx.put_record(turn.record)
    await deliver(turn)


async def deliver(turn: Turn) -> None:
    query, bot = turn.update.callback_query, turn.context.bot
    if query is not None:
        try:
            await query.answer(turn.notice, show_alert=turn.alert)
        except TelegramError as exc:  # the spinner stops by itself; the screen matters more
            log.warning("answering callback query %s failed: %r", query.id, exc)
    if turn.retired is not None:
        await replace_keyboard(bot, turn.retired, restart_screen(turn.content, turn.locale, "expired_button").keyboard)
    for out in turn.outbox:
        message_id = await show(bot, turn.chat_id, out.screen, edit=out.edit, seen=turn.tapped)
        if (out.flow and message_id != out.edit) or out.opens:
            await _remember(turn, message_id, out)


async def _remember(turn: Turn, message_id: int, out: Outgoing) -> None:
    """After a send: which message shows the flow now, or that the opened message went out."""
    storage = turn.services.storage
    if not out.opens:  # a new live screen (every /start): one statement, not a unit of work
        await storage.patch_record(turn.user_id, {SCREEN_KEY: message_id}, when={SHOWN_KEY: out.shown})
        return
    async with storage.unit(turn.user_id) as tx:
        record = await tx.record()
        if out.flow and record.get(SHOWN_KEY) == out.shown:  # no later screen has been shown meanwhile
            record[SCREEN_KEY] = message_id
        opened = record.get(OPENED_KEY) or {}
        if out.opens and opened.get("key") == out.opens:
            opened["msg"] = message_id
        await tx.put_record(record)


def on_update(body: Body) -> PtbCallback:
    """A command or message handler, run as one unit of work."""

    @functools.wraps(body)
    async def handler(update: Update, context: AppContext) -> None:
        await run(update, context, body)

    return handler


Check = Callable[[Turn, Callback], bool]
Refused = Callable[[Turn], Awaitable[None]]


def on_button(live: Check, refused: Refused) -> Callable[[Body], PtbCallback]:
    """The one button decorator: decode the callback data, run the update's unit, and call the handler only
    when `live` accepts the button against the record read in this unit; otherwise `refused` answers."""

    def decorate(body: Body) -> PtbCallback:
        @functools.wraps(body)
        async def handler(update: Update, context: AppContext) -> None:
            query = update.callback_query
            if query is None:
                return
            callback = decode(query.data)

            async def checked(turn: Turn) -> None:
                if turn.callback is None or not live(turn, turn.callback):
                    await refused(turn)
                else:
                    await body(turn)

            await run(update, context, checked, callback)

        return handler

    return decorate
