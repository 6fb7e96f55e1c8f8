"""An OpenAI-compatible model on the fake server that echoes a digest of what it was asked.

Requests are tagged by the path prefix (`/<tag>/v1/chat/completions`) and by the model name
(one model per agent). A test gives each process its own tag (a trial's run, then its resume),
so the counts per (tag, model) prove exactly which process sent what: a completed activation
must never be sent again by the resuming process. Replies are deterministic: the agent's name
and a digest of the user message (which holds the upstream outputs), so a whole workflow's
output fingerprints every step. Each reply streams in two halves with a delay in between, so
that a kill lands in the middle of a call often.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.dialects import openai_chat, openai_error
from tests.support.model_server import ModelServer, Received, Reply


def reply_text(model: str, user_message: str) -> str:
    digest = hashlib.sha256(user_message.encode()).hexdigest()[:10]
    return f"{model} says {digest}"


def _tag(request: Received) -> str:
    return request.path.strip("/").split("/")[0]


def _key(request: Received) -> tuple[str, str]:
    return _tag(request), str(request.json()["model"])


class FakeOpenAI:
    def __init__(self, delay: float = 0.1) -> None:
        self.delay = delay
        self.held: set[tuple[str, str]] = set()
        """(tag, model) pairs whose requests wait until released (deterministic mid-call)."""
        self.failing: set[tuple[str, str]] = set()
        """(tag, model) pairs answered with HTTP 500."""
        self.server = ModelServer()
        self.server.answer_all(self._answer)
        self.server.hold_while(lambda request: _key(request) in self.held)

    @property
    def port(self) -> int:
        return self.server.port

    def base_url(self, tag: str) -> str:
        return f"{self.server.url}/{tag}/v1"

    def start(self) -> FakeOpenAI:
        self.server.start()
        return self

    def stop(self) -> None:
        self.held.clear()
        self.server.wake()
        self.server.stop()

    def count(self, tag: str, model: str) -> int:
        """Requests that arrived for (tag, model), held ones included."""
        return sum(1 for request in list(self.server.requests) if _key(request) == (tag, model))

    def wait_arrivals(self, tag: str, n: int, timeout: float) -> bool:
        """Block until `n` requests arrived under `tag`: the harness times its kills on it."""
        return self.server.wait_for(
            lambda requests: sum(1 for r in requests if _tag(r) == tag) >= n, timeout
        )

    def release(self, tag: str, model: str) -> None:
        self.held.discard((tag, model))
        self.server.wake()

    def _answer(self, request: Received) -> Reply:
        tag, model = _key(request)
        if (tag, model) in self.failing:
            return openai_error("boom", 500)
        body = request.json()
        users = [m["content"] for m in body["messages"] if m["role"] == "user"]
        text = reply_text(model, users[-1] if users else "")
        half = len(text) // 2
        reply = openai_chat(
            model,
            [text[:half], text[half:]],
            prompt=len(users[-1]) // 4 + 1,
            completion=5,
            pause=self.delay / 2,
        )
        reply.delay = self.delay / 2
        return reply


@contextmanager
def running_fake(delay: float = 0.1) -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(delay).start()
    try:
        yield fake
    finally:
        fake.stop()
