"""`axo doctor`: each enabled MCP server starts and lists its tools within a timeout."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from axo_tui.core.config import Config
from axo_tui.core.doctor.egress import Endpoint
from axo_tui.core.doctor.model import CheckResult, fail, ok

DOCTOR_START_TIMEOUT_SECS = 10.0
"""The doctor waits at most this long for a server, whatever its `start_timeout_secs`."""


async def check_mcp_servers(config: Config) -> list[CheckResult]:
    """A row `mcp:<name>` per enabled server: its tool count, or why it did not start."""
    from axo_tui.core.tools import ToolRegistry
    from axo_tui.core.tools.mcp import McpClients, ServerState

    servers = [
        dataclasses.replace(
            server, start_timeout_secs=min(server.start_timeout_secs, DOCTOR_START_TIMEOUT_SECS)
        )
        for server in config.mcp_servers
        if server.enabled
    ]
    if not servers:
        return []
    clients = McpClients(servers, ToolRegistry(), project_dir=config.project_dir)
    clients.start()
    try:
        await clients.ready()
        statuses = clients.statuses()
    finally:
        await clients.aclose()
    rows = []
    for status in statuses:
        name = f"mcp:{status.name}"
        if status.state is ServerState.READY:
            rows.append(ok(name, f"started over {status.transport}, {status.tools} tools"))
        else:
            reason = status.error or f"did not start within {DOCTOR_START_TIMEOUT_SECS:g}s"
            rows.append(
                fail(
                    name,
                    reason,
                    f"check `command`/`url` of MCP server '{status.name}'; "
                    f"`axo mcp servers` shows it again",
                )
            )
    return rows


def mcp_endpoints(config: Config) -> list[Endpoint]:
    """Where the doctor's MCP checks may connect: the HTTP servers' hosts."""
    found = []
    for server in config.mcp_servers:
        if server.enabled and server.url:
            parts = urlsplit(server.url)
            if parts.hostname:
                port = parts.port or (443 if parts.scheme == "https" else 80)
                found.append(Endpoint(parts.hostname.lower(), port))
    return found
