"""GET /healthz and GET /metrics, for the load balancer and Prometheus: routes of the webhook server, or a
small server of their own on BOT_METRICS_PORT in polling mode.

/healthz answers 200 only once the bot has started and the database answers, and 503 while it starts or
stops: a load balancer then sends updates to a replica that can handle them, and drains one being stopped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from tornado.httpserver import HTTPServer
from tornado.web import Application, RequestHandler

from bot.clock import Clock
from bot.http_server import HttpServer
from bot.metrics import REMINDERS_PENDING
from bot.storage.base import Storage

log = logging.getLogger(__name__)

PING_TIMEOUT = 2.0  # seconds: a database slower than this counts as not answering


class Health:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.state = "starting"

    def ready(self) -> None:
        self.state = "ready"

    def stopping(self) -> None:
        self.state = "stopping"

    async def check(self) -> tuple[bool, str]:
        if self.state != "ready":
            return False, self.state
        try:
            await asyncio.wait_for(self.storage.ping(), PING_TIMEOUT)
        except Exception as exc:  # whatever the driver raises, the replica is not healthy
            return False, f"database: {type(exc).__name__}"
        return True, "ok"


class _HealthHandler(RequestHandler):
    def initialize(self, health: Health) -> None:
        self._health = health

    async def get(self) -> None:
        healthy, why = await self._health.check()
        self.set_status(200 if healthy else 503)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.write(why + "\n")


class _MetricsHandler(RequestHandler):
    def initialize(self, health: Health, clock: Clock) -> None:
        self._health, self._clock = health, clock

    async def get(self) -> None:
        if self._health.state == "ready":
            try:  # the shared figure, read at scrape time; on failure the last value stays
                now = int(self._clock.now().timestamp())
                stats = await self._health.storage.stats(active_since=now, errors_since=now, top=0)
                REMINDERS_PENDING.set(stats.reminders_pending)
            except Exception as exc:
                log.warning("metrics: cannot read pending reminders: %r", exc)
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.write(generate_latest())


def operator_routes(health: Health, clock: Clock) -> list[Any]:
    return [
        (r"/healthz", _HealthHandler, {"health": health}),
        (r"/metrics", _MetricsHandler, {"health": health, "clock": clock}),
    ]


class OperatorServer(HttpServer):
    """The two routes alone (polling mode)."""

    def __init__(self, health: Health, clock: Clock) -> None:
        # No access log line per probe (tornado logs every 503 as an error): a load balancer asks every second.
        super().__init__(HTTPServer(Application(operator_routes(health, clock), log_function=lambda _: None)))
