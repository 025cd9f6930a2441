"""Run the bot for real: long polling, or webhook mode when BOT_WEBHOOK_URL is set.

Both stop cleanly on SIGINT and SIGTERM (python-telegram-bot's stop_signals): polling stops, in-flight
updates finish (each has committed its unit of work), and post_shutdown closes the database.
"""

from __future__ import annotations

import signal
from urllib.parse import urlsplit

from telegram import Update

from bot.context import Builder
from bot.settings import Settings
from content import Content

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run(settings: Settings, content: Content, build: Builder) -> None:
    app = build(settings, content)
    if settings.bot_webhook_url:
        app.run_webhook(
            listen=settings.bot_webhook_listen,
            port=settings.bot_webhook_port,
            url_path=urlsplit(settings.bot_webhook_url).path.lstrip("/"),
            webhook_url=settings.bot_webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
            stop_signals=STOP_SIGNALS,
        )
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=STOP_SIGNALS)
