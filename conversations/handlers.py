"""Handlers of the chat flow. Each does one thing: read the tap or text, change the record, say what to show.
They run inside the update's unit of work (conversations/turn.py); wiring is in conversations/wiring.py.
"""

from __future__ import annotations

from telegram import Update

from bot.context import AppContext
from content import deeplinks
from content.schema import LOCALES
from conversations import checklist, flow, picker, plan, sharing, views
from conversations.callbacks import QUESTION_OF, Action, Callback
from conversations.lasting import lasting_button, settings_of
from conversations.live import flow_button, has_flow, show_flow
from conversations.locale import LOCALE_KEY, user_locale
from conversations.matching import MAX_MATCH_LENGTH
from conversations.states import State
from conversations.turn import SCREEN_KEY, PtbCallback, Turn, on_update


async def _entered(turn: Turn) -> None:
    """After the answers changed: a chosen procedure's items become the checklist (one Storage call)."""
    if flow.current_state(turn.record) is State.STEPS:
        await checklist.make_from_flow(turn)


async def _shown_again(turn: Turn) -> bool:
    """A re-delivered /start, text or /quit was applied before the bot died: applying it again would start
    yet another flow and make the screen it showed stale. Show the current screen in place instead."""
    if not turn.redelivered:
        return False
    if has_flow(turn):
        await show_flow(turn)
    return True


@on_update
async def start(turn: Turn) -> None:
    """/start, or a deep link /start <payload> that opens a procedure directly."""
    if await _shown_again(turn):
        return
    args = turn.context.args or []
    payload = args[0] if args else ""
    sel = deeplinks.decode(payload, turn.content) if payload else None
    if payload and sel is None:
        turn.say("link_invalid")
    flow.new_flow(turn.record, turn.now())
    if sel is not None:
        flow.apply(turn.content, turn.record, sel)
    else:
        flow.advance(turn.content, turn.record)
    await _entered(turn)
    await show_flow(turn, new=True)


@lasting_button
async def restart(turn: Turn) -> None:
    """Start over from any message, even a stale one: a fresh provider question, in place on the live screen."""
    if await _shown_again(turn):
        return
    tapped = turn.tapped
    live = tapped is not None and tapped.message_id == turn.record.get(SCREEN_KEY)
    flow.new_flow(turn.record, turn.now())
    flow.advance(turn.content, turn.record)
    await show_flow(turn, new=not live)


@flow_button
async def choose(turn: Turn) -> None:
    """An answer to a question: accepted when that question offers it given the earlier answers. Setting the
    answer it already has changes nothing (a double tap keeps the later answers)."""
    callback = turn.button
    question = QUESTION_OF[callback.action]
    sel = flow.answers(turn.record)
    if callback.arg not in flow.options(turn.content, flow.answers_before(sel, question), question):
        turn.refuse()
        return
    if sel.get(question) != callback.arg:
        flow.answer(turn.record, question, callback.arg)
        flow.advance(turn.content, turn.record)
        await _entered(turn)
        if question == "stay" and callback.arg == "leaving":
            await plan.ask_when_leaving(turn)
    await show_flow(turn)


@flow_button
async def back(turn: Turn) -> None:
    """Back to a question: an absolute target, so tapping it twice lands on the same question."""
    callback = turn.button
    question = callback.arg if callback.arg in flow.QUESTIONS else flow.QUESTIONS[0]
    flow.back_to(turn.content, turn.record, question)
    await _entered(turn)
    await show_flow(turn)


def _steps(turn: Turn) -> int:
    sel = flow.answers(turn.record)
    proc = flow.procedure_of(turn.content, sel)
    return len(proc.steps_for(sel)) if proc else 0


@flow_button
async def go_step(turn: Turn) -> None:
    callback = turn.button
    index = callback.index()
    if index is None or not 0 <= index < _steps(turn):
        turn.refuse()
        return
    turn.record["step"] = index
    turn.record["view"] = State.STEPS.value
    await show_flow(turn)


@flow_button
async def mark(turn: Turn) -> None:
    """Mark a step done or not done: the button says which (set, never toggle)."""
    callback = turn.button
    setting = callback.setting()
    index = Callback(callback.action, setting[0]).index() if setting else None
    if setting is None or index is None or not 0 <= index < _steps(turn):
        turn.refuse()
        return
    sel = flow.answers(turn.record)
    proc = flow.procedure_of(turn.content, sel)
    assert proc is not None  # _steps found it
    step_id = proc.steps_for(sel)[index].id
    done: list[str] = turn.record.setdefault("done", [])
    if setting[1] and step_id not in done:
        done.append(step_id)
    elif not setting[1] and step_id in done:
        done.remove(step_id)
    turn.record["step"], turn.record["view"] = index, State.STEPS.value
    await show_flow(turn)


