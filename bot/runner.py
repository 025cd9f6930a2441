"""Run the bot for real: long polling, or webhook mode when BOT_WEBHOOK_URL is set.

Both stop cleanly on SIGINT and SIGTERM: polling or the webhook server stops, in-flight updates finish (each
has committed its unit of work), and post_shutdown closes the database. A fatal condition (the token rejected,
the webhook refused, the database unusable, the Bot API unreachable at start) is logged as one line and ends the process with its exit code (bot/exitcodes.py), so a supervisor restarts it or stops trying.
In both modes updates pass through the durable inbox (bot/inbox.py); what a killed process left there is
handled first at the next start.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from urllib.parse import urlsplit

import uvloop
from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError

from bot.context import SERVICES_KEY, AppContext, AppType, Builder, Services
from bot.exitcodes import ExitCode, FatalError
from bot.inbox import Inbox
from bot.operators import Health, OperatorServer, operator_routes
from bot.settings import Settings
from bot.updates_request import UpdatesRequest
from bot.webhook import WebhookServer
from content import Content

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
POLL_TIMEOUT = 10  # seconds a getUpdates long poll waits (python-telegram-bot's run_polling default)
TOKEN_REJECTED = "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): copy the token from @BotFather again"


class Stopper:
    """Set once, by a stop signal or a fatal condition; the first reason wins and decides the exit code."""

    def __init__(self) -> None:
        self.code = ExitCode.OK
        self._event = asyncio.Event()

    def stop(self, code: ExitCode = ExitCode.OK, message: str | None = None) -> None:
        if self._event.is_set():
            return
        if message:
            log.critical("%s", message)
        self.code = code
        self._event.set()

    def token_rejected(self) -> None:
        self.stop(ExitCode.TOKEN_REJECTED, TOKEN_REJECTED)

    async def wait(self) -> None:
        await self._event.wait()


def _one_line(error: BaseException, limit: int = 300) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit] + "…"


def startup_failure(error: Exception, settings: Settings) -> FatalError | None:
    """What a failure while starting means for the operator, or None for a bug (a traceback is wanted)."""
    if isinstance(error, FatalError):
        return error
    if isinstance(error, InvalidToken):
        return FatalError(ExitCode.TOKEN_REJECTED, TOKEN_REJECTED)
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        return FatalError(
            ExitCode.UNAVAILABLE,
            f"cannot reach the Bot API at {settings.telegram_api_base_url} ({_one_line(error)}): "
            "check the network and TELEGRAM_API_BASE_URL; restarting later may help",
        )
    return None


async def _webhook(app: AppType, settings: Settings, stopper: Stopper, health: Health, inbox: Inbox) -> None:
    url = settings.bot_webhook_url
    secret = settings.webhook_secret
    assert url is not None  # webhook mode
    assert secret is not None  # Settings requires the secret with the URL
    clock = _services(app).clock
    routes = operator_routes(health, clock)
    server = WebhookServer(app.bot, urlsplit(url).path, secret, inbox.deliver_to(app), routes=routes)
    server.listen(settings.bot_webhook_listen, settings.bot_webhook_port)
    try:
        try:
            await app.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
        except BadRequest as exc:
            raise FatalError(
                ExitCode.PROTOCOL,
                f"Telegram refused the webhook {url} ({_one_line(exc)}): BOT_WEBHOOK_URL must be a public "
                "https URL on port 443, 80, 88 or 8443",
            ) from None
        await app.start()
        await _ready_until_stopped(health, stopper)
    finally:
        await server.stop()


POLLING_IS_SINGLE = (
    "polling is single-process (Telegram serves getUpdates to one client per bot): to run several replicas on "
    "this PostgreSQL database, use webhook mode (BOT_WEBHOOK_URL)"
)


async def _polling(app: AppType, settings: Settings, stopper: Stopper, health: Health) -> None:
    if settings.uses_postgres:
        log.warning("%s", POLLING_IS_SINGLE)
    assert app.updater is not None
    await app.updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=Update.ALL_TYPES)
    await app.start()
    await _ready_until_stopped(health, stopper)


async def _ready_until_stopped(health: Health, stopper: Stopper) -> None:
    health.ready()
    await stopper.wait()
    health.stopping()  # /healthz says 503 from here on: the load balancer stops sending updates


def _services(app: AppType) -> Services:
    services: Services = app.bot_data[SERVICES_KEY]
    return services


async def serve(settings: Settings, content: Content, build: Builder) -> ExitCode:
    stopper = Stopper()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stopper.stop)
    updates_request = UpdatesRequest(stopper.token_rejected)
    app = build(settings, content, get_updates_request=updates_request)
    services: Services = app.bot_data[SERVICES_KEY]
    inbox = Inbox(services.storage, services.clock)
    updates_request.keep = inbox.receive
    inbox.attach(app)

    async def token_rejected_while_running(update: object, context: AppContext) -> None:
        # Sends fail with InvalidToken once the token is revoked (the only sign of it in webhook mode).
        if isinstance(context.error, InvalidToken):
            stopper.token_rejected()

    app.add_error_handler(token_rejected_while_running)
    health = Health(services.storage)
    metrics_server = None
    if settings.bot_metrics_port is not None and not settings.bot_webhook_url:
        # Polling has no HTTP server of its own: /healthz and /metrics get one, answering 503 until started.
        metrics_server = OperatorServer(health, services.clock)
        metrics_server.listen(settings.bot_webhook_listen, settings.bot_metrics_port)
    try:
        async with app:  # initialize: getMe, and the storage opens
            try:
                if app.post_init is not None:
                    await app.post_init(app)
                # What start-up built (content, handlers, libraries: ~100k objects) lives as long as the process:
                # frozen, full garbage collections under load stop walking it (measured: 60-100 ms each before).
                gc.freeze()
                await inbox.replay(app)  # queued first: left from before, so older than anything fetched now
                if settings.bot_webhook_url:
                    await _webhook(app, settings, stopper, health, inbox)
                else:
                    await _polling(app, settings, stopper, health)
            finally:
                if app.updater is not None and app.updater.running:
                    await app.updater.stop()
                if app.running:
                    await app.stop()
    except (FatalError, TelegramError) as exc:
        failure = startup_failure(exc, settings)
        if failure is None:
            raise
        stopper.stop(failure.code, failure.message)
    finally:
        health.stopping()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        if metrics_server is not None:
            await metrics_server.stop()
    return stopper.code


def run(settings: Settings, content: Content, build: Builder) -> ExitCode:
    # uvloop: the standard loop's own work (selecting, scheduling callbacks, socket I/O) was about a fifth of the
    # bot's samples under load; with uvloop, bench throughput went from 150 to 174 updates/s.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(serve(settings, content, build))
