"""Which locale a user sees: their explicit choice, else Telegram's language_code, else the default."""

from __future__ import annotations

from typing import Any

from telegram import User

from content.schema import LOCALES

LOCALE_KEY = "locale"


def locale_from_code(code: str | None, default: str) -> str:
    if not code:
        return default
    code = code.lower()
    if code.startswith("zh"):
        return "zh-Hans"  # also zh-Hant until a Traditional Chinese locale exists
    if code.startswith("ja"):
        return "ja"
    return "en"


def user_locale(ud: dict[str, Any], user: User | None, default: str) -> str:
    chosen = ud.get(LOCALE_KEY)
    if chosen in LOCALES:
        return str(chosen)
    return locale_from_code(user.language_code if user else None, default)
