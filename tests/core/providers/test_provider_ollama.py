"""Ollama over a real socket: /api/chat NDJSON, tool calls, /api/show, /api/tags, errors."""

from __future__ import annotations

from typing import Any

import pytest

from axo_tui.core.config.schema import ProviderConfig, ProviderKind
from axo_tui.core.providers.base import (
    ChatRequest,
    Message,
    ProviderError,
    ToolCall,
    ToolSpec,
)
from axo_tui.core.providers.ollama import OllamaProvider
from tests.support.model_server import ModelServer, Reply
from tests.support.providers import collect

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def chunk(content: str, **extra: Any) -> dict[str, Any]:
    return {
        "model": "llama3.2",
        "message": {"role": "assistant", "content": content},
        "done": False,
        **extra,
    }


def done(prompt: int = 26, completion: int = 5, reason: str = "stop") -> dict[str, Any]:
    return {
        "model": "llama3.2",
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": reason,
        "prompt_eval_count": prompt,
        "eval_count": completion,
    }


def ollama(server: ModelServer, **kwargs: Any) -> OllamaProvider:
    cfg = ProviderConfig(
        name="ollama", kind=ProviderKind.OLLAMA, base_url=server.url, model="llama3.2", **kwargs
    )
    return OllamaProvider(cfg)


async def test_streams_text_and_reports_real_usage(server: ModelServer) -> None:
    server.reply("/api/chat", Reply.ndjson([chunk("Hel"), chunk("lo!"), done(31, 2)]))
    provider = ollama(server)
    request = ChatRequest(
        model="llama3.2:1b",
        messages=(Message("system", "Be brief."), Message("user", "Hi")),
        max_tokens=64,
        temperature=0.2,
        top_p=0.9,
    )
    deltas, final = await collect(provider, request)
    await provider.aclose()
    assert deltas == ["Hel", "lo!"]
    assert final.text == "Hello!"
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (31, 2)
    assert final.finish_reason == "stop"
    assert final.provider == "ollama"
    [received] = server.requests
    assert received.method == "POST"
    assert "authorization" not in received.headers
    assert received.json() == {
        "model": "llama3.2:1b",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
        "stream": True,
        "options": {"num_predict": 64, "temperature": 0.2, "top_p": 0.9},
    }


async def test_native_tool_calls_and_tool_results_mapping(server: ModelServer) -> None:
    call = {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    server.reply(
        "/api/chat",
        Reply.ndjson(
            [
                chunk("", message={"role": "assistant", "content": "", "tool_calls": [call]}),
                done(reason="stop"),
            ]
        ),
    )
    provider = ollama(server)
    history = (
        Message("user", "Weather in Oslo, then Paris?"),
        Message(
            "assistant",
            "",
            tool_calls=(ToolCall("call_0", "get_weather", {"city": "Oslo"}),),
        ),
        Message("tool", '{"temp": -3}', tool_call_id="call_0", name="get_weather"),
    )
    _, final = await collect(provider, ChatRequest(model="", messages=history, tools=(WEATHER,)))
    await provider.aclose()
    assert final.tool_calls == (ToolCall("call_0", "get_weather", {"city": "Paris"}),)
    assert final.finish_reason == "tool_calls"
    body = server.requests[0].json()
    assert body["model"] == "llama3.2"  # the provider's model when the request has none
    assert "options" not in body
    assert body["messages"][1:] == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}],
        },
        {"role": "tool", "content": '{"temp": -3}', "tool_name": "get_weather"},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather for a city",
                "parameters": WEATHER.parameters,
            },
        }
    ]


async def test_an_error_line_after_the_status_is_a_clear_error(server: ModelServer) -> None:
    server.reply("/api/chat", Reply.ndjson([{"error": "model requires more system memory"}]))
    provider = ollama(server)
    with pytest.raises(ProviderError, match="requires more system memory"):
        await collect(provider, ChatRequest(model="", messages=(Message("user", "hi"),)))
    await provider.aclose()


async def test_missing_model_says_to_pull_it(server: ModelServer) -> None:
    server.reply("/api/chat", Reply.json({"error": "model 'qwen3' not found"}, 404))
    provider = ollama(server)
    with pytest.raises(ProviderError, match=r"run `ollama pull qwen3`") as info:
        await collect(provider, ChatRequest(model="qwen3", messages=(Message("user", "hi"),)))
    await provider.aclose()
    assert info.value.status == 404
    assert not info.value.retryable


async def test_context_window_comes_from_api_show_and_is_cached(server: ModelServer) -> None:
    show = {
        "parameters": 'stop "<|eot_id|>"',
        "model_info": {"general.architecture": "llama", "llama.context_length": 131072},
    }
    server.reply("/api/show", Reply.json(show))
    provider = ollama(server)
    assert await provider.context_window("llama3.2") == 131072
    assert await provider.context_window("llama3.2") == 131072
    await provider.aclose()
    assert [r.json() for r in server.received("/api/show")] == [{"model": "llama3.2"}]


async def test_context_window_is_capped_by_a_configured_num_ctx(server: ModelServer) -> None:
    show = {
        "parameters": "num_ctx 8192\ntemperature 0.7",
        "model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768},
    }
    server.reply("/api/show", Reply.json(show))
    provider = ollama(server)
    assert await provider.context_window("qwen2.5") == 8192
    await provider.aclose()


async def test_configured_context_window_wins_without_a_request(server: ModelServer) -> None:
    provider = ollama(server, context_window=2048)
    assert await provider.context_window("llama3.2") == 2048
    await provider.aclose()
    assert server.requests == []


async def test_list_models_reads_api_tags(server: ModelServer) -> None:
    server.reply(
        "/api/tags",
        Reply.json({"models": [{"name": "llama3.2:latest", "size": 1}, {"name": "qwen3:4b"}]}),
    )
    provider = ollama(server)
    assert await provider.list_models() == ["llama3.2:latest", "qwen3:4b"]
    await provider.aclose()


async def test_an_api_key_is_sent_as_a_bearer_token(server: ModelServer) -> None:
    server.reply("/api/chat", Reply.ndjson([chunk("ok"), done()]))
    provider = ollama(server, api_key="proxy-secret")
    await collect(provider, ChatRequest(model="", messages=(Message("user", "hi"),)))
    await provider.aclose()
    assert server.requests[0].headers["authorization"] == "Bearer proxy-secret"
