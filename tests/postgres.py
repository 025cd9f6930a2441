"""A fresh PostgreSQL database per test, on the server named by JPSIM_TEST_POSTGRES_URL (`.ci/run` starts one;
locally: `d=$(mktemp -d) && export JPSIM_TEST_POSTGRES_URL=$(.ci/postgres start $d)`). Without it the
PostgreSQL tests skip locally and fail in CI (CI=true): CI must never pass by skipping them."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from bot.storage.base import Storage
from bot.storage.factory import storage_for

URL_VARIABLE = "JPSIM_TEST_POSTGRES_URL"


def server_url() -> str:
    url = os.environ.get(URL_VARIABLE, "").strip()
    if url:
        return url
    reason = f"{URL_VARIABLE} is not set: no PostgreSQL server to test against (see tests/postgres.py)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """The URL of a new, empty database, dropped afterwards (with any connection a test left open)."""
    server = server_url()
    name = f"jpsim_test_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(server, autocommit=True) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    finally:
        async with await psycopg.AsyncConnection.connect(server, autocommit=True) as admin:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[Storage]:
    """The storage a database URL names (either backend), open for the block."""
    storage = storage_for(url)
    await storage.open()
    try:
        yield storage
    finally:
        await storage.close()
