"""/reminders: the pending reminders, each with a Cancel button."""

from __future__ import annotations

from conversations import reminder_views as rv
from conversations.lasting import lasting_button, settings_of
from conversations.turn import Turn, on_update


@on_update
async def reminders_command(turn: Turn) -> None:
    settings = await settings_of(turn)
    turn.send(rv.reminders_screen(turn.content, turn.locale, settings, await turn.tx.reminders()))


@lasting_button
async def cancel_reminder(turn: Turn) -> None:
    """Cancel one reminder; a second tap finds it cancelled and only redraws the list."""
    arg = turn.button.arg
    reminder = await turn.tx.reminder(int(arg)) if arg.isdigit() and len(arg) < 19 else None
    if reminder is None or reminder.status not in ("pending", "paused", "cancelled"):
        turn.refuse()
        return
    if reminder.status != "cancelled":
        await turn.tx.set_reminder_status(reminder.id, "cancelled")
        turn.answer("reminder_cancelled")
    settings = await settings_of(turn)
    turn.edit_tapped(rv.reminders_screen(turn.content, turn.locale, settings, await turn.tx.reminders()))
