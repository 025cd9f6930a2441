"""When a reminder is due: presets in the user's time zone, and quiet hours that push it to their end.

Pure functions of a UTC instant and the user's settings; every caller gets "now" from the one clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.storage.base import UserSettings

MORNING = time(9, 0)  # "tomorrow morning", a picked date, the day before departure
FOLLOW_UP_TIME = time(10, 0)
PRESETS = ("3h", "tm", "3d", "dep")
SNOOZES = {"1h": timedelta(hours=1)}


def zone_at(moment: datetime, settings: UserSettings) -> str:
    """The user's time zone at `moment`: where they will be after the departure day once they said so, else
    their time zone (the departure day itself still counts as in Japan: they leave during it)."""
    if settings.abroad_timezone and settings.departure is not None:
        home = moment.astimezone(ZoneInfo(settings.timezone)).date()
        if home > settings.departure:
            return settings.abroad_timezone
    return settings.timezone


def zone_on(day: date, settings: UserSettings) -> str:
    """The user's time zone on a calendar day (see zone_at)."""
    if settings.abroad_timezone and settings.departure is not None and day > settings.departure:
        return settings.abroad_timezone
    return settings.timezone


def in_quiet_hours(moment: datetime, settings: UserSettings) -> bool:
    start, end = settings.quiet_start, settings.quiet_end
    if start == end:
        return False
    hour = moment.astimezone(ZoneInfo(zone_at(moment, settings))).hour
    return start <= hour < end if start < end else hour >= start or hour < end


def after_quiet_hours(moment: datetime, settings: UserSettings) -> datetime:
    """The moment itself, or the end of the quiet hours it falls in (local time, DST-aware)."""
    if not in_quiet_hours(moment, settings):
        return moment
    tz = ZoneInfo(zone_at(moment, settings))
    local = moment.astimezone(tz)
    end_day = local.date() if local.hour < settings.quiet_end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, time(settings.quiet_end), tzinfo=tz).astimezone(UTC)


def at_local(day: date, clock_time: time, settings: UserSettings) -> datetime:
    return datetime.combine(day, clock_time, tzinfo=ZoneInfo(settings.timezone)).astimezone(UTC)


def plan_due(day: date, settings: UserSettings) -> datetime:
    """A plan reminder: the morning of its day, in the zone the user is in that day."""
    return datetime.combine(day, MORNING, tzinfo=ZoneInfo(zone_on(day, settings))).astimezone(UTC)


def local_today(now: datetime, settings: UserSettings) -> date:
    return now.astimezone(ZoneInfo(settings.timezone)).date()


def preset_due(preset: str, now: datetime, settings: UserSettings) -> datetime | None:
    """The due moment of a preset before quiet hours apply; None when it does not apply (no departure)."""
    today = local_today(now, settings)
    if preset == "3h":
        return now + timedelta(hours=3)
    if preset == "tm":
        return at_local(today + timedelta(days=1), MORNING, settings)
    if preset == "3d":
        return now + timedelta(days=3)
    if preset == "dep":
        if settings.departure is None:
            return None
        due = at_local(settings.departure - timedelta(days=1), MORNING, settings)
        return due if due > now else None
    raise ValueError(f"unknown preset {preset!r}")


def follow_up_due(now: datetime, days: int, settings: UserSettings) -> datetime:
    return at_local(local_today(now, settings) + timedelta(days=days), FOLLOW_UP_TIME, settings)


def format_local(moment: datetime, settings: UserSettings) -> str:
    return moment.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M")


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
