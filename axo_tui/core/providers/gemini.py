"""Google's Gemini API: `streamGenerateContent` over SSE, function calling, `usageMetadata`."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from axo_tui.core.providers.base import (
    ChatRequest,
    Completion,
    Message,
    ProviderError,
    StreamChunk,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
)
from axo_tui.core.providers.httpbase import HttpProvider, join_versioned
from axo_tui.core.providers.tokens import estimate_reply_tokens
from axo_tui.core.providers.wire import (
    MODEL_NAME_CHARS,
    ArgumentBudget,
    decode_json,
    error_message,
    sse_events,
    token_count,
)

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"

_FINISH_REASONS = {"STOP": "stop", "MAX_TOKENS": "length"}
_UNSUPPORTED_SCHEMA_KEYS = frozenset(
    {"$schema", "$id", "additionalProperties", "default", "examples"}
)
"""JSON-schema keywords Gemini's OpenAPI-subset schema rejects with a 400."""


def _model_path(model: str) -> str:
    return model.removeprefix("models/")


def gemini_schema(schema: Any) -> Any:
    """A JSON schema trimmed to what Gemini's function declarations accept."""
    if isinstance(schema, dict):
        return {
            key: gemini_schema(value)
            for key, value in schema.items()
            if key not in _UNSUPPORTED_SCHEMA_KEYS
        }
    if isinstance(schema, list):
        return [gemini_schema(item) for item in schema]
    return schema


def tool_to_gemini(tool: ToolSpec) -> dict[str, Any]:
    declaration: dict[str, Any] = {"name": tool.name, "description": tool.description}
    # An object schema without properties is rejected ("should be non-empty for OBJECT
    # type"); a tool without arguments simply declares no parameters.
    if tool.parameters.get("properties"):
        declaration["parameters"] = gemini_schema(tool.parameters)
    return declaration


def _tool_response(content: str) -> dict[str, Any]:
    """`functionResponse.response` must be an object: keep JSON objects, wrap anything else."""
    try:
        value = json.loads(content)
    except json.JSONDecodeError:
        value = None
    return value if isinstance(value, dict) else {"result": content}


def contents_to_gemini(messages: tuple[Message, ...]) -> tuple[str, list[dict[str, Any]]]:
    """(system instruction, contents). Tool results are `functionResponse` parts of a user turn.

    Gemini matches a result to its call by function name, not id, so a tool message without
    `name` gets it from the call its `tool_call_id` answers. Consecutive turns of one role
    are merged: the results of parallel calls must come together in one turn.
    """
    system = "\n\n".join(m.content for m in messages if m.role == "system" and m.content)
    names_by_call_id: dict[str, str] = {}
    contents: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        parts: list[dict[str, Any]] = []
        if message.role == "tool":
            name = message.name or names_by_call_id.get(message.tool_call_id or "", "")
            parts.append(
                {"functionResponse": {"name": name, "response": _tool_response(message.content)}}
            )
        else:
            if message.content:
                parts.append({"text": message.content})
            for call in message.tool_calls:
                names_by_call_id[call.id] = call.name
                parts.append({"functionCall": {"name": call.name, "args": call.arguments}})
        role = "model" if message.role == "assistant" else "user"
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        elif parts:
            contents.append({"role": role, "parts": parts})
    return system, contents


def build_generate_body(request: ChatRequest) -> dict[str, Any]:
    system, contents = contents_to_gemini(request.messages)
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    if request.tools:
        body["tools"] = [{"functionDeclarations": [tool_to_gemini(t) for t in request.tools]}]
    generation: dict[str, Any] = {}
    if request.max_tokens is not None:
        generation["maxOutputTokens"] = request.max_tokens
    if request.temperature is not None:
        generation["temperature"] = request.temperature
    if request.top_p is not None:
        generation["topP"] = request.top_p
    if generation:
        body["generationConfig"] = generation
    return body


@dataclass
class _Reply:
    model: str
    text: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)


