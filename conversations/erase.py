"""/deletemydata: after a confirmation, every row about the user goes, in the update's one unit."""

from __future__ import annotations

from conversations import reminder_views as rv
from conversations.lasting import lasting_button
from conversations.turn import Turn, on_update
from conversations.views import notice


@on_update
async def delete_command(turn: Turn) -> None:
    turn.send(rv.delete_screen(turn.content, turn.locale))


@lasting_button
async def delete_confirmed(turn: Turn) -> None:
    """Yes erases (a second Yes finds nothing left and shows the same notice); No keeps everything."""
    arg = turn.button.arg
    if arg not in ("yes", "no"):
        turn.refuse()
        return
    if arg == "no":
        turn.edit_tapped(notice(turn.content, turn.locale, "delete_kept"))
        return
    locale = turn.locale  # the notice is in the language the user had
    await turn.tx.erase()
    turn.record.clear()
    turn.edit_tapped(notice(turn.content, locale, "deleted"))
