"""A PostgreSQL server for the benchmarks: the one named by --postgres-url or JPSIM_TEST_POSTGRES_URL, else a
throwaway one started with `.ci/postgres` with fsync ON (commits reach the disk, as in production; the tests
run theirs with fsync off). Each measurement gets a fresh database, dropped afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
URL_VARIABLE = "JPSIM_TEST_POSTGRES_URL"


@contextmanager
def postgres_server(url: str | None) -> Iterator[str]:
    """The server URL: `url`, else $JPSIM_TEST_POSTGRES_URL, else a throwaway server (fsync on) for the block."""
    given = url or os.environ.get(URL_VARIABLE, "").strip()
    if given:
        yield given
        return
    folder = tempfile.mkdtemp(prefix="bench-postgres-")
    script = str(ROOT / ".ci" / "postgres")
    started = subprocess.run(
        [script, "start", folder], env={**os.environ, "PG_FSYNC": "on"}, check=True, capture_output=True, text=True
    )
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([script, "stop", folder], check=False)
        shutil.rmtree(folder, ignore_errors=True)


async def describe(server: str) -> str:
    """The server's version and durability settings, for the line under the figures."""
    async with await psycopg.AsyncConnection.connect(server, autocommit=True) as conn:
        values = []
        for setting in ("server_version", "fsync", "synchronous_commit"):
            row = await (await conn.execute(f"SHOW {setting}".encode())).fetchone()
            values.append(str(row[0]) if row else "?")
    return f"PostgreSQL {values[0]}, fsync {values[1]}, synchronous_commit {values[2]}"


@asynccontextmanager
async def fresh_database(server: str) -> AsyncIterator[str]:
    """The URL of a new, empty database on `server`, dropped afterwards."""
    name = f"jpsim_bench_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(server, autocommit=True) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    finally:
        async with await psycopg.AsyncConnection.connect(server, autocommit=True) as admin:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
