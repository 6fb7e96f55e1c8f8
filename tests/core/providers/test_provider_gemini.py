"""Gemini streamGenerateContent over a real socket: SSE, function calls, usageMetadata."""

from __future__ import annotations

from typing import Any

import pytest

from axo_tui.core.config.schema import ProviderConfig, ProviderKind
from axo_tui.core.providers.base import ChatRequest, Message, ProviderError, ToolCall, ToolSpec
from axo_tui.core.providers.gemini import GeminiProvider
from tests.support.model_server import ModelServer, Reply
from tests.support.providers import collect

STREAM_PATH = "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
LOOKUP = ToolSpec(
    "lookup",
    "Look a term up",
    {
        "type": "object",
        "properties": {"term": {"type": "string", "default": "x"}},
        "required": ["term"],
        "additionalProperties": False,
    },
)
NOW = ToolSpec("now", "The current time")  # no parameters at all


def candidate(
    parts: list[dict[str, Any]], finish: str | None = None, **extra: Any
) -> dict[str, Any]:
    cand: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        cand["finishReason"] = finish
    return {"candidates": [cand], "modelVersion": "gemini-2.0-flash-001", **extra}


def usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "usageMetadata": {
            "promptTokenCount": prompt,
            "candidatesTokenCount": completion,
            "totalTokenCount": prompt + completion,
        }
    }


def gemini(server: ModelServer, **kwargs: Any) -> GeminiProvider:
    defaults: dict[str, Any] = {
        "model": "gemini-2.0-flash",
        "api_key": "AIza-test",
        "timeout_secs": 5.0,
    }
    return GeminiProvider(
        ProviderConfig(
            name="gemini", kind=ProviderKind.GEMINI, base_url=server.url, **{**defaults, **kwargs}
        )
    )


async def test_streams_text_with_usage_key_and_request_shape(server: ModelServer) -> None:
    server.reply(
        STREAM_PATH,
        Reply.sse(
            [
                candidate([{"text": "Bonjour"}]),
                candidate([{"text": " le monde"}], "STOP", **usage(14, 4)),
            ]
        ),
    )
    provider = gemini(server)
    request = ChatRequest(
        model="models/gemini-2.0-flash",
        messages=(
            Message("system", "Answer in French."),
            Message("user", "Say hello"),
            Message("assistant", "Salut"),
            Message("user", "Again"),
        ),
        max_tokens=100,
        temperature=0.1,
        top_p=0.8,
    )
    deltas, final = await collect(provider, request)
    await provider.aclose()
    assert deltas == ["Bonjour", " le monde"]
    assert final.text == "Bonjour le monde"
    assert (final.usage.prompt_tokens, final.usage.completion_tokens) == (14, 4)
    assert final.finish_reason == "stop"
    assert final.model == "gemini-2.0-flash-001"
    [received] = server.requests
    assert received.path == STREAM_PATH
    assert received.query == {"alt": ["sse"]}
    assert received.headers["x-goog-api-key"] == "AIza-test"
    assert received.json() == {
        "contents": [
            {"role": "user", "parts": [{"text": "Say hello"}]},
            {"role": "model", "parts": [{"text": "Salut"}]},
            {"role": "user", "parts": [{"text": "Again"}]},
        ],
        "systemInstruction": {"parts": [{"text": "Answer in French."}]},
        "generationConfig": {"maxOutputTokens": 100, "temperature": 0.1, "topP": 0.8},
    }


async def test_function_calls_get_ids_and_tool_results_become_function_responses(
    server: ModelServer,
) -> None:
    server.reply(
        STREAM_PATH,
        Reply.sse(
            [
                candidate(
                    [
                        {"functionCall": {"name": "lookup", "args": {"term": "chlorophyll"}}},
                        {"functionCall": {"name": "now", "args": {}}},
                    ],
                    "STOP",
                    **usage(50, 12),
                )
            ]
        ),
    )
    provider = gemini(server)
    history = (
        Message("user", "define it"),
        Message(
            "assistant",
            "",
            tool_calls=(ToolCall("c1", "lookup", {"term": "leaf"}), ToolCall("c2", "now", {})),
        ),
        # No `name` on the first result: it must be found through the call id.
        Message("tool", '{"definition": "a plant organ"}', tool_call_id="c1"),
        Message("tool", "12:00", tool_call_id="c2", name="now"),
    )
    _, final = await collect(provider, ChatRequest(model="", messages=history, tools=(LOOKUP, NOW)))
    await provider.aclose()
    assert [(c.name, c.arguments) for c in final.tool_calls] == [
        ("lookup", {"term": "chlorophyll"}),
        ("now", {}),
    ]
    ids = [c.id for c in final.tool_calls]
    assert all(ids) and len(set(ids)) == 2
    assert final.finish_reason == "tool_calls"
    body = server.requests[0].json()
    assert body["contents"][1:] == [
        {
            "role": "model",
            "parts": [
                {"functionCall": {"name": "lookup", "args": {"term": "leaf"}}},
                {"functionCall": {"name": "now", "args": {}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "name": "lookup",
                        "response": {"definition": "a plant organ"},
                    }
                },
                {"functionResponse": {"name": "now", "response": {"result": "12:00"}}},
            ],
        },
    ]
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "lookup",
                    "description": "Look a term up",
                    "parameters": {
                        "type": "object",
                        "properties": {"term": {"type": "string"}},
                        "required": ["term"],
                    },
                },
                {"name": "now", "description": "The current time"},
            ]
        }
    ]


async def test_a_blocked_prompt_is_a_clear_error(server: ModelServer) -> None:
    server.reply(STREAM_PATH, Reply.sse([{"promptFeedback": {"blockReason": "SAFETY"}}]))
    provider = gemini(server)
    with pytest.raises(ProviderError, match=r"blocked \(SAFETY\)"):
        await collect(provider, ChatRequest(model="", messages=(Message("user", "x"),)))
    await provider.aclose()


async def test_a_stream_without_finish_reason_is_incomplete(server: ModelServer) -> None:
    server.reply(STREAM_PATH, Reply.sse([candidate([{"text": "Bon"}])]))
    provider = gemini(server)
    with pytest.raises(ProviderError, match="ended before the reply was complete") as info:
        await collect(provider, ChatRequest(model="", messages=(Message("user", "x"),)))
    await provider.aclose()
    assert info.value.retryable


async def test_400_is_not_retryable_and_quotes_the_api(server: ModelServer) -> None:
    error = {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
        }
    }
    server.reply(STREAM_PATH, Reply.json(error, 400))
    provider = gemini(server)
    with pytest.raises(ProviderError, match="API key not valid") as info:
        await collect(provider, ChatRequest(model="", messages=(Message("user", "x"),)))
    await provider.aclose()
    assert not info.value.retryable


async def test_context_window_is_the_input_token_limit(server: ModelServer) -> None:
    server.reply(
        "/v1beta/models/gemini-2.0-flash",
        Reply.json(
            {
                "name": "models/gemini-2.0-flash",
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 8192,
            }
        ),
    )
    provider = gemini(server)
    assert await provider.context_window("gemini-2.0-flash") == 1048576
    assert await provider.context_window("gemini-2.0-flash") == 1048576
    await provider.aclose()
    assert len(server.requests) == 1
    assert server.requests[0].method == "GET"
