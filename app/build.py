"""Build the Application: rate limiter, update processor, defaults, the chat's handlers, the reminder dispatcher, hooks. No
python-telegram-bot persistence: each update reads and writes the user's rows in its own unit of work."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackContext, ContextTypes, Defaults
from telegram.request import BaseRequest

from app.errors import on_error
from bot.budget import BulkBudget, PacedBudget
from bot.clock import Clock, SystemClock
from bot.context import SERVICES_KEY, AppContext, AppType, Services
from bot.ordering import PerChatProcessor
from bot.reminders import Dispatcher, dispatcher_of
from bot.sending import ChatLimiter
from bot.settings import Settings
from bot.storage import SqliteStorage, Storage
from bot.updates_request import UpdatesRequest
from content import LOCALES, Content
from conversations.reminder_buttons import render_reminder
from conversations.wiring import COMMANDS, build_handlers

log = logging.getLogger(__name__)
BUDGET_KEY = "bulk_budget"
CONNECTIONS = 16  # open Bot API requests at most (profiled: more only adds pool bookkeeping)

# Telegram picks the command list by the user's client language code.
LANGUAGE_CODES = {"zh-Hans": "zh", "en": "en", "ja": "ja"}


async def _publish_commands(app: AppType) -> None:
    content: Content = app.bot_data[SERVICES_KEY].content
    default: str = app.bot_data[SERVICES_KEY].settings.bot_default_locale
    scope = BotCommandScopeAllPrivateChats()
    for locale in LOCALES:
        commands = [BotCommand(c, content.text(f"cmd_{c}", locale)) for c in COMMANDS]
        await app.bot.set_my_commands(commands, scope=scope, language_code=LANGUAGE_CODES[locale])
        if locale == default:
            await app.bot.set_my_commands(commands, scope=scope)


async def dispatch_reminders(context: CallbackContext[Any, Any, Any, Any]) -> None:
    report = await dispatcher_of(context.application).run()
    if report.claimed:
        log.info("reminders: %s", report)


async def _post_init(app: AppType) -> None:
    services: Services = app.bot_data[SERVICES_KEY]
    await services.storage.open()
    await _publish_commands(app)
    budget: BulkBudget = app.bot_data[BUDGET_KEY]
    app.bot_data["dispatcher"] = Dispatcher(services, app.bot, render_reminder, budget)
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
    budget: BulkBudget | None = None,
) -> AppType:
    """`budget` paces reminders (default: BOT_MAX_SEND_RATE in this process; a replica passes a shared one)."""
    if settings.token is None:
        raise ValueError("a bot token is needed to build the application")
    storage = storage or SqliteStorage(settings.bot_db_path)
    builder = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        .context_types(ContextTypes(context=AppContext))
        # Replies: per-chat limits only (bot/sending.py); reminders also wait for the bulk budget. Requests queue
        # in the limiter's gate (interactive first), never in httpx's pool: the pool scans every connection it
        # holds on each request, so PTB's default of 256 connections cost more CPU than the requests themselves.
        .rate_limiter(ChatLimiter(slots=CONNECTIONS))
        # Users in parallel, each user's and each chat's updates in order (bot/ordering.py).
        .concurrent_updates(PerChatProcessor())
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    builder = builder.request(request) if request is not None else builder.connection_pool_size(CONNECTIONS)
    # Skips updates PTB cannot parse instead of retrying them forever (bot/updates_request.py).
    builder = builder.get_updates_request(get_updates_request or UpdatesRequest())
    app: Any = builder.build()
    app.bot_data[SERVICES_KEY] = Services(settings, content, storage, clock or SystemClock())
    app.bot_data[BUDGET_KEY] = budget or PacedBudget(settings.bot_max_send_rate)
    for handler in build_handlers():
        app.add_handler(handler)
    app.add_error_handler(on_error)
    typed: AppType = app
    return typed
