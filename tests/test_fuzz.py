"""Property-based fuzzing of the whole bot with Hypothesis: generated updates go to the real Application,
which polls the Bot API stand-in and answers over real HTTP (tests/harness.py), so every reply is checked
the way Telegram checks it. Each test function starts one stand-in and one bot and runs all its examples
against them; every example plays a fresh user, so examples do not depend on each other.

What is generated
- walks: real button taps, text, commands and deep links in random order, so forged input also arrives
  in the middle of a flow, on a step screen or on the summary;
- callback data: arbitrary strings (empty, unicode, control characters, over 64 bytes) and strings shaped
  like `v2|<action>|<token>|<arg>` with real and random actions, tokens and arguments, tapped on the live
  screen or on an older bot message;
- `/start <payload>` with arbitrary, almost valid and valid deep-link payloads;
- text: unicode, control characters, RTL and bidi marks, emoji sequences, HTML-looking text, carrier
  names with noise, lengths around the 300-character matching limit and up to 10,000 characters;
- update types the bot does not expect: edited messages, channel posts, my_chat_member, polls and poll
  answers, reactions, messages with only a sticker/photo/location/contact/..., group messages, chosen
  inline results, game callback queries, inline queries with random text, callback queries without a
  `message` (from inline messages), and taps on a message that was deleted or is inaccessible (`date` 0);
- callback data aimed at another user's reminders (`v2|sn||<id>-1h`, `v2|rd||...`, `v2|st||...`, `v2|rc||...`).

Properties checked after every example
- no exception reaches the error handlers: a recording error handler is added next to
  bot/errors.py::on_error, and the generic error message is never sent;
- every Bot API call was accepted by the stand-in, except "message is not modified";
- every callback query and every inline query was answered;
- the flow records of the example's users are JSON whose answers pass conversations.flow.is_valid with
  the loaded content and whose view is a value of conversations.states.State; the whole database is checked
  again after the bot has stopped;
- the stored flow record and the last screen shown agree: the message the record names as the live screen
  shows exactly the screen rendered from the record (text and buttons), and every flow button on it is live
  by the record's tokens.
Some tests add their own properties (named in their docstrings). The stand-in is extended here (FuzzStandIn)
with inline messages and deleted messages, which Telegram has and bot/standin.py does not model.

Three tests pin bugs this fuzzing found, now fixed, each with an explicit @example of the input that
failed: callback queries without a chat, buttons on messages that can no longer be edited, and edited
messages that ran commands.

Runtime: about 25 s for the file at the default number of examples (60-100 per test). For a longer soak set
FUZZ_EXAMPLES, the number of examples for every test (2000: about 15 minutes):

    FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest -q tests/test_fuzz.py

Hypothesis prints the falsifying example (every drawn value, labelled); replay a run with
`--hypothesis-seed=<seed>`. The bot sends at up to 10,000 messages per second here (BOT_MAX_SEND_RATE):
the rate limiter is not under test and would make every example wait.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
import sqlite3
import time
import traceback
from collections.abc import AsyncIterator, Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from telegram import Update, User
from telegram.helpers import create_deep_linked_url

from bot import schedule
from bot.clock import ManualClock
from bot.context import AppContext, AppType
from bot.reminders import dispatcher_of
from bot.standin import ApiError, Call, SimUser, StandIn
from content import LOCALES, deeplinks
from conversations import flow, views
from conversations.callbacks import VERSION, Action, Callback, decode
from conversations.flow import depends_on
from conversations.locale import user_locale
from conversations.matching import MAX_MATCH_LENGTH
from conversations.reminder_views import QUIET_CHOICES
from conversations.states import State
from tests.harness import TOKEN, Chat, buttons, running_bot, shared_content

JsonDict = dict[str, Any]

EXAMPLES_ENV = "FUZZ_EXAMPLES"
SOAK_EXAMPLES = int(os.environ.get(EXAMPLES_ENV) or 0)
NOON_JST = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
CONTENT = shared_content()


def fuzz_settings(default_examples: int) -> settings:
    return settings(
        max_examples=SOAK_EXAMPLES or default_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


def texts(key: str, **values: object) -> set[str]:
    """A UI string in every locale (the user's locale may be anything the walk chose), as sent: plain or
    HTML-escaped."""
    plain = {CONTENT.text(key, loc, **values) for loc in LOCALES}
    return plain | {html.escape(t, quote=False) for t in plain}


ERROR_TEXTS = texts("error_generic")
EXPIRED_TEXTS = texts("expired_button")
STATE_VALUES = {s.value for s in State}
# Buttons of the flow's screens, whose tokens must match the record.
FLOW_ACTIONS = {Action.PROVIDER, Action.SIM, Action.CHANNEL, Action.GOAL, Action.STAY, Action.BACK, Action.GO_STEP}
FLOW_ACTIONS |= {Action.MARK, Action.SUMMARY, Action.CHECK}

# -- the fuzzed bot --


class FuzzStandIn(StandIn):
    """The stand-in plus two things Telegram has: inline messages (posted by users through inline mode), which
    the bot may edit by inline_message_id (Telegram answers True), and deleted messages, which it may not."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.inline_messages: dict[str, JsonDict] = {}
        self.gone: set[tuple[int, int]] = set()  # (chat_id, message_id) of deleted or inaccessible messages

    def _bot_message(self, params: JsonDict) -> JsonDict:
        inline_id = params.get("inline_message_id")
        if not inline_id:
            if (params.get("chat_id"), params.get("message_id")) in self.gone:
                raise ApiError(400, "Bad Request: message to edit not found")
            return super()._bot_message(params)
        card = {"from": self.bot_user, "text": "a procedure card", "html": "a procedure card"}
        return self.inline_messages.setdefault(str(inline_id), card)

    # Any: the stand-in's signature says JsonDict; for an inline message Telegram answers True.
    def _m_editMessageText(self, params: JsonDict) -> Any:
        edited = super()._m_editMessageText(params)
        return True if params.get("inline_message_id") else edited

    def _m_editMessageReplyMarkup(self, params: JsonDict) -> Any:
        edited = super()._m_editMessageReplyMarkup(params)
        return True if params.get("inline_message_id") else edited


@dataclass
class Mark:
    calls: int
    errors: int


class Fuzz:
    """One stand-in and one running bot; records what each example did and checks the properties."""

    def __init__(self, standin: FuzzStandIn, app: AppType, db: Path, clock: ManualClock) -> None:
        self.standin, self.app, self.db, self.clock = standin, app, db, clock
        self.errors: list[tuple[object, BaseException]] = []
        self.user_ids = itertools.count(100_000)
        self.foreign_ids = itertools.count(1)
        self.languages: dict[int, User] = {}
        self.begin()

    async def record_error(self, update: object, context: AppContext) -> None:
        if context.error is not None:
            self.errors.append((update, context.error))

    # -- one example --
    def begin(self) -> None:
        self.mark = Mark(len(self.standin.calls), len(self.errors))
        self.queries: list[str] = []
        self.inline_queries: list[str] = []
        self.users: set[int] = set()

    def chat(self, language_code: str | None = "en", first_name: str = "Test", user_id: int | None = None) -> Chat:
        user = SimUser(user_id or next(self.user_ids), first_name=first_name, language_code=language_code)
        self.languages[user.id] = User(user.id, user.first_name, is_bot=False, language_code=language_code)
        self.standin.message_update(user, "hi")  # the private chat exists, as it does for any real tap
        self.users.add(user.id)
        return Chat(self.standin, self.app, user)

    def new_calls(self) -> list[Call]:
        return self.standin.calls[self.mark.calls :]

    def sent_to(self, chat_id: int) -> list[JsonDict]:
        """Parameters of the messages sent (text or photo) to a chat during this example."""
        return [
            c.params
            for c in self.new_calls()
            if c.method in ("sendMessage", "sendPhoto") and c.ok and c.params.get("chat_id") == chat_id
        ]

    # -- what users do --
    async def send(self, chat: Chat, text: str) -> None:
        payload = self.standin.message_update(chat.user, text)
        payload["message"].pop("entities", None)
        payload["message"].update(message_fields(text))
        await chat.push(payload)

    async def tap(self, chat: Chat, data: str, message: JsonDict | None) -> str:
        update_id, query_id = self.standin.push_callback(chat.user, dict(message) if message else None, data)
        self.queries.append(query_id)
        await chat.settle(update_id)
        return query_id

    async def push(self, chat: Chat, payload: JsonDict) -> None:
        # A payload PTB cannot parse would stall polling (the stand-in serves it again and again): fail here.
        Update.de_json({"update_id": 0, **json.loads(json.dumps(payload))}, self.app.bot)
        await chat.push(payload)
        query = payload.get("callback_query")
        if query is not None:
            self.queries.append(str(query["id"]))

    async def inline(self, chat: Chat, query: str, offset: str = "") -> str:
        update_id, query_id = self.standin.push_inline_query(chat.user, query, offset)
        self.inline_queries.append(query_id)
        await chat.settle(update_id)
        return query_id

    def live_screen(self, user_id: int) -> JsonDict | None:
        message_id = read_record(self.db, user_id).get("screen")
        return self.standin.messages.get((user_id, message_id)) if message_id is not None else None

    def button_messages(self, user_id: int) -> list[JsonDict]:
        """The user's bot messages with callback buttons, newest first."""
        found = [m for m in self.standin.bot_messages(user_id) if any(data for _, data in buttons(m))]
        return found[::-1]

    def fake_bot_message(self, chat: Chat, message_id: int) -> JsonDict:
        """A bot message with this id; unless the bot really sent it, one the user has deleted since."""
        known = self.standin.messages.get((chat.user.id, message_id), {})
        if known.get("from", {}).get("id") != self.standin.bot_user["id"]:
            self.standin.gone.add((chat.user.id, message_id))
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat.user.id, "type": "private", "first_name": chat.user.first_name},
            "from": self.standin.bot_user,
            "text": "an old message",
        }

    # -- the properties --
    def _edit_of_gone(self, call: Call) -> bool:
        """Editing a deleted message fails at Telegram too; the bot has to cope with that answer (bot/screens.py
        and the expired-button handler send a new message instead)."""
        key = (call.params.get("chat_id"), call.params.get("message_id"))
        return key in self.standin.gone and "message to edit not found" in str(call.result)

    def check(self) -> None:
        problems: list[str] = []
        for update, error in self.errors[self.mark.errors :]:
            shown = update.to_dict() if isinstance(update, Update) else update
            problems.append(
                f"exception in a handler for {json.dumps(shown, ensure_ascii=False, default=str)[:2000]}\n"
                + "".join(traceback.format_exception(error))
            )
        for call in self.new_calls():
            if self._edit_of_gone(call):
                continue
            if not call.ok and "message is not modified" not in str(call.result):
                params = json.dumps(call.params, ensure_ascii=False, default=str)[:1500]
                problems.append(f"Telegram would reject {call.method}({params}): {call.result}")
            if call.method == "sendMessage" and call.params.get("text") in ERROR_TEXTS:
                problems.append(f"the generic error message was sent to chat {call.params.get('chat_id')}")
        problems += [
            f"callback query {q} was not answered" for q in self.queries if not self.standin.callback_answers.get(q)
        ]
        problems += [
            f"inline query {q} was not answered" for q in self.inline_queries if q not in self.standin.inline_answers
        ]
        problems += stored_problems(self.db, self.users)
        problems += [p for user_id in self.users for p in self.screen_problems(user_id)]
        assert not problems, "\n\n".join(problems)

    def screen_problems(self, user_id: int) -> list[str]:
        """The invariant "the stored flow record and the last screen shown agree"."""
        record = read_record(self.db, user_id)
        if "view" not in record or "screen" not in record or not flow.is_valid(CONTENT, record):
            return []
        if (user_id, record["screen"]) in self.standin.gone:
            return []  # the user deleted it; the bot cannot know until it next edits it
        message = self.standin.messages.get((user_id, record["screen"]))
        if message is None:
            return [f"user {user_id}: the record names message {record['screen']} as the live screen; it is not there"]
        user = self.languages.get(user_id)
        locale = user_locale(record, user, "zh-Hans")
        ticked: set[str] = set()
        link = ""
        if record["view"] == State.SUMMARY:
            with closing(sqlite3.connect(self.db)) as conn:
                ticked = {
                    r[0]
                    for r in conn.execute("SELECT item_id FROM checklist_items WHERE user_id = ? AND done", (user_id,))
                }
            link = create_deep_linked_url(self.standin.bot_user["username"], deeplinks.encode(record["sel"]))
        expected = views.current_screen(CONTENT, record, locale, ticked, link)
        problems = []
        if message.get("html") != expected.text:
            problems.append(
                f"user {user_id}: the live message shows {str(message.get('html'))[:300]!r}, the record {expected.text[:300]!r}"
            )
        shown = [label for label, _ in buttons(message)]
        if shown != [b.text for row in expected.keyboard.inline_keyboard for b in row]:
            problems.append(f"user {user_id}: the live message's buttons {shown} are not the record's")
        for label, data in buttons(message):
            callback = decode(data) if data else None
            if (
                callback is not None
                and callback.action not in (Action.NOOP, Action.LOCALE)
                and not live_by_record(record, callback)
            ):
                problems.append(f"user {user_id}: button {label!r} ({data}) on the live screen is stale by the record")
        return problems

    def answer_text(self, query_id: str) -> str | None:
        answer = self.standin.callback_answers.get(query_id) or {}
        text = answer.get("text")
        return str(text) if text is not None else None


