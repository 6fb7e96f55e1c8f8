"""The tool registry and the per-agent allow-list."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axo_tui.core.providers.base import ToolSpec


class ToolError(Exception):
    """A tool refused or failed; the message goes back to the model as the tool's result."""


@dataclass(frozen=True)
class ToolContext:
    """What a tool may know about its caller."""

    agent_id: str
    run_id: str | None
    project_dir: Path
    emit_signal: Callable[[str, str], Awaitable[None]] | None = None
    """Publish a named signal into the ambient lattice (name, payload text)."""
    extras: Mapping[str, Any] = field(default_factory=dict)


ToolFunction = Callable[[ToolContext, dict[str, Any]], Awaitable[str]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    function: ToolFunction
    idempotent: bool = True
    """Safe to run again after a crash: a resumed activation may repeat it."""
    timeout_secs: float = 30.0

    @functools.cached_property
    def spec(self) -> ToolSpec:
        """Built once: the same object every call, so token estimates can be cached by it."""
        return ToolSpec(self.name, self.description, self.parameters)


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        self._tools[tool.name] = tool

    def unregister(self, name: str) -> None:
        self._tools.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def allowed(self, allow_list: Iterable[str] | None) -> list[Tool]:
        """The tools an agent may call: exactly its `tools:` list (none when absent)."""
        if allow_list is None:
            return []
        return [self._tools[name] for name in allow_list if name in self._tools]

    async def call(
        self,
        name: str,
        arguments: dict[str, Any],
        context: ToolContext,
        *,
        allow_list: Iterable[str] | None,
    ) -> str:
        allowed = set(allow_list or ())
        if name not in allowed:
            listed = ", ".join(sorted(allowed)) or "none"
            raise ToolError(
                f"tool '{name}' is not allowed for agent '{context.agent_id}' (its tools: {listed})"
            )
        tool = self._tools.get(name)
        if tool is None:
            raise ToolError(f"tool '{name}' does not exist (known: {', '.join(self.names())})")
        _check_required(tool, arguments)
        try:
            return await asyncio.wait_for(tool.function(context, arguments), tool.timeout_secs)
        except TimeoutError as exc:
            raise ToolError(f"tool '{name}' timed out after {tool.timeout_secs:g}s") from exc
        except ToolError:
            raise
        except Exception as exc:  # a tool bug must not kill the agent loop
            raise ToolError(f"tool '{name}' crashed: {type(exc).__name__}: {exc}") from exc


def _check_required(tool: Tool, arguments: dict[str, Any]) -> None:
    required = tool.parameters.get("required", [])
    missing = [key for key in required if key not in arguments]
    if missing:
        raise ToolError(
            f"tool '{tool.name}' is missing argument(s) {', '.join(missing)}; "
            f"expected {sorted(tool.parameters.get('properties', {}))}"
        )
