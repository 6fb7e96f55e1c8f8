"""The shared SSE and NDJSON parsers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from axo_tui.core.providers.base import ProviderError
from axo_tui.core.providers.wire import SseEvent, ndjson_objects, parse_tool_arguments, sse_events


async def lines(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item


async def test_sse_events_dispatch_at_blank_lines() -> None:
    stream = lines(
        ": comment",
        "event: message_start",
        'data: {"a": 1}',
        "",
        "data: first",
        "data:second",
        "id: 7",
        "",
        "",
        "data: [DONE]",
        "",
        "data: cut mid-ev",
    )
    events = [e async for e in sse_events(stream)]
    assert events == [
        SseEvent("message_start", '{"a": 1}'),
        SseEvent("message", "first\nsecond"),
        SseEvent("message", "[DONE]"),
    ]


async def test_ndjson_skips_blank_lines_and_rejects_garbage() -> None:
    good = [
        o async for o in ndjson_objects(lines('{"a": 1}', "", '{"b": 2}'), provider="p", url="u")
    ]
    assert good == [{"a": 1}, {"b": 2}]
    with pytest.raises(ProviderError, match=r"p: the server sent malformed JSON .* from u"):
        _ = [o async for o in ndjson_objects(lines("{oops"), provider="p", url="u")]
    with pytest.raises(ProviderError, match="expected a JSON object"):
        _ = [o async for o in ndjson_objects(lines("[1]"), provider="p", url="u")]


def test_tool_arguments() -> None:
    assert parse_tool_arguments("", tool="t", provider="p", url="u") == {}
    assert parse_tool_arguments(' {"x": 1} ', tool="t", provider="p", url="u") == {"x": 1}
    with pytest.raises(ProviderError, match="tool 't' with arguments that are not a JSON object"):
        parse_tool_arguments("[1]", tool="t", provider="p", url="u")
