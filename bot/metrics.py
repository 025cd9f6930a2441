"""Prometheus metrics (prometheus-client, its default registry), served at GET /metrics (bot/operators.py).

Each replica exports its own counters; Prometheus sums them across replicas. The pending-reminder gauge is
read from the database, so every replica reports the same, shared figure.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

UPDATES = Counter("jpsim_updates_total", "Updates handled, by kind (message, callback_query, …)", ["kind"])
HANDLER_SECONDS = Histogram(
    "jpsim_handler_seconds",
    "Time from an update's arrival in the application to the end of its handlers",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
API_ERRORS = Counter(
    "jpsim_bot_api_errors_total",
    "Bot API requests that failed, by kind (bad_request, forbidden, flood, server, network, timeout, other)",
    ["kind"],
)
REMINDERS = Counter(
    "jpsim_reminders_total", "Reminders handled by this replica, by outcome (sent, failed)", ["outcome"]
)
REMINDERS_PENDING = Gauge("jpsim_reminders_pending", "Reminders waiting to be sent (from the database)")
BUDGET_WAITS = Counter("jpsim_send_budget_waits_total", "Times a bulk send had to wait for the shared send budget")
BUDGET_WAIT_SECONDS = Counter("jpsim_send_budget_wait_seconds_total", "Seconds bulk sends waited for the budget")

# Bot API error codes (https://core.telegram.org/api/errors) to the kinds an operator acts on.
ERROR_KINDS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "unauthorized", 429: "flood"}


def update_kind(update: object) -> str:
    """The field an update carries (Telegram's update types), e.g. "message" or "callback_query"."""
    if isinstance(update, Update):
        for kind in Update.ALL_TYPES:
            if getattr(update, kind, None) is not None:
                return str(kind)
        return "other"
    return type(update).__name__


def error_kind(status: int) -> str:
    return ERROR_KINDS.get(status, "server" if status >= 500 else "other")


class MeteredApplication(Application[Any, Any, Any, Any, Any, Any]):
    """Counts each update by kind and times its handlers (all groups), whatever they do with it."""

    async def process_update(self, update: object) -> None:
        UPDATES.labels(update_kind(update)).inc()
        started = time.perf_counter()
        try:
            await super().process_update(update)
        finally:
            HANDLER_SECONDS.observe(time.perf_counter() - started)


class MeteredRequest(BaseRequest):
    """Wraps the Bot API request object and counts every failed request by kind (before python-telegram-bot
    turns it into an exception, so failures the rate limiter retries count too)."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        try:
            status, payload = await self.inner.do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
        except TimedOut:
            API_ERRORS.labels("timeout").inc()
            raise
        except NetworkError:
            API_ERRORS.labels("network").inc()
            raise
        if status >= 300:
            API_ERRORS.labels(error_kind(status)).inc()
        return status, payload
