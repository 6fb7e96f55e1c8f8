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
from axo_tui.core.tools.mcp.changes import McpChanges, plan_changes
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
        self._project_dir = project_dir
        self._log_dir = log_dir
        self._retry = retry
        self._registered: dict[str, set[str]] = {}
        self._reported: dict[str, tuple[ServerState, str | None]] = {}
        self._warned: dict[str, set[str]] = {}
        """The allow-list warnings given per server: a reload repeats none of them."""
        self._restarts: dict[str, asyncio.Task[None]] = {}
        """Per server, the last restart (close, then start) still under way."""
        self._closed = False
        self._warming = False
        self.connections = {server.name: self._connection(server) for server in servers}
        self._warm_up()

    def _connection(self, server: McpServerConfig) -> McpConnection:
        return McpConnection(
            server,
            project_dir=self._project_dir,
            log_dir=self._log_dir,
            on_change=self._changed,
            retry=self._retry,
        )

    def _warm_up(self) -> None:
        if self.connections and not self._warming:
            self._warming = True
            self._registry.add_warmup(self.ready)

    def start(self) -> None:
        for connection in self.connections.values():
            connection.start()

    async def aclose(self) -> None:
        self._closed = True  # a restart still closing its old session starts no new one
        if self._restarts:
            await asyncio.gather(*self._restarts.values(), return_exceptions=True)
        await asyncio.gather(*(c.aclose() for c in self.connections.values()))
        for names in self._registered.values():
            for name in names:
                self._registry.unregister(name)
        self._registered.clear()

    def reconfigure(
        self, servers: Sequence[McpServerConfig], agents: Sequence[AgentConfig]
    ) -> McpChanges:
        """Take a reloaded config (in the running loop). A changed server is closed (by its
        owner task) and then started again, a removed one is closed, a new one starts; their
        tools leave the registry at once. Unchanged servers are not touched. The agents'
        allow-lists are checked again against the servers that are ready."""
        changes, differ = plan_changes([c.config for c in self.connections.values()], servers)
        self._agents = tuple(agents)
        old = self.connections
        kept: dict[str, McpConnection] = {}
        for server in servers:
            if server.name in differ:
                kept[server.name] = self._connection(server)
            else:
                kept[server.name] = old[server.name]
        self.connections = kept
        for name in differ:
            self._unregister(name)
            self._reported.pop(name, None)
            self._warned.pop(name, None)
            self._restart(name, old.get(name), kept.get(name))
        for name, connection in kept.items():
            if name not in differ and connection.state is ServerState.READY:
                self._warn_missing(name, repeat=False)
        self._warm_up()
        return changes

    def _restart(self, name: str, stale: McpConnection | None, fresh: McpConnection | None) -> None:
        """Close `stale`, then start `fresh`, in a task: one process of a server at a time
        (it may hold a lock or a port), even when reloads follow each other quickly."""
        before = self._restarts.get(name)

        async def restart() -> None:
            if before is not None:
                await asyncio.wait({before})
            if stale is not None:
                await stale.aclose()
            if fresh is not None and not self._closed and self.connections.get(name) is fresh:
                fresh.start()

        task = asyncio.get_running_loop().create_task(restart(), name=f"mcp-restart-{name}")
        self._restarts[name] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._restarts.get(name) is done:
                del self._restarts[name]

        task.add_done_callback(forget)

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
        if self.connections.get(name) is not connection:
            return  # a replaced session closing: its tools left the registry already
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
            self._warn_missing(connection.name, repeat=True)

    def _warn_missing(self, server: str, *, repeat: bool) -> None:
        """Report the agents' allow-list entries `server` lacks; with `repeat` false, only
        those not reported before."""
        messages = self.missing_tools(server)
        told = set() if repeat else self._warned.get(server, set())
        self._warned[server] = set(messages)
        if self._notify is None:
            return
        for message in messages:
            if message not in told:
                self._notify(message)

    def _unregister(self, server: str) -> None:
        for name in self._registered.pop(server, set()):
            self._registry.unregister(name)

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
