"""axo's MCP client as the conformance suite drives it: `python mcp_conformance_client.py
URL` connects to the scenario's server as a configured `mcp_servers:` entry would, calls
every tool it lists (`add_numbers` with a and b, the others with no arguments) and prints
each result. The suite names the scenario in MCP_CONFORMANCE_SCENARIO and judges what it
saw on the wire."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from axo_tui.core.config.schema import McpServerConfig, McpTransport
from axo_tui.core.tools.mcp.connection import McpConnection, ServerState
from axo_tui.core.tools.registry import ToolError

TIMEOUT = 20.0
ARGUMENTS = {"add_numbers": {"a": 2, "b": 3}}


async def main(url: str) -> int:
    config = McpServerConfig(
        id="conformance",
        url=url,
        transport=McpTransport.HTTP,
        start_timeout_secs=TIMEOUT,
        call_timeout_secs=TIMEOUT,
    )
    connection = McpConnection(config, project_dir=Path.cwd())
    connection.start()
    try:
        await connection.wait_settled(TIMEOUT)
        if connection.state is not ServerState.READY:
            print(f"not ready: {connection.error}", file=sys.stderr)
            return 1
        for tool in connection.tools:
            try:
                print(await connection.call(tool.tool, ARGUMENTS.get(tool.tool, {})))
            except ToolError as exc:
                print(f"{tool.tool}: {exc}", file=sys.stderr)
    finally:
        await connection.aclose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[-1])))
