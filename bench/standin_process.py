"""The Bot API stand-in in its own process, so a benchmark measures the bot's work, not the stand-in's.

The parent gets the port on start, and on request the timestamps (time.monotonic, comparable across processes
on one machine) of every accepted call of a method, to measure the bot's send rate from Telegram's side.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection

from bot.standin import StandIn


def _serve(token: str, chats: range, conn: Connection) -> None:
    async def main() -> None:
        standin = StandIn(token)
        for chat in chats:
            standin.open_chat(chat)
        await standin.start()
        conn.send(standin.port)
        loop = asyncio.get_running_loop()
        while True:
            request = await loop.run_in_executor(None, conn.recv)
            if request == "stop":
                break
            conn.send([c.at for c in standin.calls if c.method == request and c.ok])
        await standin.stop()

    asyncio.run(main())


class StandInProcess:
    def __init__(self, conn: Connection, port: int) -> None:
        self._conn, self.port = conn, port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def stamps(self, method: str) -> list[float]:
        self._conn.send(method)
        stamps: list[float] = self._conn.recv()
        return stamps


@contextmanager
def standin_process(token: str, chats: range) -> Iterator[StandInProcess]:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=_serve, args=(token, chats, child), daemon=True)
    process.start()
    try:
        yield StandInProcess(parent, parent.recv())
    finally:
        parent.send("stop")
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
