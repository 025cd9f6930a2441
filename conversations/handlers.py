"""Callbacks of the chat flow. Each does one thing: read the tap or text, update the flow, show the screen,
return the next state. Wiring (which handler for which update) is in conversations/wiring.py.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ConversationHandler

from bot.context import AppContext
from bot.persistence import SqlitePersistence
from bot.screens import SCREEN_KEY, is_not_modified, redraw, show
from content.schema import LOCALES
from conversations import deeplinks, flow, sharing, views
from conversations import reminder_handlers as rh
from conversations.callbacks import Action, Callback, decode
from conversations.common import chat_id, locale, user_id
from conversations.locale import LOCALE_KEY
from conversations.matching import MAX_MATCH_LENGTH
from conversations.states import CONVERSATION_NAME, State

StateResult = State | int | None
ButtonCallback = Callable[[Update, AppContext, Callback], Coroutine[Any, Any, StateResult]]
HandlerCallback = Callable[[Update, AppContext], Coroutine[Any, Any, StateResult]]


async def _show_current(update: Update, context: AppContext, *, new: bool = False) -> None:
    ticked: set[str] = set()
    link = ""
    loc = locale(update, context)
    if flow.current_state(context.ud) is State.SUMMARY:
        ticked = {i for i, item in (await rh.checklist_of(update, context)).items() if item.done}
        link = sharing.links_for(context, flow.answers(context.ud), loc).text(context.content, loc)
    screen = views.current_screen(context.content, context.ud, loc, ticked, link)
    persistence = context.application.persistence
    if isinstance(persistence, SqlitePersistence):
        # The state this screen shows is the one the handler returns: State(view). Write it before showing.
        uid = user_id(update)
        key = (chat_id(update), uid)
        await persistence.write_through(uid, context.ud, CONVERSATION_NAME, key, flow.current_state(context.ud))
    await show(context, chat_id(update), screen, new=new)


async def _entered(update: Update, context: AppContext, state: State) -> State:
    """After an answer: the steps of a chosen procedure make its items the user's checklist."""
    if state is State.STEPS:
        await rh.sync_checklist(update, context)
    return state


