"""A tiny scriptable HTTP/1.1 server on 127.0.0.1 for testing providers over real sockets.

Each test queues replies per path; each request takes the next reply queued for its path (or
404s). A reply's body is a list of parts: bytes are written (one HTTP chunk each when
chunked), `Pause` waits, `Cut` drops the connection mid-response. Every request received is
recorded so tests can assert on exactly what went over the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Pause:
    """Wait before writing the next part."""

    seconds: float


@dataclass(frozen=True)
class Cut:
    """Drop the connection right here, without finishing the response."""


Part = bytes | Pause | Cut
Framing = Literal["chunked", "length", "close"]


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: list[Part] = field(default_factory=list)
    framing: Framing = "chunked"
    """chunked: Transfer-Encoding; length: Content-Length; close: body ends at connection close."""
    delay: float = 0.0
    """Seconds to wait before sending the status line."""

    @classmethod
    def json(cls, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return cls(
            status,
            {"content-type": "application/json", **(headers or {})},
            [json.dumps(obj).encode()],
            framing="length",
        )

    @classmethod
    def ndjson(cls, objs: Iterable[Any | Part], **kwargs: Any) -> Reply:
        body: list[Part] = [
            o if isinstance(o, bytes | Pause | Cut) else (json.dumps(o) + "\n").encode()
            for o in objs
        ]
        return cls(headers={"content-type": "application/x-ndjson"}, body=body, **kwargs)

    @classmethod
    def sse(cls, events: Iterable[Any | Part], *, done: bool = False, **kwargs: Any) -> Reply:
        """Events as `data:` frames; a `(name, obj)` tuple adds an `event:` line."""
        body: list[Part] = []
        for event in events:
            if isinstance(event, bytes | Pause | Cut):
                body.append(event)
            elif isinstance(event, tuple):
                name, obj = event
                body.append(f"event: {name}\ndata: {json.dumps(obj)}\n\n".encode())
            else:
                body.append(f"data: {json.dumps(event)}\n\n".encode())
        if done:
            body.append(b"data: [DONE]\n\n")
        return cls(headers={"content-type": "text/event-stream"}, body=body, **kwargs)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class FakeServer:
    """Use as `async with FakeServer() as server:`; `server.url` is its base URL."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._replies: defaultdict[str, deque[Reply]] = defaultdict(deque)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reply(self, path: str, *replies: Reply) -> None:
        """Queue replies for requests to `path` (without the query string), in order."""
        self._replies[path].extend(replies)

    def received(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def __aenter__(self) -> FakeServer:
        self._server = await asyncio.start_server(self._on_connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        # Handlers may be parked in a long Pause; a test is over, so cut them short.
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await task
        await self._server.wait_closed()

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # The work runs in a task of our own: shutdown cancels that one, never asyncio's
        # connection task, whose done-callback chokes on cancellation in Python 3.11.
        task = asyncio.ensure_future(self._serve(reader, writer))
        self._tasks.add(task)
        try:
            await task
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._serve_one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection is finished."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        split = urlsplit(target)
        self.requests.append(Received(method, split.path, parse_qs(split.query), headers, body))
        queue = self._replies.get(split.path)
        reply = (
            queue.popleft()
            if queue
            else Reply.json({"error": f"no reply scripted for {split.path}"}, 404)
        )
        return await self._write(reply, writer)

    async def _write(self, reply: Reply, writer: asyncio.StreamWriter) -> bool:
        if reply.delay:
            await asyncio.sleep(reply.delay)
        head = [f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}"]
        head += [f"{name}: {value}" for name, value in reply.headers.items()]
        if reply.framing == "chunked":
            head.append("transfer-encoding: chunked")
        elif reply.framing == "length":
            length = sum(len(p) for p in reply.body if isinstance(p, bytes))
            head.append(f"content-length: {length}")
        else:
            head.append("connection: close")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        for part in reply.body:
            if isinstance(part, Pause):
                await asyncio.sleep(part.seconds)
            elif isinstance(part, Cut):
                writer.transport.abort()
                return False
            else:
                writer.write(
                    b"%x\r\n%s\r\n" % (len(part), part) if reply.framing == "chunked" else part
                )
                await writer.drain()
        if reply.framing == "chunked":
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        return reply.framing != "close"


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening: connecting to it is refused."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class RecordingSleep:
    """An injectable `sleep` that records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


async def collect(provider: Any, request: Any) -> tuple[list[str], Any]:
    """Drain `provider.stream(request)`: the text deltas, and the final Completion."""
    from axo_tui.core.providers.base import Completion, TextDelta

    deltas: list[str] = []
    final: Completion | None = None
    async for chunk in provider.stream(request):
        assert final is None, "nothing may follow the Completion"
        if isinstance(chunk, TextDelta):
            deltas.append(chunk.text)
        else:
            final = chunk
    assert final is not None, "a stream must end with a Completion"
    return deltas, final
