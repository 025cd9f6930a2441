"""The flow's live screen: render it from the record (views stamp its tokens), and decide whether a flow button is
still live. A flow button is live when its token matches the record (same flow, same answers for what the
button depends on); a refused one never rewrites the live screen's keyboard."""

from __future__ import annotations

import functools

from telegram import Message

from bot.screens import Screen
from conversations import flow, sharing, views
from conversations.callbacks import Callback
from conversations.states import State
from conversations.turn import SCREEN_KEY, Body, PtbCallback, Turn, on_button


async def current_screen(turn: Turn) -> Screen:
    record = turn.record
    ticked: set[str] = set()
    link = ""
    if flow.current_state(record) is State.SUMMARY:
        _, items = await turn.tx.checklist()
        ticked = {i.item_id for i in items if i.done}
        link = sharing.links_for(turn.context, flow.answers(record), turn.locale).text(turn.content, turn.locale)
    return views.current_screen(turn.content, record, turn.locale, ticked, link)


async def show_flow(turn: Turn, *, new: bool = False) -> None:
    turn.show_live(await current_screen(turn), new=new)


def has_flow(turn: Turn) -> bool:
    return "view" in turn.record and flow.is_valid(turn.content, turn.record)


def is_live(turn: Turn, callback: Callback) -> bool:
    return has_flow(turn) and callback.token == flow.token(turn.record, flow.depends_on(callback.action, callback.arg))


async def stale(turn: Turn) -> None:
    """A button from another flow, forged or malformed: say so. When it sits on the message that should show
    the live screen (an edit of it failed), show the current screen there; any other message gets a lone
    Start over, unless it already has one."""
    turn.refuse()
    tapped = turn.tapped
    if tapped is not None and tapped.message_id == turn.record.get(SCREEN_KEY) and has_flow(turn):
        await show_flow(turn)
    elif tapped is not None:
        turn.retired = tapped


def flow_button(body: Body) -> PtbCallback:
    """A button of the flow's screens: live by its token. The message it was tapped on shows this flow, so it
    becomes the live screen and gets the next one, even when another copy was newer (a send whose message id
    a crash kept from the record)."""

    @functools.wraps(body)
    async def on_live_screen(turn: Turn) -> None:
        tapped = turn.tapped
        if isinstance(tapped, Message):
            turn.record[SCREEN_KEY] = tapped.message_id
        await body(turn)

    return on_button(is_live, stale)(on_live_screen)


def _never(turn: Turn, callback: Callback) -> bool:
    return False


async def _nothing(turn: Turn) -> None:  # never called: _never accepts no button
    raise AssertionError("unreachable")


expired = on_button(_never, stale)(_nothing)