def read_record(db: Path, user_id: int) -> JsonDict:
    with closing(sqlite3.connect(db)) as conn:
        row = conn.execute("SELECT data FROM flow_records WHERE user_id = ?", (user_id,)).fetchone()
    return dict(json.loads(row[0])) if row else {}


def live_by_record(record: JsonDict, callback: Callback) -> bool:
    """A flow button is live when its token is the record's; long-lived buttons carry no flow token."""
    if callback.action not in FLOW_ACTIONS:
        return True
    return callback.token == flow.token(record, depends_on(callback.action, callback.arg))


def stored_problems(db: Path, users: Iterable[int] | None) -> list[str]:
    """What is wrong in the rows the bot wrote (for these users, or all of them)."""
    problems: list[str] = []
    wanted = None if users is None else set(users)
    with closing(sqlite3.connect(db)) as conn:
        user_rows = conn.execute("SELECT user_id, data FROM flow_records").fetchall()
    for user_id, raw in user_rows:
        if wanted is not None and user_id not in wanted:
            continue
        try:
            data = json.loads(raw)
        except ValueError as exc:
            problems.append(f"the flow record of {user_id} is not JSON ({exc}): {raw[:300]!r}")
            continue
        if not isinstance(data, dict):
            problems.append(f"the flow record of {user_id} is not an object: {raw[:300]!r}")
            continue
        sel = data.get("sel", {})
        if not isinstance(sel, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in sel.items()):
            problems.append(f"the flow record of {user_id} has malformed answers: {raw[:300]!r}")
            continue
        try:
            valid = flow.is_valid(CONTENT, dict(data))
        except (TypeError, ValueError) as exc:
            problems.append(f"the flow record of {user_id} breaks flow.is_valid ({exc!r}): {raw[:300]!r}")
            continue
        if not valid:
            problems.append(f"the flow record of {user_id} does not fit the content: {raw[:300]!r}")
        if data.get("view") is not None and data["view"] not in STATE_VALUES:
            problems.append(f"the flow record of {user_id} shows an unknown view: {raw[:300]!r}")
    return problems


