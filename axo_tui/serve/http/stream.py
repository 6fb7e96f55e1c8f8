"""The live event streams: `GET /ws` (WebSocket, Axocoatl's path) and
`GET /api/events/stream` (Server-Sent Events). docs/http.md has the protocol; in short:

- Filters: `?run=ID&agent=A,B&kind=agent.completed&kind=tool.*` (kinds repeated); `?after=SEQ` (SSE also
  `Last-Event-ID`) resumes after the last event a client saw, with no gap and no duplicate.
- WebSocket messages are JSON objects with a `type`: `subscribed`, `events` (a list of the
  `axo events --json` objects), `error`. A client may send `{"type": "subscribe", ...}`
  (the same filters, and `after`) to change its subscription.
- Auth, when the server has a token: the Authorization header, or, as a browser can send
  it, the subprotocol `axo.bearer.<token>` or a first message `{"type": "auth", "token":
  ...}`. Never in the URL. SSE takes the header like every route (the Guard checks it).
- A client too slow to keep up is disconnected (WS close 1013, SSE `event: error` with
  code slow_consumer) and resumes with `after`; at shutdown the close code is 1001.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response
from starlette.types import Receive, Scope, Send

from axo_tui.core.runtime.runtime import Runtime
from axo_tui.serve.http.errors import ApiError, responses
from axo_tui.serve.http.host import ServeHost, is_loopback
from axo_tui.serve.http.stream_feed import (
    KIND_WORDS,
    EndReason,
    EventFeed,
    FeedClosed,
    StreamFilter,
    StreamHub,
    StreamLimits,
    parse_after,
    parse_filter,
)

router = APIRouter()

BEARER_PROTOCOL = "axo.bearer."
PROTOCOL = "axo.v1"
"""The subprotocol the server picks when a client offers it next to its token one."""
AUTH_TIMEOUT = 10.0
"""Seconds a WebSocket client has to send its auth message."""
URL_SECRETS = frozenset({"token", "access_token", "api_key", "apikey", "auth"})
POLICY = 1008
"""WS close code for a refused client (bad token, bad filter, token in the URL)."""


SSE_EVENT = {
    "type": "object",
    "description": "One event of the stream (OpenAPI 3.1: the schema describes each event).",
    "required": ["data", "event"],
    "properties": {
        "event": {"type": "string", "enum": ["message", "error"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "id": {"type": "string", "pattern": "^[0-9]+$"},
        "retry": {"type": "integer"},
    },
    "additionalProperties": False,
}


def stream_hub(app: Any) -> StreamHub:
    """The app's StreamHub (made on first use; `app.state.stream_limits` tunes it)."""
    state = app.state
    hub = getattr(state, "stream_hub", None)
    if hub is None:
        hub = StreamHub(getattr(state, "stream_limits", None) or StreamLimits())
        state.stream_hub = hub
    assert isinstance(hub, StreamHub)
    return hub


def _host(app: Any) -> ServeHost:
    host = app.state.host
    assert isinstance(host, ServeHost)
    return host


