"""A cheap, deterministic token estimate shared by every provider.

Budgets are checked *before* a call, so they need a number without a round trip and without
loading a tokenizer per model. English text with BPE tokenizers averages 3.5-4 characters per
token; dividing by 3.5 errs on the high side, which is the safe side for a budget check.
"""

from __future__ import annotations

import json
import math
from typing import Any

from axo_tui.core.providers.base import Message, ToolCall, ToolSpec

CHARS_PER_TOKEN = 3.5
MESSAGE_OVERHEAD = 4
"""Role markers and separators each chat message costs in the model's template."""
REPLY_PRIMING = 3
"""The tokens that open the assistant's reply."""
TOOL_OVERHEAD = 8
"""The wrapper text a chat template puts around each tool definition."""


def estimate_text_tokens(text: str) -> int:
    """Tokens in a piece of text: characters / 3.5, rounded up."""
    if not text:
        return 0
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _json_tokens(value: Any) -> int:
    # sort_keys keeps the estimate independent of dict insertion order.
    return estimate_text_tokens(json.dumps(value, sort_keys=True, ensure_ascii=False))


_TOOL_CACHE: dict[int, tuple[ToolSpec, int]] = {}
"""Estimate of each spec seen, by identity; the entry holds the spec, so its id is not reused.
Specs are built once per tool (`Tool.spec` is cached) and their schemas are not edited in
place, so re-serialising every schema on every call would only repeat the same answer."""
_TOOL_CACHE_MAX = 4096


def _tool_tokens(tool: ToolSpec) -> int:
    entry = _TOOL_CACHE.get(id(tool))
    if entry is not None and entry[0] is tool:
        return entry[1]
    tokens = (
        TOOL_OVERHEAD
        + estimate_text_tokens(tool.name)
        + estimate_text_tokens(tool.description)
        + _json_tokens(tool.parameters)
    )
    if len(_TOOL_CACHE) >= _TOOL_CACHE_MAX:
        _TOOL_CACHE.clear()  # specs built on the fly (tests, plugins): never grow without end
    _TOOL_CACHE[id(tool)] = (tool, tokens)
    return tokens


def estimate_tool_tokens(tools: tuple[ToolSpec, ...]) -> int:
    """Tokens the tool definitions add to the prompt."""
    return sum(_tool_tokens(tool) for tool in tools)


def estimate_reply_tokens(text: str, tool_calls: tuple[ToolCall, ...] = ()) -> int:
    """Tokens a model spent producing a reply: its text and its tool calls."""
    return estimate_text_tokens(text) + sum(
        estimate_text_tokens(call.name) + _json_tokens(call.arguments) for call in tool_calls
    )


def estimate_message_tokens(message: Message) -> int:
    """Tokens one message costs, including the tool calls it carries."""
    return MESSAGE_OVERHEAD + estimate_reply_tokens(message.content, message.tool_calls)


def estimate_prompt_tokens(messages: tuple[Message, ...], tools: tuple[ToolSpec, ...] = ()) -> int:
    """The estimate behind every provider's `count_tokens`."""
    return (
        sum(estimate_message_tokens(message) for message in messages)
        + estimate_tool_tokens(tools)
        + REPLY_PRIMING
    )
