"""Start and stop an Application the way `run_polling` does, inside an already running event loop
(the offline demo and the tests share one loop with the Bot API stand-in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.context import AppType


@asynccontextmanager
async def polling(app: AppType) -> AsyncIterator[AppType]:
    try:
        async with app:
            if app.post_init is not None:
                await app.post_init(app)
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            try:
                yield app
            finally:
                await app.updater.stop()
                await app.stop()
    finally:
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