# ------------------------------------------------------------------------- SSE
@router.get(
    "/api/events/stream",
    tags=["events"],
    summary="Follow events (Server-Sent Events)",
    response_class=Response,
    responses={
        200: {
            "description": "An endless `text/event-stream`: each event as `id: SEQ` and "
            "`data: <the axo events --json object>`; a last `event: error` with "
            '`{"error": {"code", "message"}}` when the server ends it (slow_consumer, '
            "shutting_down).",
            "content": {"text/event-stream": {"schema": SSE_EVENT}},
        },
        **responses(404, 422),
    },
)
async def follow_events(
    request: Request,
    run: Annotated[str | None, Query(description="A run id or unique prefix.")] = None,
    agent: Annotated[list[str] | None, Query(description="Agent ids (repeat or a,b).")] = None,
    kind: Annotated[
        list[str] | None,
        Query(
            description="Event kinds (repeat for several), or a family such as `agent.*`.",
            json_schema_extra={"items": {"type": "string", "enum": KIND_WORDS}},
        ),
    ] = None,
    after: Annotated[
        int | None,
        Query(ge=0, description="Resume after this sequence number (0: the whole journal)."),
    ] = None,
    last_event_id: Annotated[
        str,
        Header(
            pattern=r"^\s*[0-9]*\s*$",
            description="Resume after this sequence number (what browsers send back).",
        ),
    ] = "",
) -> Response:
    """The runtime's events as they happen, filtered; resume with `after` or the
    `Last-Event-ID` header that browsers send when they reconnect."""
    runtime = _host(request.app).runtime
    wanted = parse_filter(runtime, run, agent or (), kind or ())
    resume = after if after is not None else parse_after(last_event_id, "Last-Event-ID")
    return EventStreamResponse(stream_hub(request.app), runtime, wanted, resume)


class EventStreamResponse(Response):
    """An SSE response fed by an EventFeed, ended by the client, by the feed's end (with a
    last `event: error`) or by a shutdown."""

    media_type = "text/event-stream"

    def __init__(
        self, hub: StreamHub, runtime: Runtime, wanted: StreamFilter, after: int | None
    ) -> None:
        # Not Response.__init__: it would declare an empty body (content-length: 0).
        self.status_code = 200
        self.background = None
        self.init_headers({"cache-control": "no-cache", "x-accel-buffering": "no"})
        self._hub = hub
        self._runtime = runtime
        self._filter = wanted
        self._after = after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        feed = self._hub.open(self._runtime, self._filter, self._after)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await _send_chunk(send, "retry: 1000\n\n")
            end = await _first_of(
                feed.wait_closed(),
                self._pump(feed, send),
                _until_disconnect(receive),
            )
            if isinstance(end, EndReason):
                text = _sse("error", json.dumps(_error(end, self._hub.limits)))
                with contextlib.suppress(TimeoutError, OSError):
                    await asyncio.wait_for(
                        send({"type": "http.response.body", "body": text.encode()}),
                        self._hub.limits.close_grace,
                    )
        finally:
            feed.close()

    async def _pump(self, feed: EventFeed, send: Send) -> None:
        heartbeat = self._hub.limits.heartbeat
        while True:
            try:
                batch = await asyncio.wait_for(feed.next_batch(), heartbeat)
            except TimeoutError:
                await _send_chunk(send, ": keep-alive\n\n")
                continue
            except FeedClosed:
                await asyncio.Event().wait()  # until cancelled: the feed's end says why
            if batch is not None:
                await _send_chunk(send, batch.sse_text())


def _sse(event: str, data: str) -> str:
    return f"event: {event}\ndata: {data}\n\n"


async def _send_chunk(send: Send, text: str) -> None:
    await send({"type": "http.response.body", "body": text.encode(), "more_body": True})


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _error(end: EndReason, limits: StreamLimits) -> dict[str, Any]:
    if end is EndReason.SLOW_CONSUMER:
        message = (
            f"too slow: fell more than {limits.hard_limit} events behind; "
            "reconnect with after=<the last seq received>"
        )
    else:
        message = "the server is shutting down"
    return {"error": {"code": end.value, "message": message}}


async def _first_of(*steps: Awaitable[Any]) -> Any:
    """Run the steps together; when one ends, cancel the others and return its result
    (or raise its exception)."""
    tasks = [asyncio.ensure_future(step) for step in steps]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        return next(iter(done)).result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# ------------------------------------------------------------------- WebSocket
