"""The tool registry and the per-agent allow-list."""

from __future__ import annotations

import asyncio
import dataclasses
import fnmatch
import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axo_tui.core.base.errors import AxoError
from axo_tui.core.providers.base import ToolSpec

GLOB_CHARACTERS = frozenset("*?[")
MAX_RESULT_CHARS = 100_000
"""A tool result longer than this is cut (with a note saying so) before the model sees it:
one call must not flood the prompt, the journal and the logs."""


class ToolError(AxoError):
    """A tool refused or failed; the message goes back to the model as the tool's result."""


@dataclass(frozen=True)
class ToolContext:
    """What a tool may know about its caller."""

    agent_id: str
    run_id: str | None
    project_dir: Path
    emit_signal: Callable[[str, str], Awaitable[None]] | None = None
    """Publish a named signal into the ambient lattice (name, payload text)."""
    private_dirs: tuple[Path, ...] = ()
    """Folders no tool may read or list, wherever they are (the data directory)."""
    extras: Mapping[str, Any] = field(default_factory=dict)
    threads: Executor | None = None
    """Where blocking tools run (`off_loop`): the registry's own threads, set by `call`."""


ToolFunction = Callable[[ToolContext, dict[str, Any]], Awaitable[str]]
BlockingToolFunction = Callable[[ToolContext, dict[str, Any]], str]

TOOL_THREADS = 4
"""Threads of a registry's pool for blocking tool work: not the event loop, nor the loop's
default executor that other parts of the runtime share."""


def off_loop(function: BlockingToolFunction) -> ToolFunction:
    """An async tool that runs blocking `function` on a worker thread.

    The loop stays free and the tool's timeout fires on time even while the work goes on.
    A thread cannot be killed, so the work must still be bounded (as the calculator's is).
    The thread is the calling registry's (`context.threads`), ended by its `close`.
    """

    @functools.wraps(function)
    async def run(context: ToolContext, arguments: dict[str, Any]) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(context.threads, function, context, arguments)

    return run


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    function: ToolFunction
    idempotent: bool = True
    """Safe to run again after a crash: a resumed activation may repeat it."""
    timeout_secs: float = 30.0
    needs_approval: bool = False
    """It acts on the world (writes, runs commands): unless the config says `never` for
    it, every call waits for a human or a remembered decision (`runtime.approvals`)."""
    deferrable: bool = False
    """An MCP tool: offered through the `mcp_search_tools` catalogue when an agent's MCP
    definitions would take too much of the context window (see `tools.catalogue`)."""

    @functools.cached_property
    def spec(self) -> ToolSpec:
        """Built once: the same object every call, so token estimates can be cached by it."""
        return ToolSpec(self.name, self.description, self.parameters)


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._threads: ThreadPoolExecutor | None = None
        """Started at the first tool call; `close` ends it (the Runtime's close does)."""
        self._warmups: list[Callable[[Iterable[str] | None], Awaitable[None]]] = []
        for tool in tools:
            self.register(tool)

    def close(self) -> None:
        """End the pool of blocking tools, waiting for the work in it; a later call starts
        a new one."""
        threads, self._threads = self._threads, None
        if threads is not None:
            threads.shutdown(wait=True)

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

    def add_warmup(self, warmup: Callable[[Iterable[str] | None], Awaitable[None]]) -> None:
        """Something to await before a turn offers tools (MCP servers still starting)."""
        self._warmups.append(warmup)

    async def ready(self, allow_list: Iterable[str] | None) -> None:
        """Once the tools an allow-list may name are registered (or failed to come)."""
        for warmup in self._warmups:
            await warmup(allow_list)

    def allowed(self, allow_list: Iterable[str] | None) -> list[Tool]:
        """The tools an agent may call: those its `tools:` list names, exactly or by glob
        (`mcp__fs__*`), in list order (none when absent)."""
        if allow_list is None:
            return []
        found: dict[str, Tool] = {}
        for entry in allow_list:
            if GLOB_CHARACTERS & set(entry):
                for name in sorted(self._tools):
                    if fnmatch.fnmatchcase(name, entry):
                        found.setdefault(name, self._tools[name])
            elif entry in self._tools:
                found.setdefault(entry, self._tools[entry])
        return list(found.values())

    async def call(
        self,
        name: str,
        arguments: dict[str, Any],
        context: ToolContext,
        *,
        allow_list: Iterable[str] | None,
    ) -> str:
        allowed = tuple(allow_list or ())
        if not permits(allowed, name):
            listed = ", ".join(sorted(allowed)) or "none"
            raise ToolError(
                f"tool '{name}' is not allowed for agent '{context.agent_id}' (its tools: {listed})"
            )
        tool = self._tools.get(name)
        if tool is None:
            raise ToolError(f"tool '{name}' does not exist (known: {', '.join(self.names())})")
        if not isinstance(arguments, dict):
            raise ToolError(f"the arguments of tool '{name}' must be a JSON object")
        _check_required(tool, arguments)
        if context.threads is None:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(TOOL_THREADS, thread_name_prefix="axo-tool")
            context = dataclasses.replace(context, threads=self._threads)
        try:
            result = await asyncio.wait_for(tool.function(context, arguments), tool.timeout_secs)
        except TimeoutError as exc:
            raise ToolError(f"tool '{name}' timed out after {tool.timeout_secs:g}s") from exc
        except ToolError:
            raise
        except Exception as exc:  # a tool bug must not kill the agent loop
            raise ToolError(f"tool '{name}' crashed: {type(exc).__name__}: {exc}") from exc
        return cap_result(result if isinstance(result, str) else str(result))


def permits(allow_list: Iterable[str] | None, name: str) -> bool:
    """Whether an agent's `tools:` names `name`, exactly or by a glob such as `mcp__fs__*`."""
    for entry in allow_list or ():
        if entry == name or (GLOB_CHARACTERS & set(entry) and fnmatch.fnmatchcase(name, entry)):
            return True
    return False


def cap_result(text: str) -> str:
    """`text`, or its first MAX_RESULT_CHARS characters and a note that it was cut."""
    if len(text) <= MAX_RESULT_CHARS:
        return text
    return (
        f"{text[:MAX_RESULT_CHARS]}\n[result cut: the tool returned {len(text)} characters; "
        f"only the first {MAX_RESULT_CHARS} are shown]"
    )


def _check_required(tool: Tool, arguments: dict[str, Any]) -> None:
    required = tool.parameters.get("required", [])
    missing = [key for key in required if key not in arguments]
    if missing:
        raise ToolError(
            f"tool '{tool.name}' is missing argument(s) {', '.join(missing)}; "
            f"expected {sorted(tool.parameters.get('properties', {}))}"
        )
