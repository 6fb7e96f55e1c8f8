"""The door of the HTTP API, in front of every route: the Host header, the bearer token
and the body size, checked before any route code runs (a pure ASGI middleware, so a refused
request costs no parsing).

- Served on loopback, a request must name a loopback host: a web page cannot reach the
  open API by pointing a DNS name at 127.0.0.1 (DNS rebinding).
- With tokens set, every route but /health wants `Authorization: Bearer <token>`.
- A body over the limit is refused with 413 whether or not it declares its length; a WASM
  deploy's limit is the module's.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from axo_tui.core.base import jsonfast
from axo_tui.serve.http.host import MODULE_BODY_BYTES, ServeSettings, is_loopback

OPEN_PATHS = frozenset({"/health"})
CARD_SUFFIX = "/.well-known/agent-card.json"
"""A2A agent cards are open: a client reads one to learn which auth to send."""
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEPLOY_PREFIX = "/api/wasm/agents/"


class Guard:
    def __init__(self, app: ASGIApp, settings: ServeSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # websockets check their own token
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refuse(scope, headers)
        if refusal is not None:
            await _reply(send, *refusal)
            return
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        body = await self._read_body(receive, headers, limit)
        if body is None:
            await _reply(send, 413, "too_large", f"the request body is over {limit} bytes")
            return
        await self.app(scope, _replay(body, receive), send)

    def _refuse(self, scope: Scope, headers: dict[str, str]) -> tuple[Any, ...] | None:
        settings = self.settings
        if settings.loopback and not _loopback_host(headers.get("host", "")):
            return (421, "misdirected", "this server answers only to localhost names")
        path = scope["path"]
        if settings.tokens and path not in OPEN_PATHS and not path.endswith(CARD_SUFFIX):
            scheme, _, token = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token:
                return (401, "unauthorized", "send `Authorization: Bearer <token>`", True)
            if not settings.accepts(token.strip()):
                return (401, "unauthorized", "the token is wrong", True)
        return None

    def _limit(self, scope: Scope) -> int:
        path: str = scope["path"]
        if scope["method"] == "PUT" and path.startswith(DEPLOY_PREFIX):
            return max(self.settings.max_body_bytes, MODULE_BODY_BYTES)
        return self.settings.max_body_bytes

    async def _read_body(
        self, receive: Receive, headers: dict[str, str], limit: int
    ) -> bytes | None:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees an empty body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _loopback_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 or host.endswith("]") else host
    if host.startswith("[") and "]" in host:
        name = host[1 : host.index("]")]
    return is_loopback(name)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: a disconnect, when it comes

    return replay


async def _reply(send: Send, status: int, code: str, message: str, bearer: bool = False) -> None:
    body = jsonfast.dumps_bytes({"error": {"code": code, "message": message}})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if bearer:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