@router.websocket("/ws")
async def event_socket(websocket: WebSocket) -> None:
    """The runtime's events over a WebSocket (see the module's docstring)."""
    host = _host(websocket.app)
    if not _origin_allowed(websocket, host):
        await websocket.close(code=POLICY)  # before accept: an HTTP 403
        return
    offered = websocket.scope.get("subprotocols") or []
    await websocket.accept(subprotocol=_chosen_protocol(offered))
    query = websocket.query_params
    if URL_SECRETS & set(query):
        await _refuse(
            websocket,
            "never put the token in the URL: send it as the subprotocol axo.bearer.<token> "
            'or in a first message {"type": "auth", "token": ...}',
        )
        return
    if host.settings.tokens and not await _authenticated(websocket, host, offered):
        return
    runtime = host.runtime
    try:
        wanted = parse_filter(
            runtime, query.get("run"), query.getlist("agent"), query.getlist("kind")
        )
        after = parse_after(query.get("after"), "after")
    except ApiError as exc:
        await _refuse(websocket, exc.message)
        return
    await SocketSession(websocket, stream_hub(websocket.app), runtime).run(wanted, after)


def _chosen_protocol(offered: list[str]) -> str | None:
    if PROTOCOL in offered:
        return PROTOCOL
    # A browser fails a handshake that picks none of the offered subprotocols.
    return next((p for p in offered if p.startswith(BEARER_PROTOCOL)), None)


def _origin_allowed(websocket: WebSocket, host: ServeHost) -> bool:
    """A browser page may open a WebSocket to any address: only pages served from the
    loopback or from an origin listed for CORS may read the events. Programs send no
    Origin."""
    origin = websocket.headers.get("origin")
    if origin is None or origin in host.settings.cors_origins:
        return True
    name = urlsplit(origin).hostname
    return name is not None and is_loopback(name)


async def _authenticated(websocket: WebSocket, host: ServeHost, offered: list[str]) -> bool:
    scheme, _, header_token = websocket.headers.get("authorization", "").partition(" ")
    token: str | None = header_token.strip() if scheme.lower() == "bearer" else None
    if not token:
        token = next(
            (p[len(BEARER_PROTOCOL) :] for p in offered if p.startswith(BEARER_PROTOCOL)), None
        )
    if token is None:
        token = await _auth_message(websocket)
        if token is None:
            return False
    if not host.settings.accepts(token):
        await _refuse(websocket, "the token is wrong")
        return False
    return True


async def _auth_message(websocket: WebSocket) -> str | None:
    """The token of the client's first message; None (and the socket closed) without."""
    try:
        message = await asyncio.wait_for(websocket.receive(), AUTH_TIMEOUT)
    except TimeoutError:
        await _refuse(websocket, f"no auth message within {AUTH_TIMEOUT:g} s")
        return None
    if message["type"] == "websocket.disconnect":
        return None
    parsed = _json_object(message)
    token = parsed.get("token") if parsed is not None and parsed.get("type") == "auth" else None
    if not isinstance(token, str) or not token:
        await _refuse(
            websocket,
            'authenticate first: send {"type": "auth", "token": "<token>"}, or the '
            "subprotocol axo.bearer.<token>",
        )
        return None
    return token


def _json_object(message: Any) -> dict[str, Any] | None:
    text = message.get("text")
    if text is None and message.get("bytes") is not None:
        text = message["bytes"].decode("utf-8", "replace")
    try:
        value = json.loads(text) if text is not None else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def _refuse(websocket: WebSocket, reason: str, code: int = POLICY) -> None:
    with contextlib.suppress(RuntimeError, OSError):
        await websocket.close(code=code, reason=_close_reason(reason))


def _close_reason(text: str) -> str:
    """A close frame's reason holds 123 bytes of UTF-8."""
    data = text.encode()
    if len(data) <= 123:
        return text
    return data[:120].decode("utf-8", "ignore") + "..."


