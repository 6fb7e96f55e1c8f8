"""OpenAI-compatible chat completions over a real socket: SSE, fragmented tool calls, usage."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from axo_tui.core.config.schema import ProviderConfig, ProviderKind
from axo_tui.core.providers.base import ChatRequest, Message, ProviderError, ToolCall, ToolSpec
from axo_tui.core.providers.openai import OpenAIProvider
from axo_tui.core.providers.registry import build_provider
from tests.support.model_server import ModelServer, Reply
from tests.support.providers import RecordingSleep, collect

SEARCH = ToolSpec(
    "web_search", "Search the web", {"type": "object", "properties": {"q": {"type": "string"}}}
)
HI = ChatRequest(model="", messages=(Message("user", "hi"),))


def delta(choice_delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "delta": choice_delta, "finish_reason": finish}],
    }


def usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def openai(base_url: str, **kwargs: Any) -> OpenAIProvider:
    defaults: dict[str, Any] = {"model": "gpt-4o-mini", "timeout_secs": 5.0}
    return OpenAIProvider(
        ProviderConfig(
            name="openai", kind=ProviderKind.OPENAI, base_url=base_url, **{**defaults, **kwargs}
        )
    )


@pytest.mark.parametrize("suffix", ["", "/v1", "/v1/"])
async def test_streams_text_with_usage_auth_and_extra_headers(
    server: ModelServer, suffix: str
) -> None:
    server.reply(
        "/v1/chat/completions",
        Reply.sse(
            [
                delta({"role": "assistant", "content": ""}),
                delta({"content": "Hello"}),
                b": keep-alive comment\n\n",
                delta({"content": " there"}),
                delta({}, finish="stop"),
                usage(12, 3),
            ],
            done=True,
        ),
    )
    provider = openai(
        server.url + suffix, api_key="sk-test", headers=(("HTTP-Referer", "https://axo.dev"),)
    )
    request = ChatRequest(
        model="gpt-4o",
        messages=(Message("system", "Be kind."), Message("user", "Hi")),
        max_tokens=50,
        temperature=0.5,
        top_p=1.0,
    )
    deltas, final = await collect(provider, request)
    await provider.aclose()
    assert deltas == ["Hello", " there"]
    assert final.text == "Hello there"
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (12, 3)
    assert final.model == "gpt-4o-mini-2024-07-18"
    assert final.finish_reason == "stop"
    [received] = server.requests
    assert received.path == "/v1/chat/completions"
    assert received.headers["authorization"] == "Bearer sk-test"
    assert received.headers["http-referer"] == "https://axo.dev"
    assert received.json() == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "Hi"},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 50,
        "temperature": 0.5,
        "top_p": 1.0,
    }


async def test_no_authorization_header_without_an_api_key(server: ModelServer) -> None:
    server.reply("/v1/chat/completions", Reply.sse([delta({"content": "x"}, "stop")], done=True))
    provider = openai(server.url)
    await collect(provider, HI)
    await provider.aclose()
    assert "authorization" not in server.requests[0].headers


async def test_tool_call_arguments_split_across_chunks_are_reassembled(server: ModelServer) -> None:
    def call_piece(index: int, arguments: str, **first: str) -> dict[str, Any]:
        function: dict[str, Any] = {"arguments": arguments}
        if "name" in first:
            function["name"] = first["name"]
        piece: dict[str, Any] = {"index": index, "function": function}
        if "id" in first:
            piece.update(id=first["id"], type="function")
        return delta({"tool_calls": [piece]})

    server.reply(
        "/v1/chat/completions",
        Reply.sse(
            [
                delta({"role": "assistant", "content": None}),
                call_piece(0, "", id="call_a", name="web_search"),
                call_piece(0, '{"q": "photo'),
                call_piece(1, "", id="call_b", name="web_search"),
                call_piece(0, 'synthesis"}'),
                call_piece(1, '{"q"'),
                call_piece(1, ': "chlorophyll"}'),
                delta({}, finish="tool_calls"),
                usage(40, 22),
            ],
            done=True,
        ),
    )
    provider = openai(server.url)
    history = (
        Message("user", "look it up"),
        Message("assistant", "", tool_calls=(ToolCall("call_0", "web_search", {"q": "leaves"}),)),
        Message("tool", "green", tool_call_id="call_0", name="web_search"),
    )
    deltas, final = await collect(
        provider, ChatRequest(model="", messages=history, tools=(SEARCH,))
    )
    await provider.aclose()
    assert deltas == []
    assert final.tool_calls == (
        ToolCall("call_a", "web_search", {"q": "photosynthesis"}),
        ToolCall("call_b", "web_search", {"q": "chlorophyll"}),
    )
    assert final.finish_reason == "tool_calls"
    body = server.requests[0].json()
    assert body["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": "web_search", "arguments": '{"q": "leaves"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_0", "content": "green"},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "web_search",
                "description": "Search the web",
                "parameters": SEARCH.parameters,
            },
        }
    ]


async def test_malformed_tool_arguments_name_the_tool(server: ModelServer) -> None:
    piece = {"index": 0, "id": "c1", "function": {"name": "web_search", "arguments": '{"q": '}}
    server.reply(
        "/v1/chat/completions",
        Reply.sse([delta({"tool_calls": [piece]}), delta({}, "tool_calls")], done=True),
    )
    provider = openai(server.url)
    with pytest.raises(ProviderError, match="tool 'web_search' with malformed JSON arguments"):
        await collect(provider, HI)
    await provider.aclose()


async def test_malformed_sse_data_is_a_clear_error(server: ModelServer) -> None:
    server.reply("/v1/chat/completions", Reply.sse([b"data: {not json}\n\n"]))
    provider = openai(server.url)
    with pytest.raises(ProviderError, match="openai: the server sent malformed JSON"):
        await collect(provider, HI)
    await provider.aclose()


async def test_missing_usage_and_done_are_tolerated_when_a_finish_reason_came(
    server: ModelServer,
) -> None:
    # llama.cpp-style: no usage chunk, no [DONE]; the finish_reason proves the reply is whole.
    server.reply("/v1/chat/completions", Reply.sse([delta({"content": "x" * 35}, "stop")]))
    provider = openai(server.url)
    _, final = await collect(provider, HI)
    await provider.aclose()
    assert final.usage.completion_tokens == 10  # estimated, not zero
    assert final.usage.prompt_tokens == provider.count_tokens(HI.messages, ())


async def test_a_stream_without_end_is_incomplete_and_retryable(server: ModelServer) -> None:
    server.reply("/v1/chat/completions", Reply.sse([delta({"content": "Hel"})]))
    provider = openai(server.url)
    with pytest.raises(ProviderError, match="ended before the reply was complete") as info:
        await collect(provider, HI)
    await provider.aclose()
    assert info.value.retryable


async def test_an_error_event_mid_stream(server: ModelServer) -> None:
    server.reply(
        "/v1/chat/completions",
        Reply.sse([{"error": {"message": "Provider returned error", "code": 502}}]),
    )
    provider = openai(server.url)
    with pytest.raises(ProviderError, match="Provider returned error"):
        await collect(provider, HI)
    await provider.aclose()


async def test_401_says_to_check_the_key(server: ModelServer, sleeps: RecordingSleep) -> None:
    # OpenRouter-style base URL: the version segment is inside the path already.
    cfg = ProviderConfig(
        name="openrouter",
        kind=ProviderKind.OPENAI,
        base_url=server.url + "/api/v1",
        model="m",
        api_key="sk-or-wrong",
    )
    rejected = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
    server.reply("/api/v1/chat/completions", Reply.json(rejected, 401))
    provider = build_provider(cfg, all_providers={"openrouter": cfg}, sleep=sleeps)
    with pytest.raises(ProviderError) as info:
        await collect(provider, HI)
    await provider.aclose()
    assert str(info.value) == (
        f"openrouter: HTTP 401 from {server.url}/api/v1/chat/completions: "
        "Incorrect API key provided (check the api_key for provider openrouter)"
    )
    assert sleeps.calls == []


async def test_5xx_then_success_through_the_registry(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    server.reply(
        "/v1/chat/completions",
        Reply.json({"error": {"message": "upstream"}}, 502),
        Reply.sse([delta({"content": "ok"}, "stop"), usage(1, 1)], done=True),
    )
    cfg = ProviderConfig(name="vllm", kind=ProviderKind.OPENAI, base_url=server.url, model="m")
    provider = build_provider(cfg, all_providers={"vllm": cfg}, sleep=sleeps)
    _, final = await collect(provider, HI)
    await provider.aclose()
    assert final.text == "ok"
    assert len(sleeps.calls) == 1


async def test_context_window_from_the_models_listing(server: ModelServer) -> None:
    listing = {
        "data": [{"id": "other", "max_model_len": 1}, {"id": "qwen", "max_model_len": 32768}]
    }
    server.reply("/v1/models", Reply.json(listing))
    provider = openai(server.url)
    assert await provider.context_window("qwen") == 32768
    assert await provider.context_window("qwen") == 32768
    assert len(server.received("/v1/models")) == 1
    server.reply("/v1/models", Reply.json({"data": []}))
    assert await provider.list_models() == []
    await provider.aclose()


async def test_context_window_is_none_when_the_server_cannot_say(server: ModelServer) -> None:
    server.reply("/v1/models", Reply.json({"error": "nope"}, 404))
    provider = openai(server.url)
    assert await provider.context_window("gpt-4o") is None
    await provider.aclose()


def test_tool_message_arguments_are_serialised_as_json_text() -> None:
    from axo_tui.core.providers.openai import message_to_openai

    call = ToolCall("c", "t", {"a": [1, 2]})
    out = message_to_openai(Message("assistant", "thinking", tool_calls=(call,)))
    assert out["content"] == "thinking"
    assert json.loads(out["tool_calls"][0]["function"]["arguments"]) == {"a": [1, 2]}


async def test_a_server_refusing_stream_options_is_asked_again_without_them(
    server: ModelServer,
) -> None:
    # Mistral's strict validation, verbatim in shape.
    refusal = {
        "object": "error",
        "message": {
            "detail": [
                {
                    "type": "extra_forbidden",
                    "loc": ["body", "stream_options", "include_usage"],
                    "msg": "Extra inputs are not permitted",
                    "input": True,
                }
            ]
        },
        "type": "invalid_request_error",
    }
    ok = Reply.sse([delta({"content": "ok"}, "stop"), usage(5, 1)], done=True)
    server.reply("/v1/chat/completions", Reply.json(refusal, 422), ok, ok)
    provider = openai(server.url)
    _, first = await collect(provider, HI)
    _, second = await collect(provider, HI)
    await provider.aclose()
    assert first.text == second.text == "ok"
    assert first.usage.prompt_tokens == 5
    sent = [r.json() for r in server.requests]
    assert "stream_options" in sent[0]
    assert "stream_options" not in sent[1]
    assert "stream_options" not in sent[2]  # remembered


async def test_official_openai_gets_max_completion_tokens() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = b'data: {"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]}\n\ndata: [DONE]\n\n'
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    cfg = ProviderConfig(name="openai", kind=ProviderKind.OPENAI, api_key="sk", model="o3-mini")
    provider = OpenAIProvider(cfg, transport=httpx.MockTransport(handler))
    await collect(provider, ChatRequest(model="", messages=HI.messages, max_tokens=99))
    await provider.aclose()
    [request] = seen
    assert str(request.url) == "https://api.openai.com/v1/chat/completions"
    body = json.loads(request.content)
    assert body["max_completion_tokens"] == 99
    assert "max_tokens" not in body
