"""`axo mcp serve`: the MCP server on this process's stdin and stdout, until the client
closes them. While it serves, stray writes to stdout land on stderr (the SDK moves fd 1),
so nothing but protocol messages reaches the client."""

from __future__ import annotations

from axo_tui.core.runtime.runtime import Runtime


async def serve_stdio(runtime: Runtime) -> None:
    """Serve `runtime` (started; the caller closes it) over stdio until end of input."""
    from mcp.server.stdio import stdio_server

    from axo_tui.serve.mcp.server import build_server

    server = build_server(runtime)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
