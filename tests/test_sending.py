"""Users isolated from each other: per-user ordering with concurrency across users, per-chat 429 pauses,
interactive sends ahead of bulk ones, and the stand-in's model of Telegram's flood limits."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.budget import BulkBudget, Pace, PacedBudget
from bot.clock import ManualClock
from bot.ordering import PerChatProcessor
from bot.reminders import dispatcher_of
from bot.sending import BULK, ChatLimiter, PriorityGate
from bot.standin import ApiError, Fault, SimUser, StandIn
from tests.harness import TOKEN, Chat, buttons, running_bot
from tests.test_reminders import NOON_JST, QUIET_INTERVAL, ask_reminder, walk_to_steps


def test_pace_allows_a_burst_then_the_rate() -> None:
    pace = Pace(1, 1.0, burst=3)
    assert [pace.take(10.0) for _ in range(4)] == [0.0, 0.0, 0.0, 1.0]
    assert pace.delay(12.0) == 0.0  # two seconds later, two more are allowed
    late = Pace(1, 1.0, burst=1)
    assert late.take(0.0) == 0.0
    late.arrived(0.5)  # the first was answered half a second after it left
    assert late.take(1.0) == 0.5  # so the next waits until a second after that answer
    group = Pace(20, 60.0, burst=20)
    assert [group.take(0.0) for _ in range(21)][-2:] == [0.0, 3.0]


async def test_paced_budget_spaces_bulk_messages() -> None:
    now = [100.0]
    budget = PacedBudget(4, clock=lambda: now[0])
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def send() -> None:
        async with budget.slot():
            pass

    await asyncio.gather(*(send() for _ in range(3)))
    assert loop.time() - started >= 0.49  # the third waits two intervals of 0.25 s


async def test_paced_budget_counts_sends_under_way_so_slow_answers_cannot_bunch_arrivals() -> None:
    """Each send reaches Telegram somewhere between its start and its answer. Spacing starts 0.5 s apart is not
    enough when answers take 0.6 s: a third start at 1.0 s could arrive next to the first two. The window holds
    it until one of them has been answered for a second."""
    loop = asyncio.get_running_loop()
    budget = PacedBudget(2, clock=loop.time)
    spans: list[tuple[float, float]] = []

    async def send() -> None:
        async with budget.slot():
            start = loop.time()
            await asyncio.sleep(0.6)
            spans.append((start, loop.time()))

    await asyncio.gather(*(send() for _ in range(4)))
    spans.sort()
    for start, _ in spans:
        # Sends that could arrive within a second of this one: under way at its start, or answered < 1 s before.
        near = [s for s in spans if s[0] < start and s[1] > start - 1.0]
        assert len(near) < 2, spans
    assert spans[2][0] - spans[0][0] >= 1.55  # the third waited for the first answer (0.6 s) to age 1 s


async def test_standin_models_telegrams_limits() -> None:
    standin = StandIn(TOKEN, limits=True)
    for chat in (1, 2, -100, *range(1000, 1031)):
        standin.open_chat(chat)
    # Chat 1 and the group are talking to the bot: replies to them are not bulk.
    standin.push_message(SimUser(1), "hi")
    standin.push_message(SimUser(5), "/help", chat={"id": -100, "type": "group", "title": "g"})

    async def send(chat: int) -> None:
        await standin.handle(TOKEN, "sendMessage", {"chat_id": chat, "text": "x"}, {})

    for _ in range(3):
        await send(1)
    with pytest.raises(ApiError) as flooded:
        await send(1)
    assert (flooded.value.code, flooded.value.parameters) == (429, {"retry_after": 1})
    await send(2)  # another chat is not affected
    for _ in range(20):
        await send(-100)
    with pytest.raises(ApiError) as group:
        await send(-100)
    assert group.value.code == 429
    assert group.value.parameters == {"retry_after": 3}
    for chat in range(1000, 1029):  # with chat 2's message: 30 bulk messages in this second
        await send(chat)
    with pytest.raises(ApiError) as bulk:
        await send(1030)
    assert bulk.value.code == 429
    await asyncio.sleep(0)  # the push's notification task


async def test_limits_are_off_by_default(standin: StandIn) -> None:
    standin.open_chat(1)
    for _ in range(10):
        await standin.handle(TOKEN, "sendMessage", {"chat_id": 1, "text": "x"}, {})


def _update(standin: StandIn, update_id: int, user: int, chat: int | None = None) -> Update:
    extra: dict[str, Any] = {"chat": {"id": chat, "type": "group", "title": "g"}} if chat else {}
    payload = standin.message_update(SimUser(user), "hello", **extra)
    update = Update.de_json({"update_id": update_id, **payload}, None)
    assert update is not None
    return update


async def test_processor_orders_per_user_and_chat_and_runs_others_at_once(standin: StandIn) -> None:
    processor = PerChatProcessor()
    events: list[str] = []
    release = asyncio.Event()

    async def work(name: str, wait: bool = False) -> None:
        events.append(f"start {name}")
        if wait:
            await release.wait()
        events.append(f"end {name}")

    jobs = [
        (_update(standin, 1, 10), work("a1", wait=True)),
        (_update(standin, 2, 10), work("a2")),
        (_update(standin, 3, 20), work("b1")),  # another user
        (_update(standin, 4, 30, chat=-5), work("g1", wait=True)),
        (_update(standin, 5, 40, chat=-5), work("g2")),  # another user in the same group
    ]
    tasks = [asyncio.create_task(processor.process_update(u, c)) for u, c in jobs]
    for _ in range(10):
        await asyncio.sleep(0)
    assert "end b1" in events  # not held up by user 10's slow update
    assert "start a2" not in events
    assert "start g2" not in events
    release.set()
    await asyncio.gather(*tasks)
    assert events.index("end a1") < events.index("start a2")
    assert events.index("end g1") < events.index("start g2")


async def test_a_429_pauses_only_its_chat(standin: StandIn) -> None:
    standin.open_chat(1)
    standin.open_chat(2)
    standin.inject(Fault("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, chat_id=1))
    async with ExtBot(TOKEN, base_url=standin.base_url, rate_limiter=ChatLimiter()) as bot:
        first = asyncio.create_task(bot.send_message(1, "one"))
        await asyncio.sleep(0.2)  # chat 1 got its 429 and is paused
        await bot.send_message(2, "two")
        assert not first.done()
        await first
    oks = [c.params["chat_id"] for c in standin.calls if c.method == "sendMessage" and c.ok]
    assert oks == [2, 1]


async def test_a_chat_flooded_past_the_retries_raises(standin: StandIn) -> None:
    standin.open_chat(1)
    standin.inject(Fault("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=5, chat_id=1))
    async with ExtBot(TOKEN, base_url=standin.base_url, rate_limiter=ChatLimiter(max_retries=1)) as bot:
        with pytest.raises(RetryAfter):
            await bot.send_message(1, "one", rate_limit_args=BULK)
    assert [c.ok for c in standin.calls if c.method == "sendMessage"] == [False, False]


async def test_interactive_requests_get_a_free_slot_before_bulk_ones() -> None:
    gate = PriorityGate(1)
    order: list[str] = []

    async def use(name: str, bulk: bool) -> None:
        async with gate.slot(bulk=bulk):
            order.append(name)

    holder = gate.slot(bulk=False)
    await holder.__aenter__()
    waiting = [asyncio.create_task(use("bulk", True)), asyncio.create_task(use("reply", False))]
    await asyncio.sleep(0)
    await holder.__aexit__(None, None, None)
    await asyncio.gather(*waiting)
    assert order == ["reply", "bulk"]


async def test_a_flooding_user_does_not_hold_up_another_users_tap(tmp_path: Path) -> None:
    standin = StandIn(TOKEN, limits=True)
    await standin.start()
    try:
        async with running_bot(standin, tmp_path / "bot.sqlite3") as app:
            other = Chat(standin, app, SimUser(2))
            await other.send("/start")
            flooder = SimUser(1)
            for _ in range(6):  # three over the private chat's burst: the bot gets 429s for chat 1
                standin.push_message(flooder, "/help")
            screen, before = other.screen, len(standin.calls)
            update_id, _ = standin.push_callback(
                other.user, dict(screen), next(d for label, d in buttons(screen) if "docomo" in label)
            )
            await other.settle(update_id)
            sent = [(c.method, c.params.get("chat_id")) for c in standin.calls[before:] if c.ok]
            helps = [c for c in standin.calls if c.method == "sendMessage" and c.params.get("chat_id") == 1]
            assert sum(c.ok for c in helps) == 6
            assert not all(c.ok for c in helps)
            # The tap was served while the flood was still being paced.
            last_help = max(i for i, call in enumerate(sent) if call == ("sendMessage", 1))
            reply = next(i for i, call in enumerate(sent) if call[1] == 2)
            assert reply < last_help
    finally:
        await standin.stop()


async def test_a_private_chat_is_paced_so_telegram_refuses_nothing_and_other_chats_go_on(tmp_path: Path) -> None:
    standin = StandIn(TOKEN, limits=True)
    await standin.start()
    try:
        async with running_bot(standin, tmp_path / "bot.sqlite3", bot_private_chat_rate=1.0) as app:
            other = Chat(standin, app, SimUser(2))
            await other.send("/start")
            flooder = SimUser(1)
            for _ in range(6):
                standin.push_message(flooder, "/help")
            screen, before = other.screen, len(standin.calls)
            update_id, _ = standin.push_callback(
                other.user, dict(screen), next(d for label, d in buttons(screen) if "docomo" in label)
            )
            await other.settle(update_id)
        assert [c for c in standin.calls if not c.ok] == []  # not one 429
        helps = [c.at for c in standin.calls if c.method == "sendMessage" and c.params.get("chat_id") == 1]
        assert len(helps) == 6
        # A burst of three, then one a second (a little less: the pace is kept where the request leaves).
        assert all(later - earlier > 0.9 for earlier, later in itertools.pairwise(helps[2:]))
        sent = [(c.method, c.params.get("chat_id")) for c in standin.calls[before:]]
        assert sent.index(("editMessageText", 2)) < max(i for i, call in enumerate(sent) if call == ("sendMessage", 1))
    finally:
        await standin.stop()


def test_private_chats_paced_are_dropped_once_idle() -> None:
    now = [0.0]
    limiter = ChatLimiter(clock=lambda: now[0])
    for chat in range(ChatLimiter.SWEEP_FROM):
        limiter._pace(chat, "sendMessage")
    now[0] = 2.0  # every pace idle again
    assert limiter._pace(-100, "sendMessage") is not None  # a group: the sweep before adding it
    assert len(limiter._paces) == 1
    assert limiter._pace(1, "sendChatAction") is None  # not a message
    assert ChatLimiter(private_rate=0)._pace(1, "sendMessage") is None


async def test_a_tap_answered_too_late_still_gets_its_screen(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db) as app:
        chat = Chat(standin, app, SimUser(3))
        await chat.send("/start")
        before = chat.screen["text"]
        too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
        standin.inject(Fault("answerCallbackQuery", 400, too_old))
        query = await chat.click("NTT docomo")
        assert chat.screen["text"] != before
        assert query not in {c.params.get("callback_query_id") for c in standin.calls if c.ok}


class CountingBudget:
    """A bulk budget that lets everything through and counts: stands for any BulkBudget implementation."""

    def __init__(self) -> None:
        self.acquired = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        self.acquired += 1
        yield


async def test_reminders_wait_for_the_injected_bulk_budget_and_replies_do_not(standin: StandIn, db: Path) -> None:
    budget = CountingBudget()
    typed: BulkBudget = budget
    clock = ManualClock(NOON_JST)
    async with running_bot(standin, db, clock=clock, budget=typed, bot_reminder_interval=QUIET_INTERVAL) as app:
        chat = Chat(standin, app, SimUser(2101))
        await walk_to_steps(chat)
        await ask_reminder(chat, "preset_3h")
        assert budget.acquired == 0  # every screen so far was a reply
        clock.advance(timedelta(hours=3))
        assert (await dispatcher_of(app).run()).sent == 1
        assert budget.acquired == 1


async def test_far_from_telegram_many_requests_wait_out_the_round_trip_together(tmp_path: Path) -> None:
    # Each call waits a round trip to Telegram: with few open requests, users far from the head of the queue
    # would wait many round trips (16 of them held a bot 100 ms away to 76 updates a second, bench --rtt 100).
    standin = StandIn(TOKEN)
    await standin.start()
    users = [SimUser(5000 + n) for n in range(60)]
    try:
        async with running_bot(standin, tmp_path / "bot.sqlite3") as app:
            standin.round_trip = 1.0  # longer than starting 60 sends takes on a slow machine
            await asyncio.gather(*(Chat(standin, app, user).send("/start") for user in users))
        started = [c for c in standin.calls if c.method == "sendMessage"]
        assert {c.params["chat_id"] for c in started} == {user.id for user in users}
        assert standin.most_in_flight >= len(users)  # every user's screen on its way at once
    finally:
        await standin.stop()