@flow_button
async def summary(turn: Turn) -> None:
    turn.record["view"] = State.SUMMARY.value
    await checklist.schedule_follow_ups(turn, await settings_of(turn))
    await show_flow(turn)


@flow_button
async def check_item(turn: Turn) -> None:
    """Tick an outstanding item on the summary screen: set, never toggle."""
    callback = turn.button
    setting = callback.setting()
    if setting is None or not await turn.tx.set_item(setting[0], done=setting[1]):
        turn.refuse()
        return
    if setting[1]:
        turn.answer("item_ticked", item=checklist.item_title(turn, setting[0]))
    await show_flow(turn)


async def noop(update: Update, context: AppContext) -> None:
    """Group headings in the provider menu are buttons only because Telegram has no other way."""
    if update.callback_query is not None:
        await update.callback_query.answer()


@on_update
async def quit_flow(turn: Turn) -> None:
    """/quit: leave the questions; buttons of the old screen are stale from now on (a new flow number)."""
    if turn.redelivered:
        return
    if "view" not in turn.record:
        turn.say("nothing_to_quit")
        return
    flow.new_flow(turn.record, turn.now())
    turn.record.pop(SCREEN_KEY, None)
    turn.say("quit_done")


@on_update
async def free_text(turn: Turn) -> None:
    """Text instead of a tap: jump to a named provider, or explain and show the current screen again."""
    if await _shown_again(turn):
        return
    message = turn.update.effective_message
    text = message.text if message is not None and message.text else ""
    if len(text) > MAX_MATCH_LENGTH:
        turn.say("too_long")
        return
    match = sharing.matcher(turn.context).match(text)
    # An open picker asked last (opening the plan's questions closes its typing), so it reads the text first.
    if match is None and (await picker.typed_time(turn, text) or await plan.typed(turn, text)):
        return
    if match is None:
        turn.say("unknown_text")
        if has_flow(turn):
            await show_flow(turn, new=True)
        return
    provider = turn.content.providers[match.provider_id]
    flow.new_flow(turn.record, turn.now())
    flow.answer(turn.record, "provider", provider.id)
    if match.sim is not None and match.sim in provider.sim_types() and len(provider.sim_types()) > 1:
        flow.answer(turn.record, "sim", match.sim)
    flow.advance(turn.content, turn.record)
    await _entered(turn)
    turn.say("matched_provider", provider=provider.name[turn.locale])
    await show_flow(turn, new=True)


@on_update
async def language_command(turn: Turn) -> None:
    turn.send(views.language_screen(turn.content, turn.locale))


@lasting_button
async def choose_language(turn: Turn) -> None:
    """Switch the language at any point and re-render the live screen in it."""
    callback = turn.button
    if callback.action is not Action.LOCALE or callback.arg not in LOCALES:
        turn.refuse()
        return
    turn.record[LOCALE_KEY] = callback.arg
    if await turn.tx.settings() is not None:
        await settings_of(turn)  # reminders are written in the user's language
    turn.edit_tapped(views.notice(turn.content, callback.arg, "language_set"))
    if SCREEN_KEY in turn.record and has_flow(turn):
        await show_flow(turn)


def _reply(key: str) -> PtbCallback:
    async def reply(turn: Turn) -> None:
        turn.say(key)

    reply.__name__ = key
    return on_update(reply)


help_command = _reply("help")
unsupported = _reply("unsupported_message")
unknown_command = _reply("unknown_command")


async def private_only(update: Update, context: AppContext) -> None:
    """Groups and channels: the bot talks privately only (no unit: nothing about the user is written)."""
    message = update.effective_message
    if message is not None:
        locale = user_locale({}, update.effective_user, context.services.settings.bot_default_locale)
        await message.reply_text(views.escape_ui(context.content, "private_only", locale))


async def chatless_button(update: Update, context: AppContext) -> None:
    """A button on a message sent through inline mode carries no chat (PTB #573): never ours to act on."""
    query = update.callback_query
    if query is not None:
        record = await context.services.storage.read_record(query.from_user.id)
        locale = user_locale(record, query.from_user, context.services.settings.bot_default_locale)
        await query.answer(context.content.text("expired_button", locale))
