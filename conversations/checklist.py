"""The checklist: the chosen procedure's outstanding items, ticked off on the summary or on the /checklist
message, plus the catalogue's automatic follow-ups."""

from __future__ import annotations

from bot import schedule
from bot.reminders import schedule_reminder
from bot.screens import Screen
from bot.storage.base import UserSettings
from conversations import flow
from conversations import reminder_views as rv
from conversations.lasting import lasting_button
from conversations.turn import Turn, on_update
from conversations.views import notice

FOLLOW_UP = "follow_up"


def item_title(turn: Turn, item_id: str) -> str:
    return rv.item_title(turn.content, item_id, turn.locale)


async def make_from_flow(turn: Turn) -> None:
    """On reaching a procedure's steps, its outstanding items become the user's checklist."""
    sel = flow.answers(turn.record)
    proc = flow.procedure_of(turn.content, sel)
    if proc is not None:
        await turn.tx.make_checklist(rv.checklist_key(sel["provider"], proc.id, sel["sim"]), proc.items_for(sel))


async def schedule_follow_ups(turn: Turn, settings: UserSettings) -> None:
    """At the summary, the catalogue's automatic follow-ups (e.g. check the last bill next month); their keys
    make a second visit to the summary schedule nothing new."""
    _, items = await turn.tx.checklist()
    for item in rv.open_items(items):
        days = turn.content.catalogue.items[item.item_id].follow_up_days
        if days is None:
            continue
        due = schedule.follow_up_due(turn.services.clock.now(), days, settings)
        key = f"fu:{settings.user_id}:{item.item_id}"
        await schedule_reminder(turn.tx, settings, due, kind=FOLLOW_UP, item_id=item.item_id, key=key)


async def checklist_screen(turn: Turn) -> Screen | None:
    key, items = await turn.tx.checklist()
    if key is None:
        return None
    return rv.checklist_screen(turn.content, turn.locale, key, items)


async def _send_checklist(turn: Turn, *, once: bool) -> None:
    screen = await checklist_screen(turn)
    if screen is None:
        turn.send(notice(turn.content, turn.locale, "remind_no_checklist"))
    elif not once:
        turn.send(screen)
    elif turn.once("checklist"):
        turn.send_opened(screen)


@on_update
async def checklist_command(turn: Turn) -> None:
    await _send_checklist(turn, once=False)


@lasting_button
async def checklist_button(turn: Turn) -> None:
    """The Checklist button on a step: the same message as /checklist, sent once per tap of that screen."""
    await _send_checklist(turn, once=True)


@lasting_button
async def tick(turn: Turn) -> None:
    """A box on the /checklist message: set the item as the button says, then redraw that message."""
    callback = turn.button
    setting = callback.setting()
    key, _ = await turn.tx.checklist()
    if (
        key is None
        or callback.token != rv.checklist_token(key)
        or setting is None
        or not await turn.tx.set_item(setting[0], done=setting[1])
    ):
        turn.refuse()
        return
    if setting[1]:
        turn.answer("item_ticked", item=item_title(turn, setting[0]))
    screen = await checklist_screen(turn)
    assert screen is not None
    turn.edit_tapped(screen)
