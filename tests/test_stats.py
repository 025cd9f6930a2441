"""/stats: for the ids in BOT_ADMIN_IDS only, with figures from the database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.clock import ManualClock
from bot.standin import SimUser, StandIn
from conversations.stats import stale_content
from tests.harness import Chat, running_bot, shared_content
from tests.test_reminders import walk_to_steps

ADMIN = 9001
# A year after the content's checks: every provider and procedure is due for a re-check.
LATER = datetime(2027, 12, 1, 3, 0, tzinfo=UTC)


def ui(key: str, **values: object) -> str:
    return shared_content().text(key, "en", **values)


async def test_stats_for_admins_only(standin: StandIn, db: Path) -> None:
    async with running_bot(standin, db, clock=ManualClock(LATER), bot_admin_ids=[ADMIN]) as app:
        for user in (9101, 9102):
            await walk_to_steps(Chat(standin, app, SimUser(user)))
        storage = app.bot_data["services"].storage
        procedure, _ = await storage.read_checklist(9101)
        assert procedure is not None
        outsider = Chat(standin, app, SimUser(9103))
        await outsider.send("/stats")
        assert outsider.last["text"] == ui("unknown_command")
        admin = Chat(standin, app, SimUser(ADMIN))
        await admin.send("/stats")
        report = str(admin.last["text"])
    assert ui("stats_procedure_line", rank=1, procedure=procedure, count=2) in report
    assert "Users active in the last 7 days: 4" in report  # two walkers, the outsider and the admin
    assert "Errors in the last 24 hours: 0" in report
    stale = stale_content(shared_content(), LATER.date())
    assert stale  # a year on, everything is due
    assert ui("stats_stale_line", name=stale[0][0], checked_on=stale[0][1].isoformat()) in report
    assert stale_content(shared_content(), min(on for _, on in stale)) == []