async def _reply(update: Update, context: AppContext, key: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(views.escape_ui(context.content, key, locale(update, context)))


async def expired(update: Update, context: AppContext) -> None:
    """A forged, malformed or stale button: say so and offer Start over, never raise."""
    query = update.callback_query
    if query is None:
        return
    loc = locale(update, context)
    await query.answer(context.content.text("expired_button", loc))
    if query.message is not None:
        notice = views.restart_screen(context.content, loc, "expired_button")
        try:
            await query.edit_message_reply_markup(reply_markup=notice.keyboard)
        except BadRequest as exc:
            if not is_not_modified(exc):
                await context.bot.send_message(chat_id(update), notice.text, reply_markup=notice.keyboard)


Check = Callable[[AppContext, Callback], bool]


def _always(context: AppContext, callback: Callback) -> bool:
    return True


def on_button(check: Check = _always) -> Callable[[ButtonCallback], HandlerCallback]:
    """Decode the callback data and accept only taps on the user's live screen, with a still-valid flow and
    an argument `check` accepts; anything else is answered as expired before the handler runs."""

    def decorate(func: ButtonCallback) -> HandlerCallback:
        @functools.wraps(func)
        async def wrapper(update: Update, context: AppContext) -> StateResult:
            query = update.callback_query
            assert query is not None  # registered only for callback queries
            callback = decode(query.data)
            live = query.message is not None and query.message.message_id == context.ud.get(SCREEN_KEY)
            if (
                callback is None
                or not live
                or not flow.is_valid(context.content, context.ud)
                or not check(context, callback)
            ):
                await expired(update, context)
                return None
            await query.answer()
            return await func(update, context, callback)

        return wrapper

    return decorate


async def start(update: Update, context: AppContext) -> State:
    """/start, or a deep link /start <payload> that opens a procedure directly."""
    payload = context.args[0] if context.args else ""
    sel = deeplinks.decode(payload, context.content) if payload else None
    if payload and sel is None:
        await _reply(update, context, "link_invalid")
    if sel is not None:
        state = await _entered(update, context, flow.apply(context.content, context.ud, sel))
    else:
        flow.reset(context.ud)
        state = flow.advance(context.content, context.ud)
    await _show_current(update, context, new=True)
    return state


async def restart(update: Update, context: AppContext) -> State:
    """Start over from any message, even a stale one: a fresh provider question."""
    query = update.callback_query
    if query is not None:
        await query.answer()
    live = query is not None and query.message is not None and query.message.message_id == context.ud.get(SCREEN_KEY)
    flow.reset(context.ud)
    state = flow.advance(context.content, context.ud)
    await _show_current(update, context, new=not live)
    return state


def choose(question: str) -> HandlerCallback:
    """The handler for one question: accept only an option that question really offers."""

    def offered(context: AppContext, callback: Callback) -> bool:
        return callback.arg in flow.options(context.content, flow.answers(context.ud), question)

    @on_button(offered)
    async def handler(update: Update, context: AppContext, callback: Callback) -> StateResult:
        flow.answer(context.ud, question, callback.arg)
        state = await _entered(update, context, flow.advance(context.content, context.ud))
        await _show_current(update, context)
        return state

    handler.__name__ = f"choose_{question}"
    return handler


@on_button()
async def back(update: Update, context: AppContext, callback: Callback) -> StateResult:
    state = flow.back(context.content, context.ud)
    await _show_current(update, context)
    return state


def _steps_count(context: AppContext) -> int:
    proc = flow.procedure_of(context.content, flow.answers(context.ud))
    return len(proc.steps_for(flow.answers(context.ud))) if proc else 0


def _step_in_range(context: AppContext, callback: Callback) -> bool:
    index = callback.index()
    return index is not None and 0 <= index < _steps_count(context)


def _mark(callback: Callback) -> tuple[int | None, bool]:
    """A Mark-done button's step index and the state it sets: `<index>-1` done, `<index>-0` not done."""
    index, _, value = callback.arg.partition("-")
    step = Callback(callback.action, index).index()
    return (step, value == "1") if value in ("0", "1") else (None, False)


def _is_current_step(context: AppContext, callback: Callback) -> bool:
    step, _ = _mark(callback)
    return (
        step is not None
        and step == context.ud.get("step")
        and _step_in_range(context, Callback(callback.action, str(step)))
    )


@on_button(_step_in_range)
async def go_step(update: Update, context: AppContext, callback: Callback) -> StateResult:
    context.ud["step"] = callback.index()
    context.ud["view"] = State.STEPS.value
    await _show_current(update, context)
    return State.STEPS


@on_button(_is_current_step)
async def toggle_done(update: Update, context: AppContext, callback: Callback) -> StateResult:
    sel = flow.answers(context.ud)
    proc = flow.procedure_of(context.content, sel)
    assert proc is not None  # is_valid and _is_current_step hold
    step_id = proc.steps_for(sel)[int(context.ud["step"])].id
    done: list[str] = context.ud.setdefault("done", [])
    # The button says what to set, not "toggle": tapping it again after a failed edit keeps the same result.
    _, mark_done = _mark(callback)
    if mark_done and step_id not in done:
        done.append(step_id)
    elif not mark_done and step_id in done:
        done.remove(step_id)
    await _show_current(update, context)
    return None


@on_button()
async def summary(update: Update, context: AppContext, callback: Callback) -> StateResult:
    context.ud["view"] = State.SUMMARY.value
    await rh.schedule_follow_ups(update, context)
    await _show_current(update, context)
    return State.SUMMARY


async def check_item(update: Update, context: AppContext) -> None:
    """Tick an outstanding item from the summary screen or the /checklist message."""
    query = update.callback_query
    assert query is not None
    on_summary = (
        query.message is not None
        and query.message.message_id == context.ud.get(SCREEN_KEY)
        and flow.current_state(context.ud) is State.SUMMARY
    )
    if not on_summary:
        await rh.checklist_toggle(update, context)
    elif await rh.toggle_item(update, context):
        await _show_current(update, context)


async def noop(update: Update, context: AppContext) -> None:
    """Group headings in the provider menu are buttons only because Telegram has no other way."""
    if update.callback_query is not None:
        await update.callback_query.answer()


async def quit_flow(update: Update, context: AppContext) -> int:
    flow.reset(context.ud)
    context.ud.pop(SCREEN_KEY, None)  # buttons on the old screen are stale from now on
    await _reply(update, context, "quit_done")
    return ConversationHandler.END


async def nothing_to_quit(update: Update, context: AppContext) -> None:
    await _reply(update, context, "nothing_to_quit")


async def free_text(update: Update, context: AppContext) -> StateResult:
    """Text instead of a tap: jump to a named provider, or explain and show the current screen again."""
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    if len(text) > MAX_MATCH_LENGTH:
        await _reply(update, context, "too_long")
        return None
    match = sharing.matcher(context).match(text)
    if match is None:
        await _reply(update, context, "unknown_text")
        if "view" in context.ud and flow.is_valid(context.content, context.ud):
            await _show_current(update, context, new=True)
        return None
    provider = context.content.providers[match.provider_id]
    flow.reset(context.ud)
    flow.answer(context.ud, "provider", provider.id)
    if match.sim is not None and match.sim in provider.sim_types() and len(provider.sim_types()) > 1:
        flow.answer(context.ud, "sim", match.sim)
    state = await _entered(update, context, flow.advance(context.content, context.ud))
    loc = locale(update, context)
    if message is not None:
        await message.reply_text(views.escape_ui(context.content, "matched_provider", loc, provider=provider.name[loc]))
    await _show_current(update, context, new=True)
    return state


async def unsupported(update: Update, context: AppContext) -> None:
    await _reply(update, context, "unsupported_message")


async def private_only(update: Update, context: AppContext) -> None:
    await _reply(update, context, "private_only")


async def help_command(update: Update, context: AppContext) -> None:
    await _reply(update, context, "help")


async def language_command(update: Update, context: AppContext) -> None:
    message = update.effective_message
    if message is not None:
        screen = views.language_screen(context.content, locale(update, context))
        await message.reply_text(screen.text, reply_markup=screen.keyboard)


async def choose_language(update: Update, context: AppContext) -> None:
    """Switch the language at any point and re-render the live screen in it."""
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    if callback is None or callback.action is not Action.LOCALE or callback.arg not in LOCALES:
        await expired(update, context)
        return
    context.ud[LOCALE_KEY] = callback.arg
    await rh.sync_locale(update, context)
    await query.answer()
    await redraw(query, chat_id(update), views.notice(context.content, callback.arg, "language_set"))
    if "view" in context.ud and SCREEN_KEY in context.ud and flow.is_valid(context.content, context.ud):
        await _show_current(update, context)


async def unknown_command(update: Update, context: AppContext) -> None:
    await _reply(update, context, "unknown_command")
