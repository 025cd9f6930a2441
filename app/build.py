"""Build the Application: rate limiter, update processor, defaults, the chat's handlers, the reminder dispatcher, hooks. No
python-telegram-bot persistence: each update reads and writes the user's rows in its own unit of work."""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackContext, ContextTypes, Defaults, TypeHandler
from telegram.request import BaseRequest

from app.activity import ActivityNotes
from app.errors import on_error
from bot.aiohttp_request import AiohttpRequest
from bot.budget import BulkBudget, PacedBudget
from bot.clock import Clock, SystemClock
from bot.context import SERVICES_KEY, AppContext, AppType, Services
from bot.metrics import REMINDERS, MeteredApplication, MeteredRequest
from bot.ordering import PerChatProcessor
from bot.reminders import Dispatcher, dispatcher_of
from bot.screens import EDITS, SENDS
from bot.sending import ChatLimiter
from bot.settings import Settings
from bot.shared_budget import SharedBulkBudget
from bot.storage import Storage
from bot.storage.factory import storage_for
from bot.updates_request import ParsedUpdates, UpdatesRequest
from content import LOCALES, Content
from conversations.reminder_buttons import render_reminder
from conversations.wiring import COMMANDS, build_handlers

log = logging.getLogger(__name__)
BUDGET_KEY = "bulk_budget"
CONNECTIONS = 128  # open Bot API requests at most: each waits a round trip to Telegram (see the README)


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


def _bulk_budget(settings: Settings, storage: Storage, clock: Clock | None) -> BulkBudget:
    """Reminders' pace: on PostgreSQL every replica may dispatch, so they share one budget held in the
    database (BOT_MAX_SEND_RATE in all, not per replica); one SQLite process paces itself in memory."""
    if settings.uses_postgres:
        return SharedBulkBudget(storage, settings.bot_max_send_rate, clock=clock)
    return PacedBudget(settings.bot_max_send_rate)


def build_application(
    settings: Settings,
    content: Content,
    *,
    storage: Storage | None = None,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    get_updates_request: UpdatesRequest | None = None,
    budget: BulkBudget | None = None,
) -> AppType:
    """`budget` paces reminders (default: BOT_MAX_SEND_RATE in this process; a replica passes a shared one)."""
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
        # Replies: per-chat limits only (bot/sending.py); reminders also wait for the bulk budget. Requests queue
        # in the limiter's gate (interactive first), never in the HTTP client's pool.
        .rate_limiter(ChatLimiter(private_rate=settings.bot_private_chat_rate, slots=CONNECTIONS))
        # Users in parallel, each user's and each chat's updates in order (bot/ordering.py).
        .concurrent_updates(PerChatProcessor())
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    # Every Bot API failure counted by kind for /metrics; aiohttp rather than httpx (bot/aiohttp_request.py says
    # why), its pool as large as the limiter's gate, where requests queue instead (interactive first). What an
    # edit returns is not parsed, and of a sent message only its id (bot/screens.py: nothing reads the rest).
    transport = request or AiohttpRequest(connections=CONNECTIONS, unread=EDITS, id_only=SENDS)
    builder = builder.request(MeteredRequest(transport))
    # Skips updates PTB cannot parse instead of retrying them forever, and parses each update once, into the
    # application's queue (bot/updates_request.py).
    updates_request = get_updates_request or UpdatesRequest()
    queue = ParsedUpdates()
    builder = builder.get_updates_request(updates_request).update_queue(queue)
    app: Any = builder.build()
    updates_request.hand_to(app.bot, queue)
    app.bot_data[SERVICES_KEY] = Services(settings, content, storage, clock or SystemClock())
    # Ahead of the chat's handlers, and blocking: the note commits before the update's own unit (an erasure
    # then removes it too).
    app.add_handler(TypeHandler(Update, ActivityNotes()), group=-1)
    app.bot_data[BUDGET_KEY] = budget or _bulk_budget(settings, storage, clock)
    for handler in build_handlers():
        app.add_handler(handler)
    app.add_error_handler(on_error)
    typed: AppType = app
    return typed
