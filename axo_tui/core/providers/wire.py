"""Streaming wire formats: Server-Sent Events and newline-delimited JSON.

Both parsers take an async iterable of text lines (httpx's `Response.aiter_lines()`), so they
know nothing about HTTP and the providers share one implementation of each format.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import Any

from axo_tui.core.providers.base import ProviderError, ToolSpec


@dataclass(frozen=True)
class SseEvent:
    """One dispatched Server-Sent Event."""

    event: str
    """The `event:` field; "message" when the server sent none (per the SSE spec)."""
    data: str
    """The `data:` lines joined with newlines."""


async def sse_events(lines: AsyncIterable[str]) -> AsyncIterator[SseEvent]:
    """Parse SSE lines into events, following the WHATWG event-stream rules that matter here.

    An event is dispatched at a blank line. A trailing event with no blank line after it is
    dropped, as the spec says: a stream cut mid-event must not hand half a JSON document on.
    """
    event = ""
    data: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield SseEvent(event or "message", "\n".join(data))
            event, data = "", []
            continue
        if line.startswith(":"):
            continue  # a comment: servers send these as keep-alives
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
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
        return err
    if isinstance(err, dict):
        message = err.get("message")
        if isinstance(message, str):
            return message
    message = body.get("message")
    return message if isinstance(message, str) else None


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
