"""The wire shapes of the model APIs the fakes speak, for building `Reply`s and answers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tests.support.model_server import Part, Pause, Reply

# -- Ollama ------------------------------------------------------------------------------------


def ollama_tags(*names: str) -> dict[str, Any]:
    """`GET /api/tags`: the models pulled."""
    return {"models": [{"name": name, "model": name} for name in names]}


def ollama_show(architecture: str = "llama", context_length: int = 8192) -> dict[str, Any]:
    """`POST /api/show`: what the onboarding and the provider read of a model."""
    return {
        "model_info": {
            "general.architecture": architecture,
            f"{architecture}.context_length": context_length,
        }
    }


def ollama_chat(model: str, pieces: Sequence[str], *, prompt: int, completion: int) -> Reply:
    """`POST /api/chat`: `pieces` as streamed NDJSON lines, then the done line with usage."""
    lines: list[dict[str, Any]] = [
        {"model": model, "message": {"role": "assistant", "content": piece}, "done": False}
        for piece in pieces
    ]
    lines.append(
        {
            "model": model,
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": prompt,
            "eval_count": completion,
        }
    )
    return Reply.ndjson(lines, framing="length")


# -- OpenAI ------------------------------------------------------------------------------------


def openai_models(*names: str) -> dict[str, Any]:
    """`GET /v1/models`."""
    return {"object": "list", "data": [{"id": name} for name in names]}


def openai_error(message: str, status: int) -> Reply:
    return Reply.json({"error": {"message": message}}, status)


def openai_chat(
    model: str, pieces: Sequence[str], *, prompt: int, completion: int, pause: float = 0.0
) -> Reply:
    """`POST /v1/chat/completions`, streamed: one SSE delta per piece (`pause` seconds apart),
    the finish with usage, then `[DONE]`."""
    body: list[Part] = []
    for piece in pieces:
        if body and pause:
            body.append(Pause(pause))
        chunk = {"model": model, "choices": [{"index": 0, "delta": {"content": piece}}]}
        body.append(_event(chunk))
    finish = {
        "model": model,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
    }
    body += [_event(finish), b"data: [DONE]\n\n"]
    return Reply(headers={"content-type": "text/event-stream"}, body=body)


def _event(obj: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(obj)}\n\n".encode()


def openai_tool_call(
    model: str, name: str, arguments: dict[str, Any], *, call_id: str = "call_1"
) -> Reply:
    """`POST /v1/chat/completions`, streamed: the model asks for one call of `name`."""
    call = {
        "index": 0,
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }
    chunk = {"model": model, "choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}
    finish = {
        "model": model,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 5},
    }
    body: list[Part] = [_event(chunk), _event(finish), b"data: [DONE]\n\n"]
    return Reply(headers={"content-type": "text/event-stream"}, body=body)
