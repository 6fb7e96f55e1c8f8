"""An SDK `MCPServer` for the client's tests and benchmark, over stdio or streamable HTTP.

    python tests/support/mcp_fixture_server.py stdio
    python tests/support/mcp_fixture_server.py http     (prints `PORT <n>` once listening)

Tools: `echo {text}`; `headers` (the HTTP headers of the last request, so a test proves
configured headers are really sent); `fail` (an MCP error result); `grow` (adds a tool and
sends tools/list_changed); `trace` (the call's `_meta.traceparent`); `hold {path}` (writes
`<path>.held`, then answers once `path` exists: a call a test keeps in flight).
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

SEEN_HEADERS: dict[str, str] = {}
server = MCPServer("axo-fixture", log_level="ERROR")


@server.tool()
def echo(text: str) -> str:
    """Echo the text back."""
    return text


@server.tool()
def headers() -> str:
    """The HTTP headers of the last request (empty over stdio)."""
    return json.dumps(SEEN_HEADERS, sort_keys=True)


@server.tool()
def trace(ctx: Context) -> str:
    """The `traceparent` the call carried in its `_meta` (over stdio and HTTP), or ''."""
    meta = ctx.request_context.meta or {}
    return str(meta.get("traceparent", ""))


@server.tool()
def fail(reason: str = "on purpose") -> str:
    """Fail with an MCP error result."""
    raise ToolError(f"fixture failure: {reason}")


@server.tool()
async def hold(path: str) -> str:
    """Answer once the file `path` exists (`<path>.held` says the call arrived)."""
    Path(f"{path}.held").touch()
    while not Path(path).exists():
        await anyio.sleep(0.01)
    return "released"


@server.tool()
async def grow(ctx: Context) -> str:
    """Add the tool `grown` and tell the client the tool list changed."""

    def grown() -> str:
        """A tool added at run time."""
        return "grown"

    server.add_tool(grown)
    await ctx.session.send_tool_list_changed()
    return "added"


def _recording(app: Any) -> Any:
    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            SEEN_HEADERS.clear()
            SEEN_HEADERS.update(
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in scope["headers"]
                if k.decode("latin-1").lower() not in ("content-length",)
            )
        await app(scope, receive, send)

    return wrapped


def serve_http() -> None:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.listen(128)  # connections made before uvicorn runs wait in the backlog
    app = _recording(server.streamable_http_app())
    config = uvicorn.Config(app, log_level="error", lifespan="on")
    print(f"PORT {port}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    if sys.argv[1:] == ["http"]:
        serve_http()
    else:
        server.run("stdio")
