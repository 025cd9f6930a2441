"""Which locale a user sees: their explicit choice, else Telegram's language_code, else the default."""

from __future__ import annotations

from typing import Any

from telegram import User

from content.schema import LOCALES

LOCALE_KEY = "locale"


# Telegram's language_code is an IETF tag (zh-hant, zh-TW, zh-Hant-HK, ...): script first, else region.
TRADITIONAL_CHINESE = frozenset({"hant", "tw", "hk", "mo"})
SAME_CODE = frozenset({"ja", "vi", "ko"})


def locale_from_code(code: str | None, default: str) -> str:
    if not code:
        return default
    language, *subtags = code.lower().replace("_", "-").split("-")
    if language == "zh":
        if "hans" not in subtags and TRADITIONAL_CHINESE.intersection(subtags):
            return "zh-Hant"
        return "zh-Hans"
    if language in SAME_CODE:
        return language
    return "en"


def user_locale(ud: dict[str, Any], user: User | None, default: str) -> str:
    chosen = ud.get(LOCALE_KEY)
    if chosen in LOCALES:
        return str(chosen)
    return locale_from_code(user.language_code if user else None, default)
