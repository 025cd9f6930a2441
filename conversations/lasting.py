"""Buttons on long-lived messages (the checklist, a reminder, the picker, /reminders, /settings, the
deletion prompt): they may be tapped days later, so each handler checks its argument against the database in
its unit, and a tap that no longer applies is refused with a notice, its message left as it is."""

from __future__ import annotations

from bot.reminders import user_settings
from bot.storage.base import UserSettings
from conversations.callbacks import Callback
from conversations.turn import Turn, on_button


def _accept(turn: Turn, callback: Callback) -> bool:
    return True


async def _refuse(turn: Turn) -> None:
    turn.refuse()


lasting_button = on_button(_accept, _refuse)


async def settings_of(turn: Turn) -> UserSettings:
    """The user's reminder settings (made with the defaults on first use), in the user's current language."""
    return await user_settings(turn.tx, turn.chat_id, turn.locale, turn.services.settings.bot_timezone)
