"""/stats for the operators named in BOT_ADMIN_IDS: activity, procedures chosen, reminders, errors and the
content due for a re-check, over every replica (the figures come from the database)."""

from __future__ import annotations

from datetime import date, timedelta

from telegram import Update

from bot.context import AppContext
from bot.schedule import epoch
from content import Content
from conversations.handlers import unknown_command
from conversations.locale import user_locale

ACTIVE_DAYS = 7
ERROR_HOURS = 24
STALE_AFTER = timedelta(days=180)  # content whose checked_on is older than this is due for a re-check
TOP = 10


def stale_content(content: Content, today: date) -> list[tuple[str, date]]:
    """Providers and procedures last checked more than STALE_AFTER ago, oldest first."""
    found = [(p.id, p.checked_on) for p in content.providers.values()]
    found += [(f"{p.id}/{proc.id}", proc.checked_on) for p in content.providers.values() for proc in p.procedures]
    return sorted(((name, on) for name, on in found if on < today - STALE_AFTER), key=lambda f: (f[1], f[0]))


async def stats_command(update: Update, context: AppContext) -> None:
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    services = context.services
    if user.id not in services.settings.bot_admin_ids:
        await unknown_command(update, context)  # to everyone else, no such command
        return
    now = services.clock.now()
    stats = await services.storage.stats(
        active_since=epoch(now - timedelta(days=ACTIVE_DAYS)),
        errors_since=epoch(now - timedelta(hours=ERROR_HOURS)),
        top=TOP,
    )
    locale = user_locale(await services.storage.read_record(user.id), user, services.settings.bot_default_locale)
    text = context.content.text
    none = text("stats_none", locale)
    procedures = [
        text("stats_procedure_line", locale, rank=rank, procedure=name, count=count)
        for rank, (name, count) in enumerate(stats.top_procedures, start=1)
    ]
    stale = [
        text("stats_stale_line", locale, name=name, checked_on=on.isoformat())
        for name, on in stale_content(context.content, now.date())
    ]
    report = text(
        "stats_report",
        locale,
        active=stats.active_users,
        sent=stats.reminders_sent,
        failed=stats.reminders_failed,
        pending=stats.reminders_pending,
        errors=stats.errors,
        procedures="\n".join(procedures) or none,
        stale="\n".join(stale) or none,
    )
    await message.reply_text(report, parse_mode=None)  # plain text: names and figures, nothing to format
