"""Anthropic Messages API over a real socket: the SSE event sequence, tool use, usage."""

from __future__ import annotations

from typing import Any

import pytest

from axo_tui.core.config.schema import ProviderConfig, ProviderKind
from axo_tui.core.providers.anthropic import AnthropicProvider
from axo_tui.core.providers.base import ChatRequest, Message, ProviderError, ToolCall, ToolSpec
from axo_tui.core.providers.registry import build_provider
from tests.support.model_server import ModelServer, Reply
from tests.support.providers import RecordingSleep, collect

WEATHER = ToolSpec(
    "get_weather",
    "Weather for a city",
    {"type": "object", "properties": {"city": {"type": "string"}}},
)
HI = ChatRequest(model="", messages=(Message("user", "hi"),))


def ev(kind: str, **data: Any) -> tuple[str, dict[str, Any]]:
    return kind, {"type": kind, **data}


def message_start(input_tokens: int = 25, **cache: int) -> tuple[str, dict[str, Any]]:
    usage = {"input_tokens": input_tokens, "output_tokens": 1, **cache}
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": [],
        "usage": usage,
    }
    return ev("message_start", message=message)


def text_block(index: int, *pieces: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        ev("content_block_start", index=index, content_block={"type": "text", "text": ""}),
        *(
            ev("content_block_delta", index=index, delta={"type": "text_delta", "text": p})
            for p in pieces
        ),
        ev("content_block_stop", index=index),
    ]


def finish(reason: str, output_tokens: int) -> list[tuple[str, dict[str, Any]]]:
    return [
        ev(
            "message_delta",
            delta={"stop_reason": reason, "stop_sequence": None},
            usage={"output_tokens": output_tokens},
        ),
        ev("message_stop"),
    ]


def anthropic(server: ModelServer, **kwargs: Any) -> AnthropicProvider:
    defaults: dict[str, Any] = {
        "model": "claude-sonnet-4-20250514",
        "api_key": "sk-ant-test",
        "timeout_secs": 5.0,
    }
    return AnthropicProvider(
        ProviderConfig(
            name="anthropic",
            kind=ProviderKind.ANTHROPIC,
            base_url=server.url,
            **{**defaults, **kwargs},
        )
    )


async def test_streams_text_with_usage_headers_and_system_prompt(server: ModelServer) -> None:
    events = [
        message_start(20, cache_read_input_tokens=5),
        ev("ping"),
        *text_block(0, "Hello", ", world"),
        *finish("end_turn", 9),
    ]
    server.reply("/v1/messages", Reply.sse(events))
    provider = anthropic(server)
    request = ChatRequest(
        model="",
        messages=(
            Message("system", "Be terse."),
            Message("system", "Use French."),
            Message("user", "Hi"),
        ),
        temperature=0.3,
    )
    deltas, final = await collect(provider, request)
    await provider.aclose()
    assert deltas == ["Hello", ", world"]
    assert final.text == "Hello, world"
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (25, 9)
    assert final.finish_reason == "stop"
    assert final.model == "claude-sonnet-4-20250514"
    [received] = server.requests
    assert received.headers["x-api-key"] == "sk-ant-test"
    assert received.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in received.headers
    assert received.json() == {
        "model": "claude-sonnet-4-20250514",
        "max_tokens": 1024,
        "system": "Be terse.\n\nUse French.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        "stream": True,
        "temperature": 0.3,
    }