@pytest.fixture
async def fuzz(tmp_path: Path) -> AsyncIterator[Fuzz]:
    standin = FuzzStandIn(TOKEN)
    await standin.start()
    db = tmp_path / "fuzz.sqlite3"
    clock = ManualClock(NOON_JST)
    try:
        async with running_bot(
            standin, db, clock=clock, bot_reminder_interval=3600.0, bot_max_send_rate=10_000.0
        ) as app:
            fuzzer = Fuzz(standin, app, db, clock)
            app.add_error_handler(fuzzer.record_error)
            yield fuzzer
    finally:
        await standin.stop()
    problems = stored_problems(db, None)
    assert not problems, "\n".join(problems)


# -- strategies --

COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,64})?")


def edited(original: JsonDict, text: str) -> JsonDict:
    """The user's earlier message, edited to read `text` (its old entities go with the old text)."""
    kept = {k: v for k, v in original.items() if k not in ("text", "entities")}
    return {**kept, **message_fields(text), "edit_date": int(time.time())}


def message_fields(text: str) -> JsonDict:
    """A text message as Telegram delivers it: a leading command gets its bot_command entity."""
    fields: JsonDict = {"text": text}
    command = COMMAND_RE.match(text)
    if command is not None:  # ASCII, so its length in UTF-16 code units is its length in characters
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
    return fields


PROVIDER_IDS = sorted(CONTENT.providers)
ITEM_IDS = sorted(CONTENT.catalogue.items)
KEYWORDS = sorted(
    {
        name
        for p in CONTENT.providers.values()
        for name in (p.id, *p.keywords, *(p.name[loc] for loc in LOCALES))
        if name.strip()
    }
)
LANGUAGE_CODES = st.one_of(
    st.sampled_from([None, "en", "ja", "zh-hans", "zh-hant", "zh", "ru", "ar", "he", "pt-br", ""]),
    st.text(max_size=12),
)
FIRST_NAMES = st.one_of(st.just("Test"), st.text(min_size=1, max_size=64))

