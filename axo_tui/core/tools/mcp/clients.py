"""The MCP servers of one runtime: started in parallel, their tools in the registry."""

from __future__ import annotations

import asyncio
import fnmatch
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axo_tui.core.config.schema import AgentConfig, McpServerConfig
from axo_tui.core.config.tool_names import GLOB_CHARACTERS, MCP_PREFIX, mcp_server_of
from axo_tui.core.tools.mcp.connection import (
    McpConnection,
    McpServerStatus,
    McpToolInfo,
    ServerState,
)
from axo_tui.core.tools.registry import Tool, ToolContext, ToolError, ToolRegistry

CALL_TIMEOUT_MARGIN_SECS = 5.0
"""The registry's own timeout sits past the server's `call_timeout_secs`, whose error is
the clearer one (it names the server and the setting)."""


@dataclass(frozen=True)
class McpCallDone:
    """One tool call sent to a server, ended: what `remote.call` reports."""

    server: str
    tool: str
    agent_id: str
    run_id: str | None
    duration_s: float
    error: str | None = None


class McpClients:
    """Every configured server, one `McpConnection` (one owner task) each.

    `start()` in a running loop starts them all at once; a tool joins the registry as
    `mcp__<server>__<tool>` when its server is ready and leaves when it fails. `notify`
    receives one-line reports (a server failed, an agent names a tool its server lacks).
    """

    def __init__(
        self,
        servers: Sequence[McpServerConfig],
        registry: ToolRegistry,
        *,
        project_dir: Path,
        log_dir: Path | None = None,
        agents: Sequence[AgentConfig] = (),
        notify: Callable[[str], None] | None = None,
        on_change: Callable[[McpServerStatus], None] | None = None,
        on_call: Callable[[McpCallDone], None] | None = None,
        retry: bool = True,
    ) -> None:
        self._registry = registry
        self._on_call = on_call
        self._agents = tuple(agents)
        self._notify = notify
        self._on_change = on_change
        self._registered: dict[str, set[str]] = {}
        self._reported: dict[str, tuple[ServerState, str | None]] = {}
        self.connections = {
            server.name: McpConnection(
                server,
                project_dir=project_dir,
                log_dir=log_dir,
                on_change=self._changed,
                retry=retry,
            )
            for server in servers
        }
        if self.connections:
            registry.add_warmup(self.ready)

    def start(self) -> None:
        for connection in self.connections.values():
            connection.start()

    async def aclose(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.connections.values()))
        for names in self._registered.values():
            for name in names:
                self._registry.unregister(name)
        self._registered.clear()

    async def ready(self, allow_list: Iterable[str] | None = None) -> None:
        """Wait (each within its start timeout) for the servers still starting that
        `allow_list` may name; all of them when it is None."""
        entries = None if allow_list is None else tuple(allow_list)
        waiting = [
            c.wait_started()
            for c in self.connections.values()
            if c.state is ServerState.STARTING and (entries is None or _may_name(entries, c.name))
        ]
        if waiting:
            await asyncio.gather(*waiting)

    def statuses(self) -> list[McpServerStatus]:
        return [connection.status() for connection in self.connections.values()]

    def tools(self, server: str | None = None) -> list[McpToolInfo]:
        return [
            tool
            for connection in self.connections.values()
            if server is None or connection.name == server
            for tool in connection.tools
        ]

    async def call(self, server: str, tool: str, arguments: dict[str, Any]) -> str:
        connection = self.connections.get(server)
        if connection is None:
            known = ", ".join(self.connections) or "none"
            raise ToolError(f"no MCP server '{server}' (configured: {known})")
        return await connection.call(tool, arguments)

    # ----------------------------------------------------------- registry
    def _changed(self, connection: McpConnection) -> None:
        name = connection.name
        wanted = {tool.name: tool for tool in connection.tools}
        before = self._registered.get(name, set())
        for gone in before - set(wanted):
            self._registry.unregister(gone)
        for tool in wanted.values():
            self._registry.register(_registry_tool(connection, tool, self._on_call))
        self._registered[name] = set(wanted)
        self._report(connection)
        if self._on_change is not None:
            self._on_change(connection.status())

    def _report(self, connection: McpConnection) -> None:
        seen = (connection.state, connection.error)
        if self._reported.get(connection.name) == seen:
            return
        self._reported[connection.name] = seen
        if self._notify is None:
            return
        if connection.state is ServerState.FAILED and connection.error:
            status = connection.status()
            self._notify(f"{connection.error}; retrying in {status.retry_in or 0:.0f}s")
        elif connection.state is ServerState.READY:
            for message in self.missing_tools(connection.name):
                self._notify(message)

    def missing_tools(self, server: str) -> list[str]:
        """A warning per agent `tools:` entry naming a tool `server` does not have."""
        connection = self.connections[server]
        have = {tool.name for tool in connection.tools}
        messages = []
        for agent in self._agents:
            for entry in agent.tools or ():
                if mcp_server_of(entry) != server:
                    continue
                if GLOB_CHARACTERS & set(entry):
                    matched = any(fnmatch.fnmatchcase(name, entry) for name in have)
                else:
                    matched = entry in have
                if not matched:
                    listing = ", ".join(sorted(have)[:12]) or "none"
                    messages.append(
                        f"agent '{agent.id}' lists '{entry}', which MCP server '{server}' "
                        f"does not have (its tools: {listing})"
                    )
        return messages


def _may_name(entries: tuple[str, ...], server: str) -> bool:
    prefix = f"{MCP_PREFIX}{server}__"
    for entry in entries:
        if entry.startswith(prefix):
            return True
        if GLOB_CHARACTERS & set(entry) and fnmatch.fnmatchcase(prefix + "x", entry):
            return True
    return False


def _registry_tool(
    connection: McpConnection,
    info: McpToolInfo,
    on_call: Callable[[McpCallDone], None] | None = None,
) -> Tool:
    async def call(context: ToolContext, arguments: dict[str, Any]) -> str:
        if on_call is None:
            return await connection.call(info.tool, arguments)
        started = time.perf_counter()
        error: str | None = None
        try:
            return await connection.call(info.tool, arguments)
        except BaseException as exc:
            error = str(exc) or type(exc).__name__
            raise
        finally:
            took = time.perf_counter() - started
            done = McpCallDone(
                info.server, info.tool, context.agent_id, context.run_id, took, error
            )
            on_call(done)

    return Tool(
        name=info.name,
        description=info.description or f"{info.tool} (MCP server {info.server})",
        parameters=info.parameters,
        function=call,
        idempotent=info.read_only,
        timeout_secs=connection.config.call_timeout_secs + CALL_TIMEOUT_MARGIN_SECS,
        needs_approval=not info.read_only,
        deferrable=True,
    )
