"""/settings: time zone, quiet hours and departure date, each set to what its button says."""

from __future__ import annotations

from bot import schedule
from bot.storage.base import UserSettings
from conversations import plan
from conversations import reminder_views as rv
from conversations.lasting import lasting_button, settings_of
from conversations.turn import Turn, on_update


@on_update
async def settings_command(turn: Turn) -> None:
    turn.send(rv.settings_screen(turn.content, turn.locale, await settings_of(turn)))


@lasting_button
async def settings_menu(turn: Turn) -> None:
    arg = turn.button.arg
    settings = await settings_of(turn)
    today = schedule.local_today(turn.services.clock.now(), settings)
    content, loc = turn.content, turn.locale
    if arg == "clear":
        settings.departure = None
        await turn.tx.save_settings(settings)
        await plan.sync_reminders(turn, settings)
        arg = "menu"
    screens = {
        "tz": lambda: rv.timezone_screen(content, loc),
        "quiet": lambda: rv.quiet_screen(content, loc),
        "dep": lambda: rv.calendar_screen(content, loc, "d", today.replace(day=1), today),
        "menu": lambda: rv.settings_screen(content, loc, settings),
    }
    if arg not in screens:
        turn.refuse()
        return
    turn.edit_tapped(screens[arg]())


@lasting_button
async def choose_timezone(turn: Turn) -> None:
    index = turn.button.index()
    if index is None or index >= len(rv.TIMEZONES):
        turn.refuse()
        return
    settings = await settings_of(turn)
    settings.timezone = rv.TIMEZONES[index]
    await _save_and_show(turn, settings)


@lasting_button
async def choose_quiet(turn: Turn) -> None:
    choices = {f"{s}-{e}": (s, e) for s, e in rv.QUIET_CHOICES}
    arg = turn.button.arg
    if arg not in choices:
        turn.refuse()
        return
    settings = await settings_of(turn)
    settings.quiet_start, settings.quiet_end = choices[arg]
    await _save_and_show(turn, settings)


async def _save_and_show(turn: Turn, settings: UserSettings) -> None:
    await turn.tx.save_settings(settings)
    turn.answer("settings_saved")
    turn.edit_tapped(rv.settings_screen(turn.content, turn.locale, settings))