ODD_CHARS = list(
    "\u200f\u200e\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"  # bidi marks and overrides
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\ufffd\ufe0f"  # zero-width, BOM, soft hyphen, replacement, VS16
    "\x00\x01\x07\x08\x1b\x7f\x85\t\r\n\x0b\x0c\x1c\u2028\u2029\u3000\u00a0"  # controls and odd spaces
)
ODD_PIECES = [
    "👩‍👩‍👧‍👦",
    "🇯🇵",
    "🏳️‍🌈",
    "👍🏽",
    "1️⃣",
    "𝕕𝕠𝕔𝕠𝕞𝕠",
    "ｄｏｃｏｍｏ ｅＳＩＭ",
    "Ｅ-ＳＩＭ",
    "<b>",
    "</a>",
    "<a href='javascript:x'>",
    "&",
    "&amp;",
    "&#0;",
    "&nbsp;",
    "<",
    ">",
    "{provider}",
    "{link:x}",
    "{0}",
    "%s",
    "\\",
    '"',
    "'",
    "v2|p||docomo",
    "esim",
    "e-sim",
    "\u202edocomo",
]
# codec="utf-8": no lone surrogates, which JSON from Telegram cannot carry.
CHARS = st.one_of(
    st.characters(codec="utf-8"),
    st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "So", "Lo"]),
    st.sampled_from(ODD_CHARS),
)
PIECES = st.one_of(st.text(CHARS, min_size=1, max_size=12), st.sampled_from(ODD_PIECES + KEYWORDS))
LONG_TEXT = st.builds(
    lambda unit, n: (unit * n)[:n],
    st.one_of(st.text(CHARS, min_size=1, max_size=3), st.sampled_from(KEYWORDS)),
    st.one_of(
        st.sampled_from([MAX_MATCH_LENGTH - 1, MAX_MATCH_LENGTH, MAX_MATCH_LENGTH + 1, 4096, 4097, 10_000]),
        st.integers(1, 10_000),
    ),
)
NAME_AT_LIMIT = st.builds(
    lambda name, pad, after: name + " " * max(pad - len(name), 0) if after else " " * pad + name,
    st.sampled_from(KEYWORDS),
    st.integers(MAX_MATCH_LENGTH - 10, MAX_MATCH_LENGTH + 2),
    st.booleans(),
)
PLAIN_TEXT = st.one_of(
    st.text(min_size=1, max_size=60),
    st.lists(PIECES, min_size=1, max_size=8).map("".join),
    LONG_TEXT,
    NAME_AT_LIMIT,
)
COMMANDS = [
    "/start",
    "/checklist",
    "/reminders",
    "/share",
    "/settings",
    "/language",
    "/help",
    "/quit",
    "/deletemydata",
    "/START",
    "/start@jpsim_standin_bot",
    "/help@jpsim_standin_bot",
    "/start@some_other_bot",
    "/frobnicate",
    "/cancel",
    "/",
    "//start",
    "/ start",
]
COMMAND_TEXT = st.builds(
    lambda command, rest: command + rest,
    st.one_of(st.sampled_from(COMMANDS), st.from_regex(r"/[A-Za-z0-9_]{1,40}", fullmatch=True)),
    st.one_of(st.just(""), st.text(CHARS, max_size=30).map(lambda s: " " + s), st.text(CHARS, max_size=10)),
)
ANY_TEXT = st.one_of(PLAIN_TEXT, COMMAND_TEXT)


@st.composite
def selections(draw: st.DrawFn) -> dict[str, str]:
    """Answers a user could really give: each from the options its question offers."""
    sel: dict[str, str] = {}
    for question in flow.QUESTIONS:
        opts = flow.options(CONTENT, sel, question)
        if opts and (question in ("provider", "sim", "channel") or draw(st.booleans())):
            sel[question] = draw(st.sampled_from(opts))
    return sel


VALID_PAYLOADS = selections().filter(lambda s: "sim" in s and "channel" in s).map(deeplinks.encode)
ALMOST_PAYLOADS = st.builds(
    lambda provider, sim, channel, tail: f"{provider}-{sim}-{channel}{tail}",
    st.one_of(st.sampled_from(PROVIDER_IDS), st.from_regex(r"[a-z0-9_]{1,31}", fullmatch=True), st.text(max_size=6)),
    st.sampled_from(["p", "e", "x", "P", "", "pe"]),
    st.sampled_from([*deeplinks.CHANNELS.values(), "zz", "o", "onl", ""]),
    st.sampled_from(["", "-", "-c", "-k", "-s", "-l", "-a", "-cl", "-ka", "-ks", "-x", "-cll", "--", "-cl-", "-sc"]),
)
PAYLOADS = st.one_of(
    VALID_PAYLOADS,
    ALMOST_PAYLOADS,
    VALID_PAYLOADS.map(str.upper),
    VALID_PAYLOADS.map(lambda p: p + "-cl"),
    st.from_regex(r"[A-Za-z0-9_-]{0,64}", fullmatch=True),
    st.text(CHARS, max_size=70),
    st.text(min_size=65, max_size=120),
)

CALLBACK_ARGS = sorted(
    {
        *PROVIDER_IDS,
        *ITEM_IDS,
        *deeplinks.SIMS,
        *deeplinks.CHANNELS,
        *flow.GOALS,
        *flow.STAYS,
        *LOCALES,
        *schedule.PRESETS,
        *(f"{s}-{e}" for s, e in QUIET_CHOICES),
        *(str(i) for i in range(12)),
        *("1h", "tm", "yes", "no", "tz", "quiet", "dep", "clear", "menu", "cal", "r", "d", "x"),
        *("r202612", "d202612", "r202701", "r202511", "r202812", "r20261201", "d20261215", "r20261130", "r20271301"),
        *("-1", "00", "0001", "999", "1000", "1-1h", "1-tm", "1-", "-", "_", "zh-Hant", "EN", "en_US", ""),
    }
)
CALLBACK_ARG = st.one_of(
    st.sampled_from(CALLBACK_ARGS),
    st.from_regex(r"[A-Za-z0-9_-]{0,40}", fullmatch=True),
    st.integers(-3, 10**12).map(str),
    st.builds(lambda n, rest: f"{n}-{rest}", st.integers(0, 300), st.sampled_from(["1h", "tm", "", "x", *ITEM_IDS])),
    st.sampled_from(CALLBACK_ARGS).map(lambda a: a + "\n"),  # `$` in a regex also matches before a final \n
    st.text(CHARS, max_size=45),
    st.from_regex(r"[A-Za-z0-9_-]{41,80}", fullmatch=True),
)
CALLBACK_ACTION = st.one_of(
    st.sampled_from([a.value for a in Action]), st.text(CHARS, max_size=4), st.sampled_from(["P", "go ", "del\n"])
)
CALLBACK_TOKEN = st.one_of(
    st.sampled_from(["", "", "1", "0.000000", "1.ffffff", "zzzzzz.abcdef", "x", "1..2", "A.B", "-1"]),
    st.from_regex(r"[a-z0-9.]{0,20}", fullmatch=True),
)
SHAPED_DATA = st.builds(
    lambda version, action, token, arg: f"{version}|{action}|{token}|{arg}",
    st.sampled_from(["v2", "v2", "v2", "v1", "v3", "V2", "", "v2 ", "\u200fv2"]),
    CALLBACK_ACTION,
    CALLBACK_TOKEN,
    CALLBACK_ARG,
)
CALLBACK_DATA = st.one_of(
    SHAPED_DATA,
    SHAPED_DATA.map(lambda d: d + "|x"),
    SHAPED_DATA.map(lambda d: "|".join(d.split("|")[:2])),
    st.just(""),
    st.text(CHARS, max_size=80),
    st.text(min_size=65, max_size=200),
)


