"""What the webhook server and the operators' server share: listen on an address, stop with open connections
closed (a load balancer's kept-alive connection would otherwise hold the stop)."""

from __future__ import annotations

import asyncio

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

CLOSE_TIMEOUT = 5.0  # seconds to wait for open connections to close on stop


class HttpServer:
    def __init__(self, server: HTTPServer) -> None:
        self._server = server

    def listen(self, address: str, port: int) -> int:
        """Bind (port 0: any free one) and return the port."""
        sockets = bind_sockets(port, address=address)
        self._server.add_sockets(sockets)
        return int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        self._server.stop()
        await asyncio.wait_for(self._server.close_all_connections(), timeout=CLOSE_TIMEOUT)
