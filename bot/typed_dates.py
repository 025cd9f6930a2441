"""Dates and times the user types ("3月15日", "next Friday", "明天上午9点", "15/3"), read in their time zone
against the one clock.

Two parsers, each where it is strong (measured on 14 Chinese and a dozen Japanese phrasings): jionlp reads
Chinese (dateparser 1.5 returns None for 9 of 14 everyday phrasings such as 明天上午9点 or 下周五); dateparser
reads English, Japanese relative forms (明日 9時, 3日後, 1時間後), Vietnamese, Korean, ISO dates and "15/3"
(day first). dateparser misreads a Japanese "12月24日" as the year 2112, so an absolute 月日 is rewritten as
an ISO date first, in the coming twelve months. Everything else is refused with a reason the bot can name.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

MAX_LENGTH = 40  # longer text is not a date: leave it to the flow (a provider name, a question)
MONTH_DAY_RE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]?")
YEAR_RE = re.compile(r"\d{4}|年")
PARSER_LANGUAGES = {"en": "en", "ja": "ja", "vi": "vi", "ko": "ko", "zh-Hans": "zh", "zh-Hant": "zh"}


class Refusal(StrEnum):
    UNREADABLE = "unreadable"
    PAST = "past"
    TOO_FAR = "too_far"


@dataclass(frozen=True)
class Typed:
    day: date  # in the user's time zone
    at: time | None  # None: the text named a day only

    def moment(self, tz: str, default: time) -> datetime:
        """The instant meant, in UTC (`default` when only a day was typed)."""
        return datetime.combine(self.day, self.at or default, tzinfo=ZoneInfo(tz)).astimezone(UTC)


@functools.cache
def _jionlp() -> Any:
    # jionlp prints a banner on import; the bot's stdout is the demo's conversation.
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp

    return jionlp


def _roll_forward(month: int, day: int, today: date) -> date:
    """An absolute day without a year: the next one that is not in the past."""
    for year in (today.year, today.year + 1):
        candidate = date(year, month, day)
        if candidate >= today:
            return candidate
    raise ValueError("unreachable: next year's date is never in the past")


def _month_day_as_iso(text: str, today: date) -> str:
    """ "3月15日 10時" -> "2027-03-15 10時": dateparser reads the 月日 form as a year otherwise."""

    def iso(match: re.Match[str]) -> str:
        year, month, day = match.group(1), int(match.group(2)), int(match.group(3))
        picked = date(int(year), month, day) if year else _roll_forward(month, day, today)
        return f"{picked.isoformat()} "

    return MONTH_DAY_RE.sub(iso, text).strip()


def _chinese(text: str, locale: str, local_now: datetime) -> Typed | None:
    jio = _jionlp()
    simplified = jio.tra2sim(text) if locale == "zh-Hant" else text
    base = {k: getattr(local_now, k) for k in ("year", "month", "day", "hour", "minute", "second")}
    try:
        found = jio.parse_time(simplified, time_base=base)
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    if found.get("type") != "time_point":
        return None
    start, end = (datetime.strptime(t, "%Y-%m-%d %H:%M:%S") for t in found["time"][:2])
    whole_day = end - start >= timedelta(hours=23)
    day = start.date()
    if day < local_now.date() and MONTH_DAY_RE.search(text) and not YEAR_RE.search(text):
        day = _roll_forward(day.month, day.day, local_now.date())  # jionlp reads 3月15日 as this year's
    return Typed(day, None if whole_day else start.time())


def _dateparser(text: str, locale: str, local_now: datetime) -> Typed | None:
    from dateparser.date import DateDataParser

    settings = {
        "RELATIVE_BASE": local_now.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": "DMY",
        "RETURN_TIME_AS_PERIOD": True,
    }
    languages = list(dict.fromkeys([PARSER_LANGUAGES.get(locale, "en"), "en"]))
    data = DateDataParser(languages=languages, settings=settings).get_date_data(text)
    if data.date_obj is None:
        return None
    return Typed(data.date_obj.date(), data.date_obj.time() if data.period == "time" else None)


def read(text: str, locale: str, now: datetime, tz: str) -> Typed | None:
    """What the user typed as a day (and time if given) in time zone `tz`, past or future; None if unreadable."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned or len(cleaned) > MAX_LENGTH:
        return None
    local_now = now.astimezone(ZoneInfo(tz))
    try:
        typed = _chinese(cleaned, locale, local_now) if locale.startswith("zh") else None
        return typed or _dateparser(_month_day_as_iso(cleaned, local_now.date()), locale, local_now)
    except (ValueError, OverflowError):  # 2月30日, 3月32日
        return None


def parse(text: str, locale: str, now: datetime, tz: str, *, max_days: int = 366) -> Typed | Refusal:
    """`read`, refused when unreadable, in the past, or more than `max_days` ahead."""
    typed = read(text, locale, now, tz)
    if typed is None:
        return Refusal.UNREADABLE
    today = now.astimezone(ZoneInfo(tz)).date()
    if typed.day < today or (typed.at is not None and typed.moment(tz, time()) <= now):
        return Refusal.PAST
    if typed.day > today + timedelta(days=max_days):
        return Refusal.TOO_FAR
    return typed
