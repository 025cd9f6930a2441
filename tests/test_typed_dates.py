"""Typed dates and times in every locale, read on the injectable clock in the user's time zone.

The clock stands at Tuesday 2026-12-01 10:00 in Tokyo. Each row: the text, what it must give (a day, a day
and a time, or the reason it is refused)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.typed_dates import Refusal, Typed, parse
from content import LOCALES

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
TZ = "Asia/Tokyo"
D = date
Expected = Typed | Refusal


def day(y: int, m: int, d: int, hh: int | None = None, mm: int = 0) -> Typed:
    return Typed(D(y, m, d), None if hh is None else time(hh, mm))


UNREADABLE, PAST, TOO_FAR = Refusal.UNREADABLE, Refusal.PAST, Refusal.TOO_FAR

TABLE: dict[str, list[tuple[str, Expected]]] = {
    "zh-Hans": [
        ("3月15日", day(2027, 3, 15)),  # no year and already past this year: next March
        ("明天上午9点", day(2026, 12, 2, 9)),
        ("后天下午3点", day(2026, 12, 3, 15)),
        ("下周五", day(2026, 12, 11)),
        ("今晚8点", day(2026, 12, 1, 20)),
        ("下午两点", day(2026, 12, 1, 14)),
        ("一小时后", day(2026, 12, 1, 11)),
        ("三天后", day(2026, 12, 4)),
        ("下个月1号", day(2027, 1, 1)),
        ("2027-03-15", day(2027, 3, 15)),
        ("15/3", day(2027, 3, 15)),  # day first
        ("明年3月15日", day(2027, 3, 15)),
        ("12月24日", day(2026, 12, 24)),
        ("昨天", PAST),
        ("2028年3月1日", TOO_FAR),
        ("你好", UNREADABLE),
        ("", UNREADABLE),
    ],
    "zh-Hant": [
        ("後天下午3點", day(2026, 12, 3, 15)),
        ("下週五", day(2026, 12, 11)),
        ("3月15號", day(2027, 3, 15)),
        ("明天上午9點", day(2026, 12, 2, 9)),
        ("明天", day(2026, 12, 2)),
        ("三天後", day(2026, 12, 4)),
        ("今晚8點", day(2026, 12, 1, 20)),
        ("下午兩點", day(2026, 12, 1, 14)),
        ("一小時後", day(2026, 12, 1, 11)),
        ("下個月1號", day(2027, 1, 1)),
        ("12月24日上午10點", day(2026, 12, 24, 10)),
        ("2027-03-15", day(2027, 3, 15)),
        ("15/3", day(2027, 3, 15)),
        ("昨天", PAST),
        ("2028年3月1日", TOO_FAR),
        ("謝謝", UNREADABLE),
        ("", UNREADABLE),
    ],
    "en": [
        ("tomorrow", day(2026, 12, 2)),
        ("tomorrow 8pm", day(2026, 12, 2, 20)),
        ("in 3 days", day(2026, 12, 4)),
        ("next Friday", day(2026, 12, 4)),
        ("March 15", day(2027, 3, 15)),
        ("15 March 2027", day(2027, 3, 15)),
        ("2027-03-15", day(2027, 3, 15)),
        ("15/3", day(2027, 3, 15)),
        ("15/03/2027", day(2027, 3, 15)),
        ("Dec 24 10:00", day(2026, 12, 24, 10)),
        ("in 2 hours", day(2026, 12, 1, 12)),
        ("yesterday", PAST),
        ("1 January 2026", PAST),
        ("2029-01-01", TOO_FAR),
        ("banana", UNREADABLE),
        ("31/2", UNREADABLE),
    ],
    "ja": [
        ("3月15日", day(2027, 3, 15)),
        ("3月15日 10時", day(2027, 3, 15, 10)),
        ("12月24日 10:00", day(2026, 12, 24, 10)),
        ("2027年3月15日", day(2027, 3, 15)),
        ("明日", day(2026, 12, 2)),
        ("明日 9時", day(2026, 12, 2, 9)),
        ("明後日", day(2026, 12, 3)),
        ("3日後", day(2026, 12, 4)),
        ("午後3時", day(2026, 12, 1, 15)),
        ("1時間後", day(2026, 12, 1, 11)),
        ("2027-03-15", day(2027, 3, 15)),
        ("15/3", day(2027, 3, 15)),
        ("昨日", PAST),
        ("2029年1月1日", TOO_FAR),
        ("2月30日", UNREADABLE),
        ("こんにちは", UNREADABLE),
    ],
    "vi": [
        ("ngày mai", day(2026, 12, 2)),
        ("15/3", day(2027, 3, 15)),
        ("15 tháng 3", day(2027, 3, 15)),
        ("ngày 15 tháng 3", day(2027, 3, 15)),
        ("2027-03-15", day(2027, 3, 15)),
        ("15/03/2027", day(2027, 3, 15)),
        ("15 tháng 3 năm 2027", day(2027, 3, 15)),
        ("24/12", day(2026, 12, 24)),
        ("24/12 10:00", day(2026, 12, 24, 10)),
        ("ngày mai 9:00", day(2026, 12, 2, 9)),
        ("thứ sáu", day(2026, 12, 4)),
        ("hôm qua", PAST),
        ("1/1/2026", PAST),
        ("2029-01-01", TOO_FAR),
        ("xin chào", UNREADABLE),
        ("31/2", UNREADABLE),
    ],
    "ko": [
        ("내일", day(2026, 12, 2)),
        ("3월 15일", day(2027, 3, 15)),
        ("3일 후", day(2026, 12, 4)),
        ("2027-03-15", day(2027, 3, 15)),
        ("15/3", day(2027, 3, 15)),
        ("15/03/2027", day(2027, 3, 15)),
        ("2027년 3월 15일", day(2027, 3, 15)),
        ("12월 24일", day(2026, 12, 24)),
        ("12월 24일 10:00", day(2026, 12, 24, 10)),
        ("내일 9:00", day(2026, 12, 2, 9)),
        ("2시간 후", day(2026, 12, 1, 12)),
        ("금요일", day(2026, 12, 4)),
        ("어제", PAST),
        ("2029-01-01", TOO_FAR),
        ("안녕하세요", UNREADABLE),
        ("31/2", UNREADABLE),
    ],
}
ROWS = [(loc, text, want) for loc, rows in TABLE.items() for text, want in rows]


@pytest.mark.parametrize(("locale", "text", "want"), ROWS, ids=[f"{loc}:{text}" for loc, text, _ in ROWS])
def test_typed_date(locale: str, text: str, want: Expected) -> None:
    assert parse(text, locale, NOW, TZ) == want


def test_every_locale_has_at_least_15_rows_with_refusals() -> None:
    assert set(TABLE) == set(LOCALES)
    for locale in LOCALES:
        assert len(TABLE[locale]) >= 15
        assert {w for _, w in TABLE[locale] if isinstance(w, Refusal)} == set(Refusal)


def test_the_users_time_zone_decides_today() -> None:
    late = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 01:00 on 2 Dec in Tokyo, still 1 Dec in London
    assert parse("tomorrow", "en", late, "Asia/Tokyo") == day(2026, 12, 3)
    assert parse("tomorrow", "en", late, "Europe/London") == day(2026, 12, 2)


def test_a_time_names_an_instant_in_the_users_zone() -> None:
    typed = parse("明天上午9点", "zh-Hans", NOW, "Asia/Shanghai")
    assert isinstance(typed, Typed)
    assert typed.moment("Asia/Shanghai", time(9)) == datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
