"""One fake model server on 127.0.0.1 for every test that talks to a model over HTTP.

Replies are queued per path: a request takes the next reply queued for its path, else the
path's standing answer, else the catch-all, else a 404. So one server plays Ollama, OpenAI,
Anthropic, Gemini or an embeddings endpoint, as the test scripts it (see `dialects`). A reply's
body is a list of parts: bytes are written (one HTTP chunk each when chunked), `Pause` waits
(a trickle), `Cut` drops the connection mid-response. `hold_while` keeps matching requests
waiting until released. Every request is recorded, so tests assert on what went over the wire.

The server runs its own event loop in a thread: async tests, code that runs its own loop
(CliRunner, `run_doctor`) and `axo` subprocesses all reach it the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
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
    body: Iterable[Part] = field(default_factory=list)
    """May be endless (an iterator) when chunked or closed; it is written lazily."""
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


def trickle(data: bytes, *, size: int, pause: float) -> list[Part]:
    """`data` in pieces of `size` bytes with `pause` seconds between them."""
    parts: list[Part] = []
    for start in range(0, len(data), size):
        if parts:
            parts.append(Pause(pause))
        parts.append(data[start : start + size])
    return parts


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    """Without the query string."""
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Received], Reply]
Answer = Reply | Handler


class ModelServer:
    """`with ModelServer() as server:` or `async with`; `server.url` is its base URL."""

    def __init__(
        self, host: str = "127.0.0.1", answers: Mapping[str, Answer] | None = None
    ) -> None:
        self.host = host
        self.port = 0
        self.requests: list[Received] = []
        self._replies: defaultdict[str, deque[Reply]] = defaultdict(deque)
        self._answers: dict[str, Answer] = dict(answers or {})
        self._catch_all: Handler | None = None
        self._holds: list[Callable[[Received], bool]] = []
        self._arrived = threading.Condition()
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._failed: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._wakeup: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- scripting ---------------------------------------------------------------------------

    def reply(self, path: str, *replies: Reply) -> None:
        """Queue replies for requests to `path` (without the query string), in order."""
        self._replies[path].extend(replies)

    def answer(self, path: str, answer: Answer) -> None:
        """Answer every request to `path` that finds its queue empty (a reply or a handler)."""
        self._answers[path] = answer

    def answer_all(self, handler: Handler) -> None:
        """Answer requests to any path that has neither queued replies nor an answer."""
        self._catch_all = handler

    def hold_while(self, held: Callable[[Received], bool]) -> None:
        """Keep each request for which `held(request)` is true waiting (recorded, unanswered);
        it is asked again after each `wake()`. Stopping the server ends every wait."""
        self._holds.append(held)

    def wake(self) -> None:
        """Have held requests ask their hold again (call after changing what is held)."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already stopped
                self._loop.call_soon_threadsafe(self._fire_wakeup)

    # -- what arrived -----------------------------------------------------------------------

    def received(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    def wait_for(self, condition: Callable[[list[Received]], bool], timeout: float) -> bool:
        """Block until `condition(requests)` holds; False if `timeout` seconds pass first."""
        with self._arrived:
            return self._arrived.wait_for(lambda: condition(self.requests), timeout)

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> ModelServer:
        self._thread = threading.Thread(target=self._run, name="model-server", daemon=True)
        self._thread.start()
        self._started.wait()
        if self._failed is not None:
            raise self._failed
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> ModelServer:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        # Joining the thread blocks only for the moment its loop needs to wind down.
        self.stop()

    # -- the server thread ------------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:  # reported to start(), which re-raises it
            self._failed = error
            self._started.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._wakeup = asyncio.Event()
        tasks: set[asyncio.Task[None]] = set()

        async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # The work runs in a task of our own: shutdown cancels that one, never asyncio's
            # connection task, whose done-callback chokes on cancellation in Python 3.11.
            task = asyncio.ensure_future(self._serve(reader, writer))
            tasks.add(task)
            try:
                await task
            except asyncio.CancelledError:
                pass
            finally:
                tasks.discard(task)
                writer.close()

        server = await asyncio.start_server(on_connection, self.host, 0)
        self.port = server.sockets[0].getsockname()[1]
        self._started.set()
        async with server:
            await self._stop.wait()
            server.close()
            # Handlers may be parked in a long Pause or a hold; the test is over: cut them.
            for task in list(tasks):
                task.cancel()
            for task in list(tasks):
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await task
            await asyncio.sleep(0)  # let the closed transports finish closing

    def _fire_wakeup(self) -> None:
        assert self._wakeup is not None
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._serve_one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()  # at once, even when cancelled, so no transport outlives the loop

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
        request = Received(method, split.path, parse_qs(split.query), headers, body)
        with self._arrived:
            self.requests.append(request)
            self._arrived.notify_all()
        while any(held(request) for held in self._holds):
            assert self._wakeup is not None
            await self._wakeup.wait()
        return await self._write(self._reply_to(request), writer)

    def _reply_to(self, request: Received) -> Reply:
        queue = self._replies.get(request.path)
        if queue:
            return queue.popleft()
        answer = self._answers.get(request.path, self._catch_all)
        if answer is None:
            return Reply.json({"error": f"no reply scripted for {request.path}"}, 404)
        if isinstance(answer, Reply):
            return answer
        try:
            return answer(request)
        except Exception as error:  # a handler's failed assertion reaches the client
            return Reply.json({"error": f"fake handler failed: {error!r}"}, 500)

    async def _write(self, reply: Reply, writer: asyncio.StreamWriter) -> bool:
        if reply.delay:
            await asyncio.sleep(reply.delay)
        body = reply.body
        head = [f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}"]
        head += [f"{name}: {value}" for name, value in reply.headers.items()]
        if reply.framing == "chunked":
            head.append("transfer-encoding: chunked")
        elif reply.framing == "length":
            body = list(body)
            length = sum(len(p) for p in body if isinstance(p, bytes))
            head.append(f"content-length: {length}")
        else:
            head.append("connection: close")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        for part in body:
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


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on `host` with nothing listening (bound, then released): connecting is refused."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port
