"""MCP tools offered lazily: a search tool and a use tool over the catalogue.

Seven servers can bring a hundred tools whose definitions would fill a small model's window
before the conversation starts. When an agent's MCP definitions would take more than
EAGER_SHARE of the window, the model gets two small tools instead: `mcp_search_tools` finds
definitions in the catalogue the agent is allowed, `mcp_use_tool` calls one. A use is
unwrapped into the real call before it runs, so approvals, the allow-list, the log and the
journal all see the real tool's name and arguments.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from axo_tui.core.providers.base import ToolCall, ToolSpec
from axo_tui.core.tools.registry import Tool, ToolError

EAGER_SHARE = 0.04
"""Definitions up to this share of the context window are offered as they are."""
DEFAULT_WINDOW = 8192
"""The window assumed when the model's is not known (small local models have about this)."""
SEARCH_TOOL = "mcp_search_tools"
USE_TOOL = "mcp_use_tool"
MAX_MATCHES = 8
CHARS_PER_TOKEN = 4


def estimated_tokens(specs: Sequence[ToolSpec]) -> int:
    """About what the definitions cost in a prompt (JSON text, ~4 characters a token)."""
    text = sum(len(s.name) + len(s.description) + len(json.dumps(s.parameters)) for s in specs)
    return text // CHARS_PER_TOKEN + 1


SEARCH_SPEC = ToolSpec(
    SEARCH_TOOL,
    "Find tools from the connected MCP servers. Returns names, descriptions and argument "
    "schemas; then call one with mcp_use_tool.",
    {
        "type": "object",
        "properties": {"query": {"type": "string", "description": "words to look for"}},
        "required": ["query"],
    },
)
USE_SPEC = ToolSpec(
    USE_TOOL,
    "Call an MCP tool found with mcp_search_tools, by its full name.",
    {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "the tool's name, mcp__<server>__<tool>"},
            "arguments": {"type": "object", "description": "the tool's arguments"},
        },
        "required": ["name"],
    },
)


@dataclass(frozen=True)
class Catalogue:
    """The deferred tools of one turn, behind the search and use tools."""

    tools: tuple[Tool, ...]

    @property
    def specs(self) -> tuple[ToolSpec, ...]:
        return (SEARCH_SPEC, USE_SPEC)

    def search(self, arguments: dict[str, Any]) -> str:
        query = arguments.get("query")
        if not isinstance(query, str):
            raise ToolError(f"'{SEARCH_TOOL}' needs a text 'query'")
        words = [word for word in query.lower().split() if word]

        def score(tool: Tool) -> int:
            text = f"{tool.name} {tool.description}".lower()
            return sum(text.count(word) for word in words) if words else 1

        ranked = sorted(
            (tool for tool in self.tools if score(tool) > 0), key=lambda t: (-score(t), t.name)
        )
        found = [
            {"name": t.name, "description": t.description, "parameters": t.parameters}
            for t in ranked[:MAX_MATCHES]
        ]
        if not found:
            names = ", ".join(tool.name for tool in self.tools[:40])
            return f"no tool matches '{query}'; the tools are: {names}"
        return json.dumps(found, ensure_ascii=False)

    def unwrap(self, call: ToolCall) -> ToolCall:
        """The real call inside an `mcp_use_tool` call."""
        name = call.arguments.get("name")
        arguments = call.arguments.get("arguments", {})
        if not isinstance(name, str) or not any(tool.name == name for tool in self.tools):
            raise ToolError(
                f"'{USE_TOOL}' names no tool this agent has ({name!r}); "
                f"find one with '{SEARCH_TOOL}' first"
            )
        if not isinstance(arguments, dict):
            raise ToolError(f"'arguments' of '{USE_TOOL}' must be a JSON object")
        return ToolCall(call.id, name, arguments)


def offer(tools: Sequence[Tool], window: int | None) -> tuple[list[Tool], Catalogue | None]:
    """The tools to define in the prompt, and the catalogue behind the pair when the
    deferrable ones would take more than EAGER_SHARE of the window."""
    deferrable = [tool for tool in tools if tool.deferrable]
    if not deferrable:
        return list(tools), None
    budget = EAGER_SHARE * (window or DEFAULT_WINDOW)
    if estimated_tokens([tool.spec for tool in deferrable]) <= budget:
        return list(tools), None
    return [tool for tool in tools if not tool.deferrable], Catalogue(tuple(deferrable))
