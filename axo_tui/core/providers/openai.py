"""OpenAI-compatible `/v1/chat/completions` with SSE streaming.

One adapter for OpenAI, OpenRouter, Mistral, LM Studio, vLLM, llama.cpp's server and Ollama's
`/v1`: they all speak this dialect, with small differences handled here (missing `[DONE]`,
missing usage, ids only on a tool call's first fragment).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from axo_tui.core.config.schema import ProviderConfig
from axo_tui.core.providers.base import (
    ChatRequest,
    Completion,
    Message,
    ProviderError,
    StreamChunk,
    TextDelta,
    ToolCall,
    Usage,
)
from axo_tui.core.providers.httpbase import HttpProvider, join_versioned
from axo_tui.core.providers.retry import closing_stream
from axo_tui.core.providers.tokens import estimate_reply_tokens
from axo_tui.core.providers.wire import (
    MODEL_NAME_CHARS,
    ArgumentBudget,
    decode_json,
    error_message,
    function_tool,
    parse_tool_arguments,
    snippet,
    sse_events,
    token_count,
)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
OPENAI_HOST = "api.openai.com"

_FINISH_REASONS = {"stop": "stop", "length": "length", "tool_calls": "tool_calls"}


def message_to_openai(message: Message) -> dict[str, Any]:
    if message.role == "tool":
        return {
            "role": "tool",
            "tool_call_id": message.tool_call_id or "",
            "content": message.content,
        }
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        # The API wants null, not "", beside tool calls from a model that said nothing.
        out["content"] = message.content or None
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call in message.tool_calls
        ]
    return out


def build_chat_body(
    request: ChatRequest,
    model: str,
    *,
    include_usage: bool = True,
    max_tokens_field: str = "max_tokens",
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "messages": [message_to_openai(m) for m in request.messages],
        "stream": True,
    }
    if include_usage:
        # Without this, OpenAI's streamed replies carry no token counts at all.
        body["stream_options"] = {"include_usage": True}
    if request.tools:
        body["tools"] = [function_tool(t) for t in request.tools]
    if request.max_tokens is not None:
        body[max_tokens_field] = request.max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    return body


@dataclass
class _PartialCall:
    """A tool call being streamed: its id and name come once, its arguments in fragments."""

    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class _Reply:
    text: list[str] = field(default_factory=list)
    calls: dict[int, _PartialCall] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    model: str = ""
    done: bool = False


class OpenAIProvider(HttpProvider):
    default_base_url = DEFAULT_BASE_URL
    kind_label = "OpenAI-compatible server"

    def __init__(
        self, cfg: ProviderConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        super().__init__(cfg, transport=transport)
        self._send_stream_options = True
        # OpenAI's own API refuses `max_tokens` for its reasoning models and accepts
        # `max_completion_tokens` for all; compatible servers mostly know only `max_tokens`.
        self._max_tokens_field = (
            "max_completion_tokens"
            if httpx.URL(self.base_url).host == OPENAI_HOST
            else "max_tokens"
        )

    def url(self, path: str) -> str:
        return join_versioned(self.base_url, "v1", path)

    def auth_headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.cfg.api_key}"} if self.cfg.api_key else {}

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        model = self.model_for(request)
        while True:
            body = build_chat_body(
                request,
                model,
                include_usage=self._send_stream_options,
                max_tokens_field=self._max_tokens_field,
            )
            started = False
            try:
                async with closing_stream(self._stream_body(request, model, body)) as chunks:
                    async for chunk in chunks:
                        started = True
                        yield chunk
                return
            except ProviderError as error:
                if started or not self._rejects_stream_options(error):
                    raise
                # Strict servers (Mistral) answer 422 to the unknown field; they report usage
                # on their own. Ask again without it, and stop sending it from now on.
                self._send_stream_options = False

    def _rejects_stream_options(self, error: ProviderError) -> bool:
        return (
            self._send_stream_options
            and error.status in (400, 422)
            and "stream_options" in str(error)
        )

    async def _stream_body(
        self, request: ChatRequest, model: str, body: dict[str, Any]
    ) -> AsyncIterator[StreamChunk]:
        url = self.url("chat/completions")
        reply = _Reply(model=model)
        budget = self.argument_budget(url)
        async with self.post_stream(url, body, model=model) as response:
            lines = self.lines(response, url)
            async for event in sse_events(
                lines, limit=self.line_limit, provider=self.name, url=url
            ):
                if event.data.strip() == "[DONE]":
                    reply.done = True
                    break
                chunk = decode_json(event.data, provider=self.name, url=url)
                delta = self._absorb(chunk, reply, url, budget)
                if delta:
                    yield TextDelta(delta)
        # Some servers omit `[DONE]`; a finish_reason also proves the reply is whole.
        if not reply.done and reply.finish_reason is None:
            raise self.incomplete_stream(url)
        yield self._completion(request, reply, url)

    def _absorb(self, chunk: Any, reply: _Reply, url: str, budget: ArgumentBudget) -> str:
        """Fold one chunk into `reply`; return the text it adds."""
        if not isinstance(chunk, dict):
            return ""
        if "error" in chunk:  # OpenRouter and vLLM report mid-stream failures this way
            raise ProviderError(
                f"{self.name}: {error_message(chunk) or snippet(str(chunk['error']))} ({url})",
                provider=self.name,
                url=url,
            )
        reply.model = str(chunk.get("model") or reply.model)[:MODEL_NAME_CHARS]
        if isinstance(chunk.get("usage"), dict):
            reply.usage = chunk["usage"]
        text = ""
        for choice in chunk.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue  # we never ask for n > 1
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if isinstance(content, str) and content:
                reply.text.append(content)
                text += content
            for piece in delta.get("tool_calls") or ():
                # Every fragment counts, empty ones too: endless tiny calls fill memory as well.
                budget.spend(len(str(piece)))
                partial = reply.calls.setdefault(int(piece.get("index", 0)), _PartialCall())
                partial.id = piece.get("id") or partial.id
                function = piece.get("function") or {}
                partial.name = function.get("name") or partial.name
                if function.get("arguments"):
                    partial.arguments.append(str(function["arguments"]))
            if choice.get("finish_reason"):
                reply.finish_reason = str(choice["finish_reason"])
        return text

    def _tool_calls(self, reply: _Reply, url: str) -> tuple[ToolCall, ...]:
        calls = []
        for index in sorted(reply.calls):
            partial = reply.calls[index]
            arguments = parse_tool_arguments(
                "".join(partial.arguments), tool=partial.name, provider=self.name, url=url
            )
            calls.append(ToolCall(partial.id or f"call_{index}", partial.name, arguments))
        return tuple(calls)

    def _completion(self, request: ChatRequest, reply: _Reply, url: str) -> Completion:
        text = "".join(reply.text)
        tool_calls = self._tool_calls(reply, url)
        usage = reply.usage or {}
        prompt = token_count(usage.get("prompt_tokens"))
        completion = token_count(usage.get("completion_tokens"))
        # Servers that ignore `stream_options` send no usage: estimate rather than record 0.
        if prompt is None:
            prompt = self.count_tokens(request.messages, request.tools)
        if completion is None:
            completion = estimate_reply_tokens(text, tool_calls)
        reason = reply.finish_reason or "stop"
        return Completion(
            text=text,
            tool_calls=tool_calls,
            usage=Usage(prompt, completion),
            finish_reason="tool_calls" if tool_calls else _FINISH_REASONS.get(reason, reason),
            model=reply.model,
            provider=self.name,
        )

    async def list_models(self) -> list[str]:
        """Model ids the endpoint serves (`GET /v1/models`)."""
        listing = await self.request_json("GET", self.url("models"))
        data = listing.get("data", []) if isinstance(listing, dict) else []
        return [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]

    async def context_window(self, model: str) -> int | None:
        """From the config, else from `/v1/models` where the server publishes it.

        vLLM says `max_model_len`, OpenRouter `context_length`; OpenAI itself says nothing,
        and then the answer is None rather than a guess. Failures are not errors here: the
        listing is an optional extra of most servers.
        """
        if self.cfg.context_window is not None:
            return self.cfg.context_window
        if model not in self._context_windows:
            try:
                listing = await self.request_json("GET", self.url("models"))
            except ProviderError:
                return None
            self._context_windows[model] = _advertised_window(listing, model)
        return self._context_windows[model]


def _advertised_window(listing: Any, model: str) -> int | None:
    data = listing.get("data", []) if isinstance(listing, dict) else []
    for entry in data:
        if isinstance(entry, dict) and entry.get("id") == model:
            for key in ("max_model_len", "context_length", "context_window"):
                if isinstance(entry.get(key), int):
                    return int(entry[key])
    return None
