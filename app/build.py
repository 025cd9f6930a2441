"""Build the Application: rate limiter, defaults, the chat's handlers, the reminder dispatcher, hooks. No
python-telegram-bot persistence: each update reads and writes the user's rows in its own unit of work."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, CallbackContext, ContextTypes, Defaults, TypeHandler
from telegram.request import BaseRequest, HTTPXRequest

from app.activity import ActivityNotes
from app.errors import on_error
from bot.clock import Clock, SystemClock
from bot.context import SERVICES_KEY, AppContext, AppType, Services
from bot.metrics import REMINDERS, MeteredApplication, MeteredRequest
from bot.reminders import Dispatcher, dispatcher_of
from bot.settings import Settings
from bot.storage import Storage
from bot.storage.factory import storage_for
from bot.updates_request import UpdatesRequest
from content import LOCALES, Content
from conversations.reminder_buttons import render_reminder
from conversations.wiring import COMMANDS, build_handlers

log = logging.getLogger(__name__)


def command_language_codes(default_locale: str) -> dict[str, str]:
    """Locale -> the language code Telegram picks its command list by.

    setMyCommands takes a two-letter ISO 639-1 code, so both Chinese scripts would be "zh": it carries
    Simplified Chinese (most of the bot's users) unless the bot's default locale is Traditional Chinese.
    """
    chinese = "zh-Hant" if default_locale == "zh-Hant" else "zh-Hans"
    return {locale: locale[:2] for locale in LOCALES if not locale.startswith("zh") or locale == chinese}


async def _publish_commands(app: AppType) -> None:
    content: Content = app.bot_data[SERVICES_KEY].content
    default: str = app.bot_data[SERVICES_KEY].settings.bot_default_locale
    scope = BotCommandScopeAllPrivateChats()
    codes = command_language_codes(default)
    for locale in LOCALES:
        commands = [BotCommand(c, content.text(f"cmd_{c}", locale)) for c in COMMANDS]
        if locale in codes:
            await app.bot.set_my_commands(commands, scope=scope, language_code=codes[locale])
        if locale == default:
            await app.bot.set_my_commands(commands, scope=scope)


async def dispatch_reminders(context: CallbackContext[Any, Any, Any, Any]) -> None:
    report = await dispatcher_of(context.application).run()
    REMINDERS.labels("sent").inc(report.sent)
    REMINDERS.labels("failed").inc(report.failed)
    if report.claimed:
        log.info("reminders: %s", report)


async def _post_init(app: AppType) -> None:
    services: Services = app.bot_data[SERVICES_KEY]
    await services.storage.open()
    await _publish_commands(app)
    app.bot_data["dispatcher"] = Dispatcher(services, app.bot, render_reminder)
    if app.job_queue is not None:
        # first=0: catch up on reminders that fell due while the bot was down, right at start.
        app.job_queue.run_repeating(
            dispatch_reminders, interval=services.settings.bot_reminder_interval, first=0, name="reminders"
        )


async def _post_shutdown(app: AppType) -> None:
    services: Services = app.bot_data[SERVICES_KEY]
    await services.storage.close()


def build_application(
    settings: Settings,
    content: Content,
    *,
    storage: Storage | None = None,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> AppType:
    if settings.token is None:
        raise ValueError("a bot token is needed to build the application")
    storage = storage or storage_for(settings.database_url)
    builder = (
        Application.builder()
        .application_class(MeteredApplication)  # /metrics: updates by kind, handler latency
        .token(settings.token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        .context_types(ContextTypes(context=AppContext))
        .rate_limiter(
            # One request per 1/rate seconds, not `rate` per second: a bucket of `rate` would allow a burst of
            # twice the limit in the first second.
            AIORateLimiter(overall_max_rate=1, overall_time_period=1 / settings.bot_max_send_rate, max_retries=3)
        )
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    # Every Bot API failure counted by kind for /metrics (PTB's own default: a pool of 256 connections).
    builder = builder.request(MeteredRequest(request or HTTPXRequest(connection_pool_size=256)))
    # Skips updates PTB cannot parse instead of retrying them forever (bot/updates_request.py).
    builder = builder.get_updates_request(get_updates_request or UpdatesRequest())
    app: Any = builder.build()
    app.bot_data[SERVICES_KEY] = Services(settings, content, storage, clock or SystemClock())
    # Ahead of the chat's handlers, and blocking: the note commits before the update's own unit (an erasure
    # then removes it too).
    app.add_handler(TypeHandler(Update, ActivityNotes()), group=-1)
    for handler in build_handlers():
        app.add_handler(handler)
    app.add_error_handler(on_error)
    typed: AppType = app
    return typed