async def test_tool_use_from_partial_json_and_tool_results_as_user_blocks(
    server: ModelServer,
) -> None:
    events = [
        message_start(),
        *text_block(0, "Checking both."),
        ev(
            "content_block_start",
            index=1,
            content_block={"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}},
        ),
        ev("content_block_delta", index=1, delta={"type": "input_json_delta", "partial_json": ""}),
        ev(
            "content_block_delta",
            index=1,
            delta={"type": "input_json_delta", "partial_json": '{"city": "Par'},
        ),
        ev(
            "content_block_delta",
            index=1,
            delta={"type": "input_json_delta", "partial_json": 'is"}'},
        ),
        ev("content_block_stop", index=1),
        *finish("tool_use", 30),
    ]
    server.reply("/v1/messages", Reply.sse(events))
    provider = anthropic(server)
    history = (
        Message("user", "Weather in Oslo and Rome?"),
        Message(
            "assistant",
            "",
            tool_calls=(
                ToolCall("toolu_a", "get_weather", {"city": "Oslo"}),
                ToolCall("toolu_b", "get_weather", {"city": "Rome"}),
            ),
        ),
        Message("tool", "-3C", tool_call_id="toolu_a", name="get_weather"),
        Message("tool", "18C", tool_call_id="toolu_b", name="get_weather"),
    )
    request = ChatRequest(model="", messages=history, tools=(WEATHER,), max_tokens=300)
    deltas, final = await collect(provider, request)
    await provider.aclose()
    assert deltas == ["Checking both."]
    assert final.tool_calls == (ToolCall("toolu_1", "get_weather", {"city": "Paris"}),)
    assert final.finish_reason == "tool_calls"
    body = server.requests[0].json()
    assert body["max_tokens"] == 300
    assert "system" not in body
    assert body["tools"] == [
        {
            "name": "get_weather",
            "description": "Weather for a city",
            "input_schema": WEATHER.parameters,
        }
    ]
    assert body["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_a",
                    "name": "get_weather",
                    "input": {"city": "Oslo"},
                },
                {
                    "type": "tool_use",
                    "id": "toolu_b",
                    "name": "get_weather",
                    "input": {"city": "Rome"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_a", "content": "-3C"},
                {"type": "tool_result", "tool_use_id": "toolu_b", "content": "18C"},
            ],
        },
    ]


async def test_an_overloaded_error_event_before_output_is_retried(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    overloaded = Reply.sse(
        [message_start(), ev("error", error={"type": "overloaded_error", "message": "Overloaded"})]
    )
    ok = Reply.sse([message_start(), *text_block(0, "fine"), *finish("end_turn", 1)])
    server.reply("/v1/messages", overloaded, ok)
    cfg = ProviderConfig(name="claude", kind=ProviderKind.ANTHROPIC, base_url=server.url, model="m")
    provider = build_provider(cfg, all_providers={"claude": cfg}, sleep=sleeps)
    _, final = await collect(provider, HI)
    await provider.aclose()
    assert final.text == "fine"
    assert len(server.requests) == 2
    assert len(sleeps.calls) == 1


async def test_a_stream_without_message_stop_is_incomplete(server: ModelServer) -> None:
    server.reply("/v1/messages", Reply.sse([message_start(), *text_block(0, "Hel")]))
    provider = anthropic(server)
    with pytest.raises(ProviderError, match="ended before the reply was complete"):
        await collect(provider, HI)
    await provider.aclose()


async def test_malformed_tool_input_names_the_tool(server: ModelServer) -> None:
    events = [
        message_start(),
        ev(
            "content_block_start",
            index=0,
            content_block={"type": "tool_use", "id": "t", "name": "get_weather", "input": {}},
        ),
        ev(
            "content_block_delta",
            index=0,
            delta={"type": "input_json_delta", "partial_json": '{"city": '},
        ),
        *finish("max_tokens", 5),
    ]
    server.reply("/v1/messages", Reply.sse(events))
    provider = anthropic(server)
    with pytest.raises(ProviderError, match="tool 'get_weather' with malformed JSON"):
        await collect(provider, HI)
    await provider.aclose()


async def test_403_points_at_the_key(server: ModelServer) -> None:
    error = {
        "type": "error",
        "error": {"type": "permission_error", "message": "Your API key does not have permission"},
    }
    server.reply("/v1/messages", Reply.json(error, 403))
    provider = anthropic(server)
    with pytest.raises(ProviderError, match="check the api_key for provider anthropic") as info:
        await collect(provider, HI)
    await provider.aclose()
    assert "does not have permission" in str(info.value)


async def test_context_window_is_only_what_the_config_says(server: ModelServer) -> None:
    assert await anthropic(server).context_window("claude") is None
    assert await anthropic(server, context_window=200_000).context_window("claude") == 200_000
    assert server.requests == []
