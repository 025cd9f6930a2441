"""Every handler of the chat, registered in one visible place, in one group. Within a group the first
matching handler wins: commands first, then buttons by action, then catch-alls.

There is no ConversationHandler: buttons are routed by their action, and each handler accepts a tap when its
token matches the user's flow record, read in the update's unit of work (see conversations/turn.py).
"""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, InlineQueryHandler, MessageHandler, filters

from conversations import checklist, erase, picker, plan, reminder_buttons, reminder_list, settings_menu, sharing, stats
from conversations import handlers as h
from conversations.callbacks import QUESTION_OF, Action, pattern
from conversations.live import expired

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


# In the order of the command menu Telegram shows.
COMMANDS: dict[str, Any] = {
    "start": h.start,
    "checklist": checklist.checklist_command,
    "plan": plan.plan_command,
    "reminders": reminder_list.reminders_command,
    "share": sharing.share_command,
    "settings": settings_menu.settings_command,
    "language": h.language_command,
    "help": h.help_command,
    "quit": h.quit_flow,
    "deletemydata": erase.delete_command,
}
BUTTONS: dict[Action, Any] = {
    **dict.fromkeys(QUESTION_OF, h.choose),
    Action.BACK: h.back,
    Action.GO_STEP: h.go_step,
    Action.MARK: h.mark,
    Action.SUMMARY: h.summary,
    Action.CHECK: h.check_item,
    Action.RESTART: h.restart,
    Action.LOCALE: h.choose_language,
    Action.NOOP: h.noop,
    Action.CHECKLIST: checklist.checklist_button,
    Action.TICK: checklist.tick,
    Action.REMIND: picker.remind_me,
    Action.PRESET: picker.choose_preset,
    Action.CALENDAR: picker.show_calendar,
    Action.DAY: picker.choose_day,
    Action.REMINDER_DONE: reminder_buttons.reminder_done,
    Action.SNOOZE: reminder_buttons.snooze,
    Action.STOP: reminder_buttons.stop,
    Action.CANCEL_REMINDER: reminder_list.cancel_reminder,
    Action.SETTINGS: settings_menu.settings_menu,
    Action.TIMEZONE: settings_menu.choose_timezone,
    Action.QUIET: settings_menu.choose_quiet,
    Action.DELETE: erase.delete_confirmed,
    Action.PLAN: plan.plan_button,
    Action.PLAN_TICK: plan.plan_tick,
    Action.PLAN_ICS: plan.send_calendar,
    Action.ABROAD: plan.choose_abroad,
}


def build_handlers() -> list[BaseHandler[Update, Any, Any]]:
    """All handlers, in dispatch order."""
    return [
        MessageHandler(~filters.USER, _ignore),
        # Buttons on messages sent through inline mode carry no chat (PTB #573): never ours to act on.
        ChatlessCallbackHandler(h.chatless_button),
        # Groups and channels: the bot talks privately only.
        MessageHandler(
            filters.ChatType.GROUPS & filters.COMMAND & _AddressedToThisBot() & filters.UpdateType.MESSAGE,
            h.private_only,
        ),
        *(CommandHandler(name, callback, filters=PRIVATE) for name, callback in COMMANDS.items()),
        # Not in COMMANDS: the menu Telegram shows everyone leaves out this operators' command.
        CommandHandler("stats", stats.stats_command, filters=PRIVATE),
        InlineQueryHandler(sharing.inline_query),
        *(CallbackQueryHandler(callback, pattern=pattern(action)) for action, callback in BUTTONS.items()),
        # Malformed, forged or from an older format.
        CallbackQueryHandler(expired),
        MessageHandler(PRIVATE_TEXT, h.free_text),
        MessageHandler(PRIVATE & filters.COMMAND, h.unknown_command),
        MessageHandler(PRIVATE & ~filters.TEXT, h.unsupported),
    ]
