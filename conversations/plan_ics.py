"""The departure plan as an iCalendar file (icalendar library): one all-day event per dated item and one for
the cancellation itself, each with the official page in its description.

UIDs depend only on the user, the checklist and the entry, never on the date: exporting again after changing
the departure gives the same UIDs with a higher SEQUENCE, so a calendar app updates its events instead of
adding a second set."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event

from content import Content
from conversations.plan_views import PlanOf

PRODID = "-//jpsim-bot//departure plan//EN"
UID_DOMAIN = "jpsim-bot"


def entry_uid(user_id: int, plan_key: str, ref: str) -> str:
    # Hashed: the file may be forwarded, and the Telegram user id is no one else's business.
    digest = hashlib.blake2s(f"{user_id}|{plan_key}|{ref}".encode(), digest_size=12).hexdigest()
    return f"{digest}@{UID_DOMAIN}"


def _official_url(content: Content, plan: PlanOf) -> str:
    provider = content.providers[plan.key.split(":", 1)[0]]
    return provider.links[plan.procedure.official_link].url


def _item_url(content: Content, item_id: str) -> str | None:
    """The item's first official or government source, when it has one."""
    item = content.catalogue.items[item_id]
    sources = content.catalogue.sources
    return next((sources[s].url for s in item.sources if sources[s].kind in ("official", "gov")), None)


def plan_calendar(content: Content, locale: str, user_id: int, plan: PlanOf, departure: date, now: datetime) -> bytes:
    """The .ics file's bytes."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", content.text("ics_name", locale))
    official = _official_url(content, plan)
    # Minutes since the epoch: rises with every export, as SEQUENCE must for an update to win.
    sequence = int(now.timestamp()) // 60
    for entry in plan.entries(content, departure):
        if entry.kind == "departure":
            continue
        event = Event()
        if entry.kind == "cancel":
            summary = plan.procedure.title[locale]
            lines = [plan.procedure.summary[locale]]
        else:
            item = content.catalogue.items[entry.ref]
            summary = item.title[locale]
            lines = [item.detail[locale]]
            extra = _item_url(content, entry.ref)
            if extra and extra != official:
                lines.append(extra)
        lines.append(official)
        event.add("uid", entry_uid(user_id, plan.key, entry.ref))
        event.add("summary", summary)
        event.add("description", "\n\n".join(lines))
        event.add("url", official)
        event.add("dtstart", entry.day)
        event.add("dtend", entry.day + timedelta(days=1))
        event.add("dtstamp", now)
        event.add("sequence", sequence)
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return bytes(cal.to_ical())
