"""Every handler of the chat, registered in one visible place. Order matters: within a group the first
matching handler wins, so commands that work everywhere come before the conversation, and catch-alls after.
"""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from conversations import handlers as h
from conversations import reminder_handlers as rh
from conversations import sharing
from conversations.callbacks import Action, pattern
from conversations.states import CONVERSATION_NAME, State

# New messages only: an edited "/start" must not restart the flow (a filter replaces PTB's default, which
# also accepts edits).
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
PRIVATE_TEXT = PRIVATE & filters.TEXT & ~filters.COMMAND


class ChatlessCallbackHandler(CallbackQueryHandler[Any, Any]):
    """Callback queries without a message (inline-mode messages, or forged): no chat to answer in."""

    def check_update(self, update: object) -> bool:
        return (
            isinstance(update, Update) and update.callback_query is not None and update.callback_query.message is None
        )


class _AddressedToThisBot(filters.MessageFilter):
    """A command for this bot: plain (/help) or with its username (/help@ThisBot), not /help@OtherBot, which in a
    group belongs to another bot. PTB's CommandHandler checks the same, but only for the commands it names."""

    def filter(self, message: Message) -> bool:
        command = message.text.split(maxsplit=1)[0] if message.text else ""
        _, _, username = command.partition("@")
        return not username or username.lower() == (message.get_bot().username or "").lower()


async def _ignore(update: Update, context: Any) -> None:
    """Messages without a sender (sent on behalf of a channel): every handler of ours needs the user."""


def build_conversation() -> ConversationHandler[Any]:
    steps: list[BaseHandler[Update, Any, Any]] = [
        CallbackQueryHandler(h.go_step, pattern=pattern(Action.GO_STEP)),
        CallbackQueryHandler(h.toggle_done, pattern=pattern(Action.TOGGLE_DONE)),
        CallbackQueryHandler(h.summary, pattern=pattern(Action.SUMMARY)),
    ]
    # per_message=False on purpose: the flow starts from /start or text, and one live screen per user is
    # tracked in user_data instead. PTB warns about CallbackQueryHandlers in that setup; the choice is deliberate.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            name=CONVERSATION_NAME,
            persistent=True,
            allow_reentry=True,
            per_chat=True,
            per_user=True,
            per_message=False,
            entry_points=[
                CommandHandler("start", h.start, filters=PRIVATE),
                CallbackQueryHandler(h.restart, pattern=pattern(Action.RESTART)),
                MessageHandler(PRIVATE_TEXT, h.free_text),
                # Ends the conversation too, so it must be able to run in every state.
                CallbackQueryHandler(rh.delete_confirmed, pattern=pattern(Action.DELETE)),
            ],
            states={
                State.PROVIDER: [CallbackQueryHandler(h.choose("provider"), pattern=pattern(Action.PROVIDER))],
                State.SIM: [CallbackQueryHandler(h.choose("sim"), pattern=pattern(Action.SIM))],
                State.CHANNEL: [CallbackQueryHandler(h.choose("channel"), pattern=pattern(Action.CHANNEL))],
                State.GOAL: [CallbackQueryHandler(h.choose("goal"), pattern=pattern(Action.GOAL))],
                State.STAY: [CallbackQueryHandler(h.choose("stay"), pattern=pattern(Action.STAY))],
                State.STEPS: steps,
                State.SUMMARY: steps,
            },
            fallbacks=[
                CommandHandler("quit", h.quit_flow, filters=PRIVATE),
                CallbackQueryHandler(h.back, pattern=pattern(Action.BACK)),
                # Any other button in this state: an old screen's button or forged data.
                CallbackQueryHandler(h.expired),
            ],
        )


def build_handlers() -> list[BaseHandler[Update, Any, Any]]:
    """All handlers of group 0, in dispatch order."""
    return [
        MessageHandler(~filters.USER, _ignore),
        # Buttons on messages sent through inline mode carry no chat (PTB #573): never ours to act on.
        ChatlessCallbackHandler(h.expired),
        # Work everywhere, in or out of the flow.
        CommandHandler("help", h.help_command, filters=PRIVATE),
        CommandHandler("language", h.language_command, filters=PRIVATE),
        CommandHandler("share", sharing.share_command, filters=PRIVATE),
        InlineQueryHandler(sharing.inline_query),
        CallbackQueryHandler(h.choose_language, pattern=pattern(Action.LOCALE)),
        CallbackQueryHandler(h.noop, pattern=pattern(Action.NOOP)),
        # Checklist, reminders, settings: long-lived messages, checked against the database.
        CommandHandler("checklist", rh.checklist_command, filters=PRIVATE),
        CommandHandler("reminders", rh.reminders_command, filters=PRIVATE),
        CommandHandler("settings", rh.settings_command, filters=PRIVATE),
        CommandHandler("deletemydata", rh.delete_command, filters=PRIVATE),
        CallbackQueryHandler(h.check_item, pattern=pattern(Action.CHECK)),
        CallbackQueryHandler(rh.checklist_button, pattern=pattern(Action.CHECKLIST)),
        CallbackQueryHandler(rh.remind_me, pattern=pattern(Action.REMIND)),
        CallbackQueryHandler(rh.choose_preset, pattern=pattern(Action.PRESET)),
        CallbackQueryHandler(rh.show_calendar, pattern=pattern(Action.CALENDAR)),
        CallbackQueryHandler(rh.choose_day, pattern=pattern(Action.DAY)),
        CallbackQueryHandler(rh.reminder_done, pattern=pattern(Action.REMINDER_DONE)),
        CallbackQueryHandler(rh.snooze, pattern=pattern(Action.SNOOZE)),
        CallbackQueryHandler(rh.stop, pattern=pattern(Action.STOP)),
        CallbackQueryHandler(rh.cancel_reminder, pattern=pattern(Action.CANCEL_REMINDER)),
        CallbackQueryHandler(rh.settings_menu, pattern=pattern(Action.SETTINGS)),
        CallbackQueryHandler(rh.choose_timezone, pattern=pattern(Action.TIMEZONE)),
        CallbackQueryHandler(rh.choose_quiet, pattern=pattern(Action.QUIET)),
        # Groups and channels: the bot talks privately only.
        MessageHandler(
            filters.ChatType.GROUPS & filters.COMMAND & _AddressedToThisBot() & filters.UpdateType.MESSAGE,
            h.private_only,
        ),
        build_conversation(),
        # Outside a flow.
        CommandHandler("quit", h.nothing_to_quit, filters=PRIVATE),
        CallbackQueryHandler(h.expired),
        MessageHandler(PRIVATE & filters.COMMAND, h.unknown_command),
        MessageHandler(PRIVATE & ~filters.TEXT, h.unsupported),
    ]
