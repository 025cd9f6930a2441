"""What the static site and the bot's share links need to know about each other; `bot.settings.Settings`
extends this, so `BOT_USERNAME` and `BOT_WEB_BASE_URL` are read and checked in one place."""

from __future__ import annotations

import re
from typing import Any

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Telegram usernames: 5-32 characters of letters, digits and _, starting with a letter.
USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")


class SiteSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # The bot's @username without the @: the site's "Open in Telegram" links need it (the bot asks getMe).
    bot_username: str = "jpsim_bot"
    # Where the generated site is published, e.g. https://jpsim.example.org; None: no web links in the bot.
    bot_web_base_url: str | None = None

    @field_validator("bot_username", mode="before")
    @classmethod
    def _username_without_at(cls, value: Any) -> Any:
        return value.strip().removeprefix("@") if isinstance(value, str) else value

    @field_validator("bot_username")
    @classmethod
    def _telegram_username(cls, value: str) -> str:
        if not USERNAME_RE.match(value):
            raise ValueError("a Telegram username: 5-32 letters, digits or _, starting with a letter")
        return value

    # Validator names are unique across this class and bot.settings.Settings: a subclass's same name replaces one.
    @field_validator("bot_web_base_url", mode="before")
    @classmethod
    def _blank_web_base_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_web_base_url")
    @classmethod
    def _web_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", value):
            raise ValueError("must be the http(s) address the site is published at, e.g. https://jpsim.example.org")
        return value.rstrip("/")