class GeminiProvider(HttpProvider):
    default_base_url = DEFAULT_BASE_URL
    kind_label = "Gemini API"

    def auth_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.cfg.api_key} if self.cfg.api_key else {}

    def model_url(self, model: str, suffix: str = "") -> str:
        return join_versioned(self.base_url, "v1beta", f"models/{_model_path(model)}{suffix}")

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        model = self.model_for(request)
        url = self.model_url(model, ":streamGenerateContent?alt=sse")
        reply = _Reply(model=_model_path(model))
        budget = self.argument_budget(url)
        async with self.post_stream(url, build_generate_body(request), model=model) as response:
            lines = self.lines(response, url)
            async for event in sse_events(
                lines, limit=self.line_limit, provider=self.name, url=url
            ):
                chunk = decode_json(event.data, provider=self.name, url=url)
                if isinstance(chunk, dict):
                    text = self._absorb(chunk, reply, url, budget)
                    if text:
                        yield TextDelta(text)
        # The SSE stream has no end marker; a finishReason is the proof the reply is whole.
        if reply.finish_reason is None:
            raise self.incomplete_stream(url)
        yield self._completion(request, reply)

    def _absorb(
        self, chunk: dict[str, Any], reply: _Reply, url: str, budget: ArgumentBudget
    ) -> str:
        if "error" in chunk:
            raise ProviderError(
                f"{self.name}: {error_message(chunk)} ({url})", provider=self.name, url=url
            )
        blocked = (chunk.get("promptFeedback") or {}).get("blockReason")
        if blocked:
            raise ProviderError(
                f"{self.name}: the prompt was blocked ({blocked}) by the model's safety filters",
                provider=self.name,
                url=url,
            )
        if isinstance(chunk.get("usageMetadata"), dict):
            reply.usage = chunk["usageMetadata"]
        reply.model = str(chunk.get("modelVersion") or reply.model)[:MODEL_NAME_CHARS]
        text = ""
        for candidate in (chunk.get("candidates") or [])[:1]:
            for part in (candidate.get("content") or {}).get("parts") or ():
                if part.get("thought"):
                    continue  # the model's reasoning summary, not its reply
                if isinstance(part.get("text"), str) and part["text"]:
                    reply.text.append(part["text"])
                    text += part["text"]
                if isinstance(part.get("functionCall"), dict):
                    budget.spend(len(str(part["functionCall"])))
                    reply.calls.append(self._tool_call(part["functionCall"]))
            if candidate.get("finishReason"):
                reply.finish_reason = str(candidate["finishReason"])
        return text

    @staticmethod
    def _tool_call(call: dict[str, Any]) -> ToolCall:
        args = call.get("args")
        # Gemini gives no call ids (recent models may); the agent loop needs one per call.
        call_id = call.get("id") or f"call_{uuid.uuid4().hex[:12]}"
        return ToolCall(
            str(call_id), str(call.get("name", "")), args if isinstance(args, dict) else {}
        )

    def _completion(self, request: ChatRequest, reply: _Reply) -> Completion:
        text = "".join(reply.text)
        calls = tuple(reply.calls)
        prompt = token_count(reply.usage.get("promptTokenCount"))
        completion = token_count(reply.usage.get("candidatesTokenCount"))
        thoughts = token_count(reply.usage.get("thoughtsTokenCount"))
        if prompt is None:
            prompt = self.count_tokens(request.messages, request.tools)
        if completion is None:
            completion = estimate_reply_tokens(text, calls)
        if thoughts is not None:
            completion += thoughts  # billed as output, so budgets must see them
        reason = reply.finish_reason or "STOP"
        return Completion(
            text=text,
            tool_calls=calls,
            usage=Usage(prompt, completion),
            finish_reason="tool_calls" if calls else _FINISH_REASONS.get(reason, reason.lower()),
            model=reply.model,
            provider=self.name,
        )

    async def context_window(self, model: str) -> int | None:
        """`inputTokenLimit` from `GET /v1beta/models/{model}`, cached per model."""
        if self.cfg.context_window is not None:
            return self.cfg.context_window
        if model not in self._context_windows:
            info = await self.request_json("GET", self.model_url(model), model=model)
            limit = info.get("inputTokenLimit") if isinstance(info, dict) else None
            self._context_windows[model] = limit if isinstance(limit, int) else None
        return self._context_windows[model]
