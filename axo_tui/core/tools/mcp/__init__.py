"""MCP client: each configured server's tools join the registry as `mcp__<server>__<tool>`.

The `mcp` SDK costs about half a second to import, so it is imported inside the functions
that talk to a server, never at module level: `axo --help` must not load it.
"""

from axo_tui.core.tools.mcp.clients import McpClients
from axo_tui.core.tools.mcp.connection import (
    McpConnection,
    McpServerStatus,
    McpToolInfo,
    ServerState,
)

__all__ = ["McpClients", "McpConnection", "McpServerStatus", "McpToolInfo", "ServerState"]
