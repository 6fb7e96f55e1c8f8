"""The memory tools every agent gets, with Axocoatl's argument names.

    core_memory_append  {block, text}
    core_memory_replace {block, old, new}
    core_memory_set     {block, value}
    recall_search       {query, k}
    recall_timeframe    {date} or {from, to}      (YYYY-MM-DD)

The tools find the calling agent's config in `ToolContext.extras["agent"]` (the runner puts
it there): limits and block labels are per agent, and a tool must see the config the turn
runs with, even while a hot reload swaps the project's config.
"""

from __future__ import annotations

from typing import Any, Protocol

from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.memory.activity_log import (
    ActivityLog,
    ActivityLogError,
    parse_range,
    render_entries,
)
from axo_tui.core.memory.core_blocks import CoreMemory, CoreMemoryError
from axo_tui.core.memory.semantic import RecallHit, SemanticMemoryError
from axo_tui.core.tools import Tool, ToolContext, ToolError

MAX_K = 20
"""recall_search returns at most this many memories, whatever `k` asks for."""
RECALL_TOOL_NAMES = ("recall_search", "recall_timeframe")


def _agent(context: ToolContext) -> AgentConfig:
    agent = context.extras.get("agent")
    if not isinstance(agent, AgentConfig):
        raise ToolError("memory tools need the calling agent's config (not given by the caller)")
    return agent


def _text(arguments: dict[str, Any], name: str, *, allow_empty: bool = False) -> str:
    value = arguments.get(name)
    if not isinstance(value, str):
        got = "nothing" if value is None else type(value).__name__
        raise ToolError(f"'{name}' must be a string (got {got})")
    if not allow_empty and not value.strip():
        raise ToolError(f"'{name}' is empty")
    return value


class ToolMemory(Protocol):
    """The tiers the tools reach (the memory service, which builds them, implements it)."""

    @property
    def core(self) -> CoreMemory: ...

    @property
    def log(self) -> ActivityLog: ...

    async def search(self, agent_id: str, query: str, k: int) -> list[RecallHit]: ...

    def format_hit(self, hit: RecallHit, *, limit: int = ...) -> str: ...


def memory_tools(memory: ToolMemory) -> tuple[Tool, ...]:
    """The memory tools bound to one memory service."""

    async def append(context: ToolContext, arguments: dict[str, Any]) -> str:
        block = _text(arguments, "block")
        text = _text(arguments, "text")
        try:
            result = memory.core.append(_agent(context), block, text)
        except CoreMemoryError as exc:
            raise ToolError(str(exc)) from None
        return f"appended to '{block}' ({result.chars}/{result.limit} characters)"

    async def replace(context: ToolContext, arguments: dict[str, Any]) -> str:
        block = _text(arguments, "block")
        old = _text(arguments, "old")
        new = _text(arguments, "new", allow_empty=True)
        try:
            result = memory.core.replace(_agent(context), block, old, new)
        except CoreMemoryError as exc:
            raise ToolError(str(exc)) from None
        return f"replaced in '{block}' ({result.chars}/{result.limit} characters)"

    async def set_value(context: ToolContext, arguments: dict[str, Any]) -> str:
        block = _text(arguments, "block")
        value = _text(arguments, "value", allow_empty=True)
        try:
            result = memory.core.set(_agent(context), block, value)
        except CoreMemoryError as exc:
            raise ToolError(str(exc)) from None
        return f"set '{block}' ({result.chars}/{result.limit} characters)"

    async def search(context: ToolContext, arguments: dict[str, Any]) -> str:
        agent = _agent(context)
        query = _text(arguments, "query")
        k_raw = arguments.get("k", agent.memory.recall.top_k)
        try:
            k = int(k_raw)
        except (TypeError, ValueError):
            raise ToolError(f"'k' must be a whole number (got {k_raw!r})") from None
        if k < 1:
            raise ToolError(f"'k' must be at least 1 (got {k})")
        try:
            hits = await memory.search(agent.id, query, min(k, MAX_K))
        except SemanticMemoryError as exc:
            raise ToolError(str(exc)) from None
        if not hits:
            return f"no memories match {query!r}"
        return "\n".join(memory.format_hit(hit) for hit in hits)

    async def timeframe(context: ToolContext, arguments: dict[str, Any]) -> str:
        agent = _agent(context)
        try:
            days = parse_range(arguments)
        except ActivityLogError as exc:
            raise ToolError(str(exc)) from None
        return render_entries(memory.log.read(agent.id, days), days)

    string = {"type": "string"}
    return (
        Tool(
            "core_memory_append",
            "Append text to one of your core memory blocks.",
            {
                "type": "object",
                "properties": {"block": string, "text": string},
                "required": ["block", "text"],
            },
            append,
            idempotent=False,
        ),
        Tool(
            "core_memory_replace",
            "Replace exact text in a core memory block (empty new deletes it).",
            {
                "type": "object",
                "properties": {"block": string, "old": string, "new": string},
                "required": ["block", "old", "new"],
            },
            replace,
            idempotent=False,
        ),
        Tool(
            "core_memory_set",
            "Overwrite a whole core memory block.",
            {
                "type": "object",
                "properties": {"block": string, "value": string},
                "required": ["block", "value"],
            },
            set_value,
        ),
        Tool(
            "recall_search",
            "Search your long-term memory of past conversations by meaning.",
            {
                "type": "object",
                "properties": {"query": string, "k": {"type": "integer"}},
                "required": ["query"],
            },
            search,
        ),
        Tool(
            "recall_timeframe",
            "Read your activity log for a day {date} or a range {from, to} (YYYY-MM-DD).",
            {
                "type": "object",
                "properties": {"date": string, "from": string, "to": string},
            },
            timeframe,
        ),
    )
