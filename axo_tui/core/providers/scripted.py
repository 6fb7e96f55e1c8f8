"""A deterministic provider for tests and demos: replies come from the config, not a model.

Each agent (`ChatRequest.agent_id`) walks its own script: `ProviderConfig.replies` when it has
an entry for that agent, else the shared `ProviderConfig.script`. Positions are kept per agent
even for the shared script, so agents running in parallel get the same replies whatever order
the scheduler happens to run them in. A script cycles from its start when exhausted.

Step text and string tool arguments may contain `{input}` (the last user message) and
`{last_tool_result}` (the last tool message), so a demo can echo real data through a flow.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

from axo_tui.core.config.schema import ProviderConfig, ScriptedStep
from axo_tui.core.providers.base import (
    ChatRequest,
    Completion,
    Message,
    StreamChunk,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
)
from axo_tui.core.providers.tokens import estimate_prompt_tokens, estimate_reply_tokens

_WORDS = re.compile(r"\s*\S+\s*|\s+")
"""A word with the whitespace around it, so the chunks join back into the exact text."""

ECHO_LIMIT = 200
"""Characters of the input the script-less reply echoes back."""


def _last_content(messages: tuple[Message, ...], role: str) -> str:
    for message in reversed(messages):
        if message.role == role:
            return message.content
    return ""


def _fill(template: str, values: dict[str, str]) -> str:
    # Plain replacement rather than str.format: step text is free prose and may hold braces
    # (JSON, code) that format() would choke on.
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def _fill_arguments(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _fill(value, values)
    if isinstance(value, dict):
        return {key: _fill_arguments(item, values) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_fill_arguments(item, values) for item in value]
    return value


def split_words(text: str) -> list[str]:
    """Split text into word-sized chunks whose concatenation is exactly `text`."""
    return _WORDS.findall(text)


WORDS_PER_YIELD = 8
"""Words streamed between two yields to the event loop."""


class ScriptedProvider:
    """Replies from `ProviderConfig.script` / `.replies`; see the module docstring."""

    def __init__(self, cfg: ProviderConfig) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self._per_agent: dict[str, tuple[ScriptedStep, ...]] = dict(cfg.replies)
        self._positions: dict[str, int] = {}
        self._calls: dict[str, int] = {}

    def _next_step(self, agent: str) -> ScriptedStep | None:
        steps = self._per_agent.get(agent, self.cfg.script)
        if not steps:
            return None
        position = self._positions.get(agent, 0)
        self._positions[agent] = position + 1
        return steps[position % len(steps)]

    def reset(self) -> None:
        """Start every agent's script over."""
        self._positions.clear()
        self._calls.clear()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        agent = request.agent_id or ""
        # Claim the step before the first await so concurrent calls never share a step.
        step = self._next_step(agent)
        turn = self._calls.get(agent, 0)
        self._calls[agent] = turn + 1
        if step is None:
            last_input = _last_content(request.messages, "user")
            step = ScriptedStep(text=f"[{request.agent_id or self.name}] {last_input[:ECHO_LIMIT]}")
        text = step.text
        tool_calls: tuple[ToolCall, ...] = ()
        if "{" in text or step.tool_calls:  # placeholders to fill in
            values = {
                "input": _last_content(request.messages, "user"),
                "last_tool_result": _last_content(request.messages, "tool"),
            }
            text = _fill(text, values)
            tool_calls = tuple(
                ToolCall(
                    id=f"call_{agent or 'scripted'}_{turn}_{index}",
                    name=name,
                    arguments=_fill_arguments(arguments, values),
                )
                for index, (name, arguments) in enumerate(step.tool_calls)
            )
        for index, word in enumerate(split_words(text)):
            yield TextDelta(word)
            if index % WORDS_PER_YIELD == 0:
                # Let other agents' streams interleave, as real ones do; a real stream arrives
                # in network reads of several tokens, not one loop turn per word.
                await asyncio.sleep(0)
        prompt = step.usage_prompt
        if prompt is None:
            prompt = self.count_tokens(request.messages, request.tools)
        completion = step.usage_completion
        if completion is None:
            completion = estimate_reply_tokens(text, tool_calls)
        yield Completion(
            text=text,
            tool_calls=tool_calls,
            usage=Usage(prompt, completion),
            finish_reason="tool_calls" if tool_calls else "stop",
            model=request.model or self.cfg.model or "scripted",
            provider=self.name,
        )

    async def context_window(self, model: str) -> int | None:
        return self.cfg.context_window

    def count_tokens(self, messages: tuple[Message, ...], tools: tuple[ToolSpec, ...]) -> int:
        return estimate_prompt_tokens(messages, tools)

    async def aclose(self) -> None:
        return None
