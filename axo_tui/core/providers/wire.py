"""Streaming wire formats: Server-Sent Events and newline-delimited JSON.

Both parsers take an async iterable of text lines (`bounded_lines` over a response's text),
so they know nothing about HTTP and the providers share one implementation of each format.
Everything a server sends is bounded here: a line, an event, an error message, a tool call's
arguments, a token count. A hostile or broken server must not be able to fill the memory or
the journal.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any

from axo_tui.core.providers.base import ProviderError, ToolSpec

MESSAGE_CHARS = 500
"""How much of a server's error message is quoted: enough to act on, never a whole page."""
MODEL_NAME_CHARS = 200
"""A model name a server reports is kept to this length: it is stored with every call."""
MAX_TOKEN_COUNT = 10**9
"""A token count above this is a server's nonsense, not a usage figure (SQLite's integers
overflow at 2**63, and budgets would be spent at once)."""

_LINE_END = re.compile(r"\r\n|\r|\n")


def snippet(text: str, limit: int = MESSAGE_CHARS) -> str:
    """`text` on one line, cut to `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def line_limit(max_reply_chars: int) -> int:
    """The longest line a stream may send: a whole reply in one JSON line, escaped, fits."""
    return 4 * max_reply_chars + 65_536


async def bounded_lines(
    chunks: AsyncIterable[str], *, limit: int, provider: str, url: str
) -> AsyncIterator[str]:
    """Split streamed text into lines at `\\n`, `\\r\\n` or `\\r`, refusing a line over `limit`.

    httpx's own line reader keeps an endless line in memory, and splits at Unicode line
    separators that JSON strings may legally hold unescaped. Only each new chunk is scanned,
    so a line trickled one byte at a time costs linear time, not quadratic.
    """
    head: list[str] = []  # the pieces of the line not yet ended
    size = 0
    skip_lf = False  # the last chunk ended in "\r": a "\n" opening this one completes it
    async for chunk in chunks:
        if skip_lf and chunk.startswith("\n"):
            chunk = chunk[1:]
        skip_lf = chunk.endswith("\r")
        *ended, rest = _LINE_END.split(chunk)
        for piece in ended:
            if size + len(piece) > limit:
                raise _long_line(limit, provider, url)
            head.append(piece)
            yield "".join(head)
            head, size = [], 0
        if rest:
            size += len(rest)
            if size > limit:
                raise _long_line(limit, provider, url)
            head.append(rest)
    if head:
        yield "".join(head)


def _long_line(limit: int, provider: str, url: str) -> ProviderError:
    return ProviderError(
        f"{provider}: the stream from {url} sent a line of more than {limit} characters; "
        "the server is broken or hostile (raise max_reply_chars if its replies really are "
        "this long)",
        provider=provider,
        url=url,
    )


class ArgumentBudget:
    """Counts the tool-call arguments a reply accumulates, which are not streamed text.

    Streamed text is capped, gracefully, by `RetryingProvider`; arguments must be whole to be
    of any use, so arguments over the cap fail the reply instead.
    """

    def __init__(self, limit: int, *, provider: str, url: str) -> None:
        self.limit = limit
        self.used = 0
        self._provider = provider
        self._url = url

    def spend(self, chars: int) -> None:
        self.used += chars
        if self.used > self.limit:
            raise ProviderError(
                f"{self._provider}: the model's tool-call arguments passed {self.limit} "
                f"characters (max_reply_chars) in one reply from {self._url}; the reply was "
                "dropped",
                provider=self._provider,
                url=self._url,
            )


def token_count(value: Any) -> int | None:
    """A usage figure from a server, or None when it is missing or not a plausible count."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_TOKEN_COUNT else None


@dataclass(frozen=True)
class SseEvent:
    """One dispatched Server-Sent Event."""

    event: str
    """The `event:` field; "message" when the server sent none (per the SSE spec)."""
    data: str
    """The `data:` lines joined with newlines."""


async def sse_events(
    lines: AsyncIterable[str], *, limit: int | None = None, provider: str = "", url: str = ""
) -> AsyncIterator[SseEvent]:
    """Parse SSE lines into events, following the WHATWG event-stream rules that matter here.

    An event is dispatched at a blank line. A trailing event with no blank line after it is
    dropped, as the spec says: a stream cut mid-event must not hand half a JSON document on.
    An event whose data passes `limit` characters (endless `data:` lines) is refused.
    """
    event = ""
    data: list[str] = []
    size = 0
    async for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield SseEvent(event or "message", "\n".join(data))
            event, data, size = "", [], 0
            continue
        if line.startswith(":"):
            continue  # a comment: servers send these as keep-alives
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            size += len(value) + 1
            if limit is not None and size > limit:
                raise _long_line(limit, provider, url)
            data.append(value)
        elif field == "event":
            event = value
        # `id` and `retry` only matter to reconnecting browsers.


def decode_json(text: str, *, provider: str, url: str) -> Any:
    """Parse one JSON document from a stream, or raise a ProviderError quoting it."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        snippet = text if len(text) <= 200 else text[:200] + "..."
        raise ProviderError(
            f"{provider}: the server sent malformed JSON ({exc.msg}) from {url}: {snippet!r}",
            provider=provider,
            url=url,
        ) from exc


async def ndjson_objects(
    lines: AsyncIterable[str], *, provider: str, url: str
) -> AsyncIterator[dict[str, Any]]:
    """Parse newline-delimited JSON objects, skipping blank lines."""
    async for raw in lines:
        line = raw.strip()
        if not line:
            continue
        value = decode_json(line, provider=provider, url=url)
        if not isinstance(value, dict):
            raise ProviderError(
                f"{provider}: expected a JSON object per line from {url}, got {line[:200]!r}",
                provider=provider,
                url=url,
            )
        yield value


def error_message(body: Any) -> str | None:
    """The human message in a JSON error body, in the shapes the supported APIs use.

    OpenAI/Anthropic/Gemini: `{"error": {"message": ...}}`; Ollama: `{"error": "..."}`.
    """
    if not isinstance(body, dict):
        return None
    err = body.get("error")
    if isinstance(err, str):
        return snippet(err)
    if isinstance(err, dict):
        message = err.get("message")
        if isinstance(message, str):
            return snippet(message)
    message = body.get("message")
    return snippet(message) if isinstance(message, str) else None


def parse_tool_arguments(raw: str, *, tool: str, provider: str, url: str) -> dict[str, Any]:
    """A tool call's arguments from the JSON text a model streamed; empty means no arguments.

    Models do produce broken JSON (truncated at max_tokens, or simply wrong); the error names
    the tool so the user can tell which call went wrong.
    """
    text = raw.strip() or "{}"
    try:
        arguments = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProviderError(
            f"{provider}: the model called tool '{tool}' with malformed JSON arguments "
            f"({exc.msg}): {text[:200]!r}",
            provider=provider,
            url=url,
        ) from exc
    if not isinstance(arguments, dict):
        raise ProviderError(
            f"{provider}: the model called tool '{tool}' with arguments that are not a JSON "
            f"object: {text[:200]!r}",
            provider=provider,
            url=url,
        )
    return arguments


def function_tool(tool: ToolSpec) -> dict[str, Any]:
    """A tool as OpenAI's `{"type": "function", ...}` object, which Ollama takes as is."""
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }
