"""Anthropic's Messages API (`/v1/messages`) with SSE streaming and tool use."""

from __future__ import annotations

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
from axo_tui.core.providers.wire import (
    MODEL_NAME_CHARS,
    ArgumentBudget,
    decode_json,
    parse_tool_arguments,
    snippet,
    sse_events,
    token_count,
)

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 1024
"""The API requires max_tokens; this is used when neither the agent nor the call sets one."""

_FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
}
_RETRYABLE_STREAM_ERRORS = frozenset({"overloaded_error", "api_error", "rate_limit_error"})


def _content_blocks(message: Message) -> list[dict[str, Any]]:
    if message.role == "tool":
        return [
            {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id or "",
                "content": message.content,
            }
        ]
    blocks: list[dict[str, Any]] = []
    if message.content:  # the API rejects empty text blocks
        blocks.append({"type": "text", "text": message.content})
    blocks.extend(
        {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        for call in message.tool_calls
    )
    return blocks


def messages_to_anthropic(messages: tuple[Message, ...]) -> tuple[str, list[dict[str, Any]]]:
    """(system prompt, messages) in the API's shape.

    System messages become the top-level `system`; tool results travel as `tool_result`
    blocks in a user turn; consecutive turns of one role are merged, because the API wants
    the results of parallel tool calls in one user message and roles to alternate.
    """
    system = "\n\n".join(m.content for m in messages if m.role == "system" and m.content)
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _content_blocks(message)
        if not blocks:
            continue  # an empty message would be rejected; dropping it changes nothing
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return system, turns


def tool_to_anthropic(tool: ToolSpec) -> dict[str, Any]:
    return {"name": tool.name, "description": tool.description, "input_schema": tool.parameters}


def build_messages_body(request: ChatRequest, model: str) -> dict[str, Any]:
    system, turns = messages_to_anthropic(request.messages)
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": turns,
        "stream": True,
    }
    if system:
        body["system"] = system
    if request.tools:
        body["tools"] = [tool_to_anthropic(t) for t in request.tools]
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    return body


@dataclass
class _Block:
    type: str
    id: str = ""
    name: str = ""
    json_parts: list[str] = field(default_factory=list)


@dataclass
class _Reply:
    model: str
    text: list[str] = field(default_factory=list)
    blocks: dict[int, _Block] = field(default_factory=dict)
    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None
    stopped: bool = False


class AnthropicProvider(HttpProvider):
    default_base_url = DEFAULT_BASE_URL
    kind_label = "Anthropic API"

    def auth_headers(self) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if self.cfg.api_key:
            headers["x-api-key"] = self.cfg.api_key
        return headers

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        model = self.model_for(request)
        url = join_versioned(self.base_url, "v1", "messages")
        reply = _Reply(model=model)
        body = build_messages_body(request, model)
        budget = self.argument_budget(url)
        async with self.post_stream(url, body, model=model) as response:
            lines = self.lines(response, url)
            async for event in sse_events(
                lines, limit=self.line_limit, provider=self.name, url=url
            ):
                data = decode_json(event.data, provider=self.name, url=url)
                if not isinstance(data, dict):
                    continue
                text = self._absorb(data, reply, url, budget)
                if text:
                    yield TextDelta(text)
                if reply.stopped:
                    break
        if not reply.stopped:
            raise self.incomplete_stream(url)
        yield self._completion(request, reply, url)

    def _absorb(self, data: dict[str, Any], reply: _Reply, url: str, budget: ArgumentBudget) -> str:
        """Fold one event into `reply`; return the text it adds."""
        kind = data.get("type")
        if kind == "message_start":
            message = data.get("message") or {}
            reply.model = str(message.get("model") or reply.model)[:MODEL_NAME_CHARS]
            self._usage(message.get("usage"), reply)
        elif kind == "content_block_start":
            budget.spend(len(str(data)))  # endless empty blocks cost memory too
            block = data.get("content_block") or {}
            reply.blocks[int(data.get("index", 0))] = _Block(
                type=str(block.get("type")),
                id=str(block.get("id", "")),
                name=str(block.get("name", "")),
            )
        elif kind == "content_block_delta":
            delta = data.get("delta") or {}
            block = reply.blocks.setdefault(int(data.get("index", 0)), _Block("text"))
            if delta.get("type") == "text_delta" and delta.get("text"):
                reply.text.append(delta["text"])
                return str(delta["text"])
            if delta.get("type") == "input_json_delta":
                part = str(delta.get("partial_json", ""))
                budget.spend(len(part))
                block.json_parts.append(part)
            # thinking and signature deltas are the model's scratchpad, not its reply
        elif kind == "message_delta":
            reply.stop_reason = (data.get("delta") or {}).get("stop_reason") or reply.stop_reason
            self._usage(data.get("usage"), reply)
        elif kind == "message_stop":
            reply.stopped = True
        elif kind == "error":
            error = data.get("error") or {}
            raise ProviderError(
                f"{self.name}: {snippet(str(error.get('type', 'error')), 100)}: "
                f"{snippet(str(error.get('message', '')))} ({url})",
                provider=self.name,
                retryable=error.get("type") in _RETRYABLE_STREAM_ERRORS,
                url=url,
            )
        return ""

    @staticmethod
    def _usage(usage: Any, reply: _Reply) -> None:
        if not isinstance(usage, dict):
            return
        if token_count(usage.get("input_tokens")) is not None:
            # Cached prompt tokens are reported apart from input_tokens but are still prompt.
            reply.input_tokens = sum(
                token_count(usage.get(key)) or 0
                for key in (
                    "input_tokens",
                    "cache_creation_input_tokens",
                    "cache_read_input_tokens",
                )
            )
        output = token_count(usage.get("output_tokens"))
        if output is not None:
            reply.output_tokens = output  # cumulative: the last one wins

    def _completion(self, request: ChatRequest, reply: _Reply, url: str) -> Completion:
        calls = []
        for index in sorted(reply.blocks):
            block = reply.blocks[index]
            if block.type != "tool_use":
                continue
            arguments = parse_tool_arguments(
                "".join(block.json_parts), tool=block.name, provider=self.name, url=url
            )
            calls.append(ToolCall(block.id, block.name, arguments))
        prompt = reply.input_tokens
        if prompt is None:
            prompt = self.count_tokens(request.messages, request.tools)
        reason = reply.stop_reason or "end_turn"
        return Completion(
            text="".join(reply.text),
            tool_calls=tuple(calls),
            usage=Usage(prompt, reply.output_tokens or 0),
            finish_reason="tool_calls" if calls else _FINISH_REASONS.get(reason, reason),
            model=reply.model,
            provider=self.name,
        )

    async def context_window(self, model: str) -> int | None:
        # The API publishes no context length per model; report only what the user configured.
        return self.cfg.context_window