# -- building blocks of examples --


async def new_chat(fuzz: Fuzz, data: st.DataObject) -> Chat:
    return fuzz.chat(data.draw(LANGUAGE_CODES, label="language_code"), data.draw(FIRST_NAMES, label="first_name"))


async def tap_real_button(fuzz: Fuzz, chat: Chat, data: st.DataObject) -> None:
    """Tap a button the bot really showed this user, on its newest messages mostly."""
    messages = fuzz.button_messages(chat.user.id)
    if not messages:
        return
    message = messages[data.draw(st.integers(0, len(messages) - 1), label="message (0 = newest)")]
    choices = [d for _, d in buttons(message) if d]
    await fuzz.tap(chat, choices[data.draw(st.integers(0, len(choices) - 1), label="button")], message)


async def walk(fuzz: Fuzz, chat: Chat, data: st.DataObject, max_taps: int = 6) -> None:
    """Bring the user somewhere in the flow: nothing, /start, a deep link or a carrier name, then real taps."""
    opening = data.draw(st.sampled_from(["none", "start", "deeplink", "name"]), label="opening")
    if opening == "start":
        await fuzz.send(chat, "/start")
    elif opening == "deeplink":
        await fuzz.send(chat, "/start " + data.draw(VALID_PAYLOADS, label="payload"))
    elif opening == "name":
        await fuzz.send(chat, data.draw(st.sampled_from(KEYWORDS), label="name"))
    for _ in range(data.draw(st.integers(0, max_taps), label="taps")):
        await tap_real_button(fuzz, chat, data)


async def forged_tap(fuzz: Fuzz, chat: Chat, data: st.DataObject, callback_data: str) -> str:
    """Tap callback data on the live screen or an older bot message (deleted ones: see
    test_callbacks_on_deleted_or_inaccessible_messages)."""
    if not fuzz.standin.bot_messages(chat.user.id):
        await fuzz.send(chat, "/help")  # a user can only tap on something the bot sent
    where = data.draw(st.sampled_from(["live", "older"]), label="tapped on")
    message = fuzz.live_screen(chat.user.id) if where == "live" else None
    if message is None:
        sent = fuzz.standin.bot_messages(chat.user.id)
        message = sent[data.draw(st.integers(0, len(sent) - 1), label="message")]
    return await fuzz.tap(chat, callback_data, message)


# -- the tests --


@fuzz_settings(60)
@given(data=st.data())
async def test_random_walks(fuzz: Fuzz, data: st.DataObject) -> None:
    """Taps, text, commands, deep links and forged buttons in any order."""
    fuzz.begin()
    chat = await new_chat(fuzz, data)
    for _ in range(data.draw(st.integers(1, 10), label="actions")):
        kind = data.draw(st.sampled_from(["tap", "tap", "tap", "text", "command", "deeplink", "forge"]), label="kind")
        if kind == "tap":
            if fuzz.button_messages(chat.user.id):
                await tap_real_button(fuzz, chat, data)
            else:
                await fuzz.send(chat, "/start")
        elif kind == "text":
            await fuzz.send(chat, data.draw(st.one_of(st.sampled_from(KEYWORDS), PLAIN_TEXT), label="text"))
        elif kind == "command":
            await fuzz.send(chat, data.draw(COMMAND_TEXT, label="command"))
        elif kind == "deeplink":
            await fuzz.send(chat, "/start " + data.draw(PAYLOADS, label="payload"))
        else:
            await forged_tap(fuzz, chat, data, data.draw(CALLBACK_DATA, label="callback_data"))
    fuzz.check()


@fuzz_settings(100)
@given(data=st.data())
async def test_random_callback_data(fuzz: Fuzz, data: st.DataObject) -> None:
    """Arbitrary and v2-shaped callback data in any state. Also: data the codec rejects is answered as an
    expired button."""
    fuzz.begin()
    chat = await new_chat(fuzz, data)
    await walk(fuzz, chat, data)
    for _ in range(data.draw(st.integers(1, 3), label="forged taps")):
        callback_data = data.draw(CALLBACK_DATA, label="callback_data")
        query = await forged_tap(fuzz, chat, data, callback_data)
        if decode(callback_data) is None:
            assert fuzz.answer_text(query) in EXPIRED_TEXTS, (callback_data, fuzz.standin.callback_answers[query])
    fuzz.check()


@fuzz_settings(100)
@given(data=st.data())
async def test_deep_link_payloads(fuzz: Fuzz, data: st.DataObject) -> None:
    """`/start <payload>`. Also: the bot says the link is invalid exactly when the codec rejects the payload,
    always shows a fresh screen, and a valid link's answers are the user's answers."""
    fuzz.begin()
    chat = await new_chat(fuzz, data)
    await walk(fuzz, chat, data, max_taps=3)
    text = "/start " + data.draw(PAYLOADS, label="payload")
    before = len(fuzz.standin.calls)
    await fuzz.send(chat, text)
    args = text.split()[1:]  # what PTB puts in context.args
    payload = args[0] if args else ""
    decoded = deeplinks.decode(payload, CONTENT) if payload else None
    replies = [
        c.params
        for c in fuzz.standin.calls[before:]
        if c.method == "sendMessage" and c.ok and c.params.get("chat_id") == chat.user.id
    ]
    said_invalid = any(r.get("text") in texts("link_invalid") for r in replies)
    assert said_invalid == (bool(payload) and decoded is None), (payload, replies)
    assert any(r.get("reply_markup") for r in replies), "no fresh screen after /start"
    if decoded is not None:
        sel = read_record(fuzz.db, chat.user.id)["sel"]
        assert decoded.items() <= sel.items(), (decoded, sel)
    fuzz.check()


