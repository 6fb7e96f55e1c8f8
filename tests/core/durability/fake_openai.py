"""A local OpenAI-compatible server for durability tests: real HTTP on 127.0.0.1.

Requests are tagged by the path prefix (`/<tag>/v1/chat/completions`) and by the model name
(one model per agent). A test gives each process its own tag (a trial's run, then its resume),
so the counts per (tag, model) prove exactly which process sent what: a completed activation
must never be sent again by the resuming process. Replies are deterministic: the agent's name and a
digest of the user message (which holds the upstream outputs), so a whole workflow's output
fingerprints every step. Each reply streams in two halves with a delay in between, so that a
kill lands in the middle of a call often.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def reply_text(model: str, user_message: str) -> str:
    digest = hashlib.sha256(user_message.encode()).hexdigest()[:10]
    return f"{model} says {digest}"


class FakeOpenAI:
    def __init__(self, delay: float = 0.1) -> None:
        self.delay = delay
        self.counts: Counter[tuple[str, str]] = Counter()
        self.arrivals: Counter[str] = Counter()
        """Requests per tag: the harness waits on it to time a kill."""
        self.held: set[tuple[str, str]] = set()
        """(tag, model) pairs whose requests wait until released (deterministic mid-call)."""
        self.failing: set[tuple[str, str]] = set()
        """(tag, model) pairs answered with HTTP 500."""
        self._cond = threading.Condition()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def base_url(self, tag: str) -> str:
        return f"http://127.0.0.1:{self.port}/{tag}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self.held.clear()
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def count(self, tag: str, model: str) -> int:
        with self._cond:
            return self.counts[(tag, model)]

    def wait_arrivals(self, tag: str, n: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.arrivals[tag] < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def release(self, tag: str, model: str) -> None:
        with self._cond:
            self.held.discard((tag, model))
            self._cond.notify_all()

    def _record(self, tag: str, model: str) -> None:
        with self._cond:
            self.counts[(tag, model)] += 1
            self.arrivals[tag] += 1
            self._cond.notify_all()
            while (tag, model) in self.held:
                self._cond.wait()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                parts = self.path.strip("/").split("/")
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                tag, model = parts[0], str(body["model"])
                fake._record(tag, model)
                if (tag, model) in fake.failing:
                    payload = json.dumps({"error": {"message": "boom"}}).encode()
                    self.send_response(500)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                users = [m["content"] for m in body["messages"] if m["role"] == "user"]
                text = reply_text(model, users[-1] if users else "")
                half = len(text) // 2
                try:
                    time.sleep(fake.delay / 2)
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.send_header("transfer-encoding", "chunked")
                    self.end_headers()
                    self._chunk(_delta(model, text[:half]))
                    time.sleep(fake.delay / 2)
                    self._chunk(_delta(model, text[half:]))
                    self._chunk(_finish(model, prompt=len(users[-1]) // 4 + 1, completion=5))
                    self._chunk("data: [DONE]\n\n")
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:
                    pass  # the client was killed mid-reply: exactly what the tests do

            def _chunk(self, data: str) -> None:
                raw = data.encode()
                self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
                self.wfile.flush()

        return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients killed mid-request reset their connections: expected, not news


def _delta(model: str, text: str) -> str:
    chunk = {"model": model, "choices": [{"index": 0, "delta": {"content": text}}]}
    return f"data: {json.dumps(chunk)}\n\n"


def _finish(model: str, *, prompt: int, completion: int) -> str:
    chunk = {
        "model": model,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
    }
    return f"data: {json.dumps(chunk)}\n\n"


@contextmanager
def running_fake(delay: float = 0.1) -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(delay).start()
    try:
        yield fake
    finally:
        fake.stop()
