"""Configuration from the environment and an optional `.env` file (pydantic-settings)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from content.schema import Locale
from content.site.settings import SiteSettings

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
SQLITE_SCHEME = "sqlite:///"
DATABASE_SCHEMES = (SQLITE_SCHEME, "postgresql://", "postgres://")


def _split_ids(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value


class Settings(SiteSettings):  # BOT_USERNAME and BOT_WEB_BASE_URL come from SiteSettings
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # SecretStr keeps the token out of repr(), logs and validation errors.
    telegram_bot_token: SecretStr | None = None
    # python-telegram-bot's base_url: the Bot API root up to and including "/bot".
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    # The database: sqlite:///relative/path, sqlite:////absolute/path or postgresql://user:pw@host:5432/db.
    # Unset: the embedded SQLite file at BOT_DB_PATH (kept so existing deployments need no change).
    # SecretStr: the URL may carry the database password.
    bot_database_url: SecretStr | None = None
    bot_db_path: Path = Path("data/jpsim-bot.sqlite3")
    bot_timezone: str = "Asia/Tokyo"
    bot_default_locale: Locale = "zh-Hans"
    bot_reminder_interval: float = Field(default=30.0, gt=0)  # seconds between dispatcher runs
    bot_max_send_rate: float = Field(default=25.0, gt=0)  # messages per second, under Telegram's 30/s
    # Messages a second to one private chat, after a short burst (Telegram's FAQ asks for about 1); 0: not paced.
    bot_private_chat_rate: float = Field(default=1.0, ge=0)
    # Webhook mode (production behind a reverse proxy): set the public URL and a secret token.
    bot_webhook_url: str | None = None
    bot_webhook_listen: str = "127.0.0.1"
    bot_webhook_port: int = Field(default=8443, ge=1, le=65535)
    bot_webhook_secret: SecretStr | None = None
    # GET /healthz and /metrics: on the webhook server in webhook mode; in polling mode on this port (at
    # BOT_WEBHOOK_LISTEN's address) when set.
    bot_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # Read by nothing yet: the /stats command of the next issue (13) is for these users only.
    bot_admin_ids: Annotated[list[int], NoDecode, BeforeValidator(_split_ids)] = Field(default_factory=list)

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_webhook_url", "bot_webhook_secret", "bot_database_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_webhook_url")
    @classmethod
    def _https_webhook(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be the public http(s) URL Telegram posts updates to")
        return value

    @field_validator("bot_webhook_secret")
    @classmethod
    def _secret_chars(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("1-256 characters of letters, digits, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.bot_webhook_url and self.bot_webhook_secret is None:
            raise ValueError("BOT_WEBHOOK_SECRET is required with BOT_WEBHOOK_URL")
        return self

    @field_validator("bot_database_url")
    @classmethod
    def _known_database(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(DATABASE_SCHEMES):
            raise ValueError("must start with sqlite:/// or postgresql:// (see the README's Configuration)")
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _base_url_ends_with_bot(cls, value: str) -> str:
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")) or not value.endswith("/bot"):
            raise ValueError("must be the Bot API root up to and including /bot, e.g. http://127.0.0.1:8081/bot")
        return value

    @field_validator("bot_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Tokyo)") from exc
        return value

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None

    @property
    def database_url(self) -> str:
        if self.bot_database_url is not None:
            return self.bot_database_url.get_secret_value()
        return f"{SQLITE_SCHEME}{self.bot_db_path}"

    @property
    def uses_postgres(self) -> bool:
        return not self.database_url.startswith(SQLITE_SCHEME)

    @property
    def webhook_secret(self) -> str | None:
        return self.bot_webhook_secret.get_secret_value() if self.bot_webhook_secret else None

    @property
    def file_base_url(self) -> str:
        """The matching file URL root (…/file/bot), as PTB expects it next to base_url."""
        return self.telegram_api_base_url.removesuffix("/bot") + "/file/bot"