@fuzz_settings(100)
@given(data=st.data())
async def test_random_text(fuzz: Fuzz, data: st.DataObject) -> None:
    """Random text and commands in any state. Also: every private text gets an answer, and text over the
    matching limit is answered with "too long"."""
    fuzz.begin()
    chat = await new_chat(fuzz, data)
    await walk(fuzz, chat, data, max_taps=3)
    for _ in range(data.draw(st.integers(1, 3), label="messages")):
        text = data.draw(ANY_TEXT, label="text")
        before = len(fuzz.sent_to(chat.user.id))
        await fuzz.send(chat, text)
        replies = fuzz.sent_to(chat.user.id)[before:]
        assert replies, f"no answer to {text!r}"
        if COMMAND_RE.match(text) is None and len(text) > MAX_MATCH_LENGTH:
            assert replies[0].get("text") in texts("too_long"), replies
    fuzz.check()


MEDIA_ONLY: dict[str, JsonDict] = {
    "sticker": {
        "sticker": {
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    },
    "photo": {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 90, "height": 90}]},
    "photo with caption": {
        "photo": [{"file_id": "p", "file_unique_id": "p", "width": 90, "height": 90}],
        "caption": "docomo esim",
    },
    "location": {"location": {"latitude": 35.68, "longitude": 139.76}},
    "contact": {"contact": {"phone_number": "+81 3 0000 0000", "first_name": "Jun"}},
    "document": {"document": {"file_id": "d", "file_unique_id": "d", "file_name": "x.pdf"}},
    "voice": {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
    "dice": {"dice": {"emoji": "🎲", "value": 4}},
    "venue": {
        "venue": {"location": {"latitude": 35.0, "longitude": 139.0}, "title": "docomo shop", "address": "Tokyo"}
    },
    "poll message": {
        "poll": {
            "id": "m1",
            "question": "docomo?",
            "options": [{"persistent_id": "0", "text": "yes", "voter_count": 0}],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": False,
            "members_only": False,
        }
    },
}
GROUP_CHATS: list[JsonDict] = [
    {"id": -500, "type": "group", "title": "Friends"},
    {"id": -1001234, "type": "supergroup", "title": "Japan SIM help"},
]
CHANNEL: JsonDict = {"id": -1009876, "type": "channel", "title": "News"}
UNEXPECTED_KINDS = [
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "my_chat_member",
    "chat_member",
    "poll",
    "poll_answer",
    "message_reaction",
    "chat_join_request",
    "chosen_inline_result",
    "media",
    "group",
    "group_service",
    "game_callback",
]


async def push_unexpected(fuzz: Fuzz, chat: Chat, data: st.DataObject, kind: str) -> None:
    user, now = chat.user.as_json(), int(time.time())
    private = {"id": chat.user.id, "type": "private", "first_name": chat.user.first_name}
    for known in (*GROUP_CHATS, CHANNEL):  # chats the bot could really answer in
        fuzz.standin._message_ids.setdefault(known["id"], itertools.count(1))
    text = data.draw(ANY_TEXT, label="text")
    if kind == "edited_message":
        earlier = [m for m in fuzz.standin.chat_messages(chat.user.id) if m.get("from", {}).get("id") == user["id"]]
        original = earlier[data.draw(st.integers(0, len(earlier) - 1), label="edited message")]
        payload: JsonDict = {"edited_message": edited(original, text)}
    elif kind in ("channel_post", "edited_channel_post"):
        post = {"message_id": next(fuzz.foreign_ids), "date": now, "chat": CHANNEL, "sender_chat": CHANNEL}
        payload = {kind: {**post, **message_fields(text), **({"edit_date": now} if kind.startswith("edited") else {})}}
    elif kind in ("my_chat_member", "chat_member"):
        status = data.draw(st.sampled_from(["kicked", "member", "left"]), label="new status")
        member = fuzz.standin.bot_user if kind == "my_chat_member" else user
        extra = {"until_date": 0} if status == "kicked" else {}
        payload = {
            kind: {
                "chat": private if kind == "my_chat_member" else data.draw(st.sampled_from(GROUP_CHATS)),
                "from": user,
                "date": now,
                "old_chat_member": {"user": member, "status": "member"},
                "new_chat_member": {"user": member, "status": status, **extra},
            }
        }
    elif kind == "poll":
        payload = {"poll": {**MEDIA_ONLY["poll message"]["poll"], "id": f"p{next(fuzz.foreign_ids)}", "question": text}}
    elif kind == "poll_answer":
        payload = {"poll_answer": {"poll_id": "p1", "user": user, "option_ids": [0], "option_persistent_ids": ["0"]}}
    elif kind == "message_reaction":
        payload = {
            "message_reaction": {
                "chat": private,
                "message_id": data.draw(st.integers(1, 50)),
                "user": user,
                "date": now,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "👍"}],
            }
        }
    elif kind == "chat_join_request":
        group = data.draw(st.sampled_from(GROUP_CHATS))
        payload = {"chat_join_request": {"chat": group, "from": user, "user_chat_id": chat.user.id, "date": now}}
    elif kind == "chosen_inline_result":
        payload = {"chosen_inline_result": {"result_id": text[:64] or "x", "from": user, "query": text}}
    elif kind == "media":
        fields = MEDIA_ONLY[data.draw(st.sampled_from(sorted(MEDIA_ONLY)), label="media")]
        payload = fuzz.standin.message_update(chat.user, None, **fields)
    elif kind == "group":
        group = data.draw(st.sampled_from(GROUP_CHATS), label="group")
        body = data.draw(st.one_of(st.just(message_fields(text)), st.sampled_from(list(MEDIA_ONLY.values()))))
        payload = {"message": {"message_id": next(fuzz.foreign_ids), "date": now, "chat": group, "from": user, **body}}
    elif kind == "group_service":
        group = data.draw(st.sampled_from(GROUP_CHATS), label="group")
        service: JsonDict = data.draw(
            st.sampled_from(
                [
                    {"new_chat_members": [fuzz.standin.bot_user]},
                    {"new_chat_members": [user]},
                    {"left_chat_member": user},
                    {"new_chat_title": text[:128] or "x"},
                ]
            ),
            label="service",
        )
        payload = {
            "message": {"message_id": next(fuzz.foreign_ids), "date": now, "chat": group, "from": user, **service}
        }
    else:  # a game's callback query: game_short_name, no data
        query_id = f"g{next(fuzz.foreign_ids)}"
        fuzz.standin.callback_answers[query_id] = None
        message = fuzz.live_screen(chat.user.id) or fuzz.fake_bot_message(chat, 1)
        payload = {
            "callback_query": {
                "id": query_id,
                "from": user,
                "chat_instance": "1",
                "message": message,
                "game_short_name": text[:64] or "g",
            }
        }
    await fuzz.push(chat, payload)


