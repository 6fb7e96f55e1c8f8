"""MCP over streamable HTTP at `/mcp`, inside `axo serve`'s app.

The app's Guard already stands in front of it: the bearer token when one is set, 421 for a
Host that is not a loopback name on a loopback server (any port, or none, as the rest of
the API), the body limit. So the SDK's own Host check is off (its `127.0.0.1:*` patterns
refuse a bare `localhost`), and the Origin header is checked here: a browser page may call
only from a loopback origin on a loopback server, or from one of `server.cors_origins`.
The session manager runs in the app's lifespan (uvicorn must run it: `lifespan="on"`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from axo_tui.core.base import jsonfast
from axo_tui.serve.http.host import ServeHost, is_loopback
from axo_tui.serve.mcp.server import build_server

PATH = "/mcp"


class McpEndpoint:
    """The ASGI app at /mcp: the Origin check, then the SDK's session manager."""

    def __init__(self, host: ServeHost) -> None:
        self.host = host
        self.manager = StreamableHTTPSessionManager(
            app=build_server(host.runtime, accepting=lambda: host.accepting),
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self.running = False

    @contextlib.asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        async with self.manager.run():
            self.running = True
            try:
                yield
            finally:
                self.running = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.running:
            await _reply(send, 503, "unavailable", "the MCP endpoint is not running")
            return
        origin = _header(scope, b"origin")
        if origin and not self._origin_allowed(origin):
            await _reply(send, 403, "forbidden_origin", f"origin {origin} may not call /mcp")
            return
        await self.manager.handle_request(scope, receive, send)

    def _origin_allowed(self, origin: str) -> bool:
        settings = self.host.settings
        if origin in settings.cors_origins or "*" in settings.cors_origins:
            return True
        hostname = urlsplit(origin).hostname or ""
        return settings.loopback and is_loopback(hostname)


def mount(app: FastAPI, host: ServeHost) -> McpEndpoint:
    """Serve MCP at /mcp in `app`, its session manager run by the app's lifespan."""
    endpoint = McpEndpoint(host)
    app.router.routes.append(Route(PATH, endpoint=endpoint, include_in_schema=False))
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        async with endpoint.run(), inner(asgi_app) as state:
            yield state

    app.router.lifespan_context = lifespan
    app.state.mcp = endpoint
    return endpoint


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


async def _reply(send: Send, status: int, code: str, message: str) -> None:
    body = jsonfast.dumps_bytes({"error": {"code": code, "message": message}})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