class SocketSession:
    """One WebSocket client: its feed, its requests (`subscribe`), its end."""

    def __init__(self, websocket: WebSocket, hub: StreamHub, runtime: Runtime) -> None:
        self.websocket = websocket
        self.hub = hub
        self.runtime = runtime

    async def run(self, wanted: StreamFilter, after: int | None) -> None:
        websocket = self.websocket
        feed = await self._subscribe(wanted, after)
        reader = asyncio.ensure_future(websocket.receive())
        pump = asyncio.ensure_future(self._pump(feed))
        ended = asyncio.ensure_future(feed.wait_closed())
        try:
            while True:
                await asyncio.wait({reader, pump, ended}, return_when=asyncio.FIRST_COMPLETED)
                if ended.done():
                    end = ended.result()
                    if end is not None:
                        await _cancel(pump)
                        await self._close(end)
                    return
                if reader.done():
                    message = reader.result()
                    if message["type"] == "websocket.disconnect":
                        return
                    reader = asyncio.ensure_future(websocket.receive())
                    request = await self._request(message)
                    if request is not None:
                        await _cancel(pump, ended)
                        feed.close()
                        feed = await self._subscribe(*request)
                        pump = asyncio.ensure_future(self._pump(feed))
                        ended = asyncio.ensure_future(feed.wait_closed())
                elif pump.done():
                    with contextlib.suppress(WebSocketDisconnect):
                        pump.result()
                    return  # the client went away
        finally:
            await _cancel(reader, pump, ended)
            feed.close()

    async def _subscribe(self, wanted: StreamFilter, after: int | None) -> EventFeed:
        feed = self.hub.open(self.runtime, wanted, after)
        await self._send({"type": "subscribed", **wanted.to_dict(), "after": after})
        return feed

    async def _pump(self, feed: EventFeed) -> None:
        while True:
            try:
                batch = await feed.next_batch()
            except FeedClosed:
                await asyncio.Event().wait()  # until cancelled: the feed's end says why
            if batch is not None:
                await self.websocket.send_text(batch.ws_message())

    async def _request(self, message: Any) -> tuple[StreamFilter, int | None] | None:
        """A new subscription the client asked for; None after answering anything else."""
        parsed = _json_object(message)
        if parsed is None:
            await self._error("invalid_request", "a message must be a JSON object")
            return None
        kind = parsed.get("type")
        if kind == "auth":
            return None  # already authenticated (or no token needed)
        if kind != "subscribe":
            await self._error("invalid_request", f"unknown message type {kind!r} (subscribe)")
            return None
        try:
            return self._subscription_of(parsed)
        except ApiError as exc:
            await self._error(exc.code, exc.message)
            return None

    def _subscription_of(self, message: dict[str, Any]) -> tuple[StreamFilter, int | None]:
        run = message.get("run")
        agents = _strings(message.get("agents"), "agents")
        kinds = _strings(message.get("kinds"), "kinds")
        after = message.get("after")
        if run is not None and not isinstance(run, str):
            raise ApiError(422, "invalid_request", "run: expected a run id")
        if after is not None and (isinstance(after, bool) or not isinstance(after, int)):
            raise ApiError(422, "invalid_request", "after: expected a sequence number")
        if after is not None and after < 0:
            raise ApiError(422, "invalid_request", "after: expected a sequence number ≥ 0")
        return parse_filter(self.runtime, run, agents, kinds), after

    async def _error(self, code: str, message: str) -> None:
        await self._send({"type": "error", "error": {"code": code, "message": message}})

    async def _send(self, message: dict[str, Any]) -> None:
        await self.websocket.send_text(json.dumps(message))

    async def _close(self, end: EndReason) -> None:
        message = _error(end, self.hub.limits)["error"]["message"]
        with contextlib.suppress(TimeoutError):
            # The close frame waits behind what the slow client has not read yet.
            await asyncio.wait_for(
                _refuse(self.websocket, message, end.close_code), self.hub.limits.close_grace
            )


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ApiError(422, "invalid_request", f"{where}: expected a list of strings")


async def _cancel(*tasks: asyncio.Future[Any]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