@fuzz_settings(100)
@given(data=st.data())
async def test_unexpected_update_types(fuzz: Fuzz, data: st.DataObject) -> None:
    """Updates the bot has no handler for, or only a catch-all. Also: a private message without text is
    answered with "unsupported"."""
    fuzz.begin()
    chat = await new_chat(fuzz, data)
    await walk(fuzz, chat, data, max_taps=3)
    for _ in range(data.draw(st.integers(1, 4), label="updates")):
        kind = data.draw(st.sampled_from(UNEXPECTED_KINDS), label="kind")
        before = len(fuzz.sent_to(chat.user.id))
        await push_unexpected(fuzz, chat, data, kind)
        if kind == "media":
            replies = [r.get("text") for r in fuzz.sent_to(chat.user.id)[before:]]
            assert replies, "no answer to a message without text"
            assert replies[0] in texts("unsupported_message"), replies
    fuzz.check()


@fuzz_settings(100)
@given(data=st.data())
async def test_inline_queries(fuzz: Fuzz, data: st.DataObject) -> None:
    """Inline mode with random text: always answered, with results Telegram accepts (at most 50, unique
    ids, valid HTML, valid buttons)."""
    fuzz.begin()
    chat = await new_chat(fuzz, data)
    query = data.draw(
        st.one_of(
            st.just(""),
            st.sampled_from(KEYWORDS),
            st.lists(st.sampled_from([*KEYWORDS, "esim", "e-sim", "sim", "travel", " "]), max_size=6).map(" ".join),
            VALID_PAYLOADS,
            PAYLOADS,
            ANY_TEXT,
        ),
        label="query",
    )
    offset = data.draw(st.one_of(st.just(""), st.text(max_size=10)), label="offset")
    await fuzz.inline(chat, query, offset)
    fuzz.check()


SETUP_INPUT = st.one_of(
    st.sampled_from(["/start", "/settings", "/reminders", "/checklist", "/language", "docomo esim", "/deletemydata"]),
    VALID_PAYLOADS.map(lambda p: "/start " + p),
)
VALID_SHAPED_DATA = st.builds(
    lambda action, arg: f"{VERSION}|{action.value}||{arg}",
    st.sampled_from(list(Action)),
    st.sampled_from(CALLBACK_ARGS),
)
# A tap: callback data, or (an int) the index of a button the bot really showed the user.
TAP = st.one_of(VALID_SHAPED_DATA, CALLBACK_DATA, st.integers(0, 500))


def resolve_tap(fuzz: Fuzz, chat: Chat, tap: str | int) -> str:
    if isinstance(tap, str):
        return tap
    shown = sorted({d for m in fuzz.button_messages(chat.user.id) for _, d in buttons(m) if d})
    return shown[tap % len(shown)] if shown else f"{VERSION}|{Action.RESTART.value}||"


@fuzz_settings(60)
@given(
    language_code=LANGUAGE_CODES, setup=st.lists(SETUP_INPUT, max_size=3), taps=st.lists(TAP, min_size=1, max_size=3)
)
@example(language_code="en", setup=["/settings"], taps=["v2|set||menu"])
@example(language_code="en", setup=["/start docomo-e-on-cl"], taps=["v2|rm||"])
async def test_callbacks_without_a_message(
    fuzz: Fuzz, language_code: str | None, setup: list[str], taps: list[str | int]
) -> None:
    """Callback queries from an inline message: `inline_message_id` and no `message`, with real, v2-shaped
    and arbitrary data."""
    fuzz.begin()
    chat = fuzz.chat(language_code)
    for text in setup:
        await fuzz.send(chat, text)
    for tap in taps:
        query_id = f"in{next(fuzz.foreign_ids)}"
        fuzz.standin.callback_answers[query_id] = None
        query = {
            "id": query_id,
            "from": chat.user.as_json(),
            "chat_instance": "42",
            "inline_message_id": f"AAA{query_id}",
            "data": resolve_tap(fuzz, chat, tap),
        }
        await fuzz.push(chat, {"callback_query": query})
    fuzz.check()


@fuzz_settings(60)
@given(
    language_code=LANGUAGE_CODES,
    setup=st.lists(SETUP_INPUT, max_size=3),
    taps=st.lists(st.tuples(TAP, st.integers(0, 20), st.booleans()), min_size=1, max_size=3),
)
@example(language_code="en", setup=["/settings"], taps=[("v2|set||tz", 0, False)])
@example(language_code="en", setup=["/start docomo-e-on-cl"], taps=[("v2|cal||r", 0, True)])
async def test_callbacks_on_deleted_or_inaccessible_messages(
    fuzz: Fuzz, language_code: str | None, setup: list[str], taps: list[tuple[str | int, int, bool]]
) -> None:
    """A tap on a bot message the user deleted right after tapping, or one Telegram reports as inaccessible
    (`date` 0), with real, v2-shaped and arbitrary data. Each tap is (data, which message counting from the
    newest, inaccessible?). Telegram refuses to edit such a message; the bot has to cope."""
    fuzz.begin()
    chat = fuzz.chat(language_code)
    for text in setup:
        await fuzz.send(chat, text)
    for tap, index, inaccessible in taps:
        sent = fuzz.standin.bot_messages(chat.user.id)[::-1]
        message = sent[index % len(sent)] if sent else fuzz.fake_bot_message(chat, 10**6)
        fuzz.standin.gone.add((chat.user.id, message["message_id"]))
        if inaccessible:
            message = {"chat": {"id": chat.user.id, "type": "private"}, "message_id": message["message_id"], "date": 0}
        await fuzz.tap(chat, resolve_tap(fuzz, chat, tap), message)
    fuzz.check()


