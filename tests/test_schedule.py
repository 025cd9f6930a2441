"""Reminder timing: presets in the user's zone and quiet hours, DST included."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot import schedule
from bot.storage.base import UserSettings


def settings(tz: str = "Asia/Tokyo", quiet: tuple[int, int] = (22, 8), departure: date | None = None) -> UserSettings:
    return UserSettings(1, 1, "en", tz, quiet[0], quiet[1], departure)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_quiet_hours_across_midnight_move_to_their_end() -> None:
    s = settings()
    # 23:30 JST is 14:30 UTC: quiet, moved to 08:00 JST next day (23:00 UTC).
    assert schedule.after_quiet_hours(utc(2026, 12, 1, 14, 30), s) == utc(2026, 12, 1, 23, 0)
    # 03:00 JST (18:00 UTC the day before): quiet, moved to 08:00 JST the same local day.
    assert schedule.after_quiet_hours(utc(2026, 11, 30, 18, 0), s) == utc(2026, 11, 30, 23, 0)
    # 12:00 JST is not quiet.
    assert schedule.after_quiet_hours(utc(2026, 12, 1, 3, 0), s) == utc(2026, 12, 1, 3, 0)


def test_daytime_quiet_hours_and_none() -> None:
    assert schedule.in_quiet_hours(utc(2026, 12, 1, 4, 0), settings(quiet=(9, 17)))  # 13:00 JST
    assert not schedule.in_quiet_hours(utc(2026, 12, 1, 14, 0), settings(quiet=(0, 0)))


def test_quiet_end_respects_daylight_saving() -> None:
    s = settings("America/New_York", (22, 8))
    # 2026-03-08 is the US spring-forward day: 08:00 EDT is 12:00 UTC (it was 13:00 UTC the day before).
    assert schedule.after_quiet_hours(utc(2026, 3, 8, 4, 0), s) == utc(2026, 3, 8, 12, 0)


def test_presets() -> None:
    now = utc(2026, 12, 1, 3, 0)  # 12:00 JST
    s = settings(departure=date(2026, 12, 10))
    assert schedule.preset_due("3h", now, s) == utc(2026, 12, 1, 6, 0)
    assert schedule.preset_due("tm", now, s) == utc(2026, 12, 2, 0, 0)  # 09:00 JST tomorrow
    assert schedule.preset_due("3d", now, s) == utc(2026, 12, 4, 3, 0)
    assert schedule.preset_due("dep", now, s) == utc(2026, 12, 9, 0, 0)  # the day before, 09:00 JST
    assert schedule.preset_due("dep", now, settings()) is None  # no departure date given
    assert schedule.preset_due("dep", utc(2026, 12, 9, 5, 0), s) is None  # already past
