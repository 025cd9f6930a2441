"""Run the bot for real: long polling against Telegram (or TELEGRAM_API_BASE_URL)."""

from __future__ import annotations

from telegram import Update

from bot.app import build_application
from bot.settings import Settings
from content import Content


def run_polling(settings: Settings, content: Content) -> None:
    app = build_application(settings, content)
    app.run_polling(allowed_updates=Update.ALL_TYPES)