@fuzz_settings(60)
@given(
    language_code=LANGUAGE_CODES,
    setup=st.lists(SETUP_INPUT, max_size=2),
    edits=st.lists(st.tuples(st.integers(0, 20), ANY_TEXT), min_size=1, max_size=3),
)
@example(language_code="en", setup=["/start docomo-e-on-cl"], edits=[(0, "/start")])
async def test_edited_messages_are_ignored(
    fuzz: Fuzz, language_code: str | None, setup: list[str], edits: list[tuple[int, str]]
) -> None:
    """The user edits one of their earlier messages into any text or command. Also: the bot ignores edits, as
    tests/test_e2e_conversation.py states: no Bot API call, and the user's data stay as they were."""
    fuzz.begin()
    chat = fuzz.chat(language_code)
    for text in setup:
        await fuzz.send(chat, text)
    data_before = json.dumps(read_record(fuzz.db, chat.user.id), sort_keys=True)
    mark = len(fuzz.standin.calls)
    for index, text in edits:
        own = [m for m in fuzz.standin.chat_messages(chat.user.id) if m.get("from", {}).get("id") == chat.user.id]
        await fuzz.push(chat, {"edited_message": edited(own[index % len(own)], text)})
    answered = [(c.method, c.params.get("text")) for c in fuzz.standin.calls[mark:] if c.method != "getUpdates"]
    assert not answered, answered
    assert json.dumps(read_record(fuzz.db, chat.user.id), sort_keys=True) == data_before
    fuzz.check()


# -- other users' reminders --

VICTIM_ID = 77


@dataclass
class Victim:
    user_id: int
    reminder_ids: list[int]
    button_data: list[str]  # reminder, snooze, stop and cancel buttons the bot showed the victim

    def snapshot(self, db: Path) -> list[list[tuple[object, ...]]]:
        tables = ("reminders", "checklist_items", "checklists", "user_settings", "flow_records")
        with closing(sqlite3.connect(db)) as conn:
            return [
                conn.execute(f"SELECT * FROM {table} WHERE user_id = ? ORDER BY 1, 2", (self.user_id,)).fetchall()
                for table in tables
            ]


REMINDER_ACTIONS = (Action.REMINDER_DONE, Action.SNOOZE, Action.STOP, Action.CANCEL_REMINDER)


@pytest.fixture
async def victim(fuzz: Fuzz) -> Victim:
    """A user with pending and sent reminders, follow-ups, reminder messages and a /reminders listing."""
    fuzz.begin()
    chat = fuzz.chat("en", user_id=VICTIM_ID)
    await fuzz.send(chat, "/start docomo-e-on-cl")
    for preset in ("preset_3h", "preset_tm", "preset_3d"):
        await chat.click(CONTENT.text("btn_remind", "en"))
        await chat.click(CONTENT.text(preset, "en"), message=chat.last)
    while CONTENT.text("btn_summary", "en") not in chat.labels():
        await chat.click(CONTENT.text("btn_next", "en"))
    await chat.click(CONTENT.text("btn_summary", "en"))
    fuzz.clock.advance(timedelta(days=1))  # the first two are sent, the rest stay pending
    assert (await dispatcher_of(fuzz.app).run()).sent >= 1
    await fuzz.send(chat, "/reminders")
    fuzz.check()
    with closing(sqlite3.connect(fuzz.db)) as conn:
        ids = [int(r[0]) for r in conn.execute("SELECT id FROM reminders WHERE user_id = ?", (VICTIM_ID,))]
    shown = {d for m in fuzz.standin.bot_messages(VICTIM_ID) for _, d in buttons(m) if d}
    wanted = [d for d in shown if (c := decode(d)) is not None and c.action in REMINDER_ACTIONS]
    assert ids, "the victim has no reminders"
    assert wanted, "the victim was shown no reminder buttons"
    return Victim(VICTIM_ID, ids, sorted(wanted))


@st.composite
def aimed_at(draw: st.DrawFn, victim: Victim) -> str:
    """Callback data for the victim's reminders: their real buttons, or ids with any suffix."""
    if draw(st.booleans()):
        return draw(st.sampled_from(victim.button_data))
    action = draw(st.sampled_from(REMINDER_ACTIONS))
    reminder_id = draw(st.sampled_from(victim.reminder_ids))
    head = draw(st.sampled_from([str(reminder_id), f"{reminder_id:03d}", f"0{reminder_id}"]))
    suffix = draw(st.sampled_from(["", "-1h", "-tm", "-x", "-", "-1h-1h", *(f"-{i}" for i in ITEM_IDS)]))
    return f"v2|{action.value}||{head}{suffix}"


@fuzz_settings(80)
@given(data=st.data())
async def test_other_users_reminders_are_out_of_reach(fuzz: Fuzz, victim: Victim, data: st.DataObject) -> None:
    """Another user taps reminder buttons aimed at the victim's reminders. Also: each tap is answered as
    expired, the victim's rows do not change and nothing is sent to or edited in the victim's chat."""
    fuzz.begin()
    before = victim.snapshot(fuzz.db)
    chat = await new_chat(fuzz, data)
    if data.draw(st.booleans(), label="attacker has reminders too"):
        await fuzz.send(chat, "/start " + data.draw(VALID_PAYLOADS, label="payload"))
        screen = fuzz.live_screen(chat.user.id)
        remind = [d for label, d in buttons(screen or {}) if label == CONTENT.text("btn_remind", "en")]
        if remind and screen is not None:
            await fuzz.tap(chat, remind[0], screen)
    for _ in range(data.draw(st.integers(1, 3), label="taps")):
        callback_data = data.draw(aimed_at(victim), label="callback_data")
        victim_message = data.draw(st.sampled_from(fuzz.button_messages(victim.user_id)), label="victim message")
        where = data.draw(st.sampled_from(["same id", "live"]), label="tapped on")
        live = fuzz.live_screen(chat.user.id)
        if where == "live" and live is not None:
            message = live
        else:  # the same message id in the attacker's own chat
            message = {**fuzz.fake_bot_message(chat, victim_message["message_id"]), **victim_message}
            message["chat"] = {"id": chat.user.id, "type": "private"}
        query = await fuzz.tap(chat, callback_data, message)
        assert fuzz.answer_text(query) in EXPIRED_TEXTS, (callback_data, fuzz.standin.callback_answers[query])
    assert victim.snapshot(fuzz.db) == before
    touched = [c for c in fuzz.new_calls() if c.params.get("chat_id") == victim.user_id]
    assert not touched, [(c.method, c.params) for c in touched]
    fuzz.check()
