"""`axo mcp serve [--http]`: the project's agents and workflows as MCP tools (docs/mcp.md).

Over stdio by default, for an MCP client that starts axo itself (Claude Desktop, an IDE, the
Inspector); with --http, as `axo serve` does, with MCP at /mcp beside the HTTP API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from axo_tui.cli import output
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import with_runtime
from axo_tui.cli.serve_cmd import HostOption, PortOption

if TYPE_CHECKING:
    from axo_tui.core.runtime.runtime import Runtime

mcp_app = AxoTyper(
    name="mcp",
    help="MCP: axo's agents as tools for any MCP client, and MCP servers' tools for axo.",
    no_args_is_help=True,
)


def register(app: AxoTyper) -> None:
    app.add_typer(mcp_app)


@mcp_app.command("serve")
def serve(
    ctx: typer.Context,
    http: Annotated[
        bool,
        typer.Option(
            "--http", help="Serve streamable HTTP at /mcp (and the HTTP API), as `axo serve`."
        ),
    ] = False,
    host: HostOption = None,
    port: PortOption = None,
) -> None:
    """Serve this project over MCP: each agent is a tool [bold]agent_<id>[/bold] taking
    [bold]{input}[/bold], each workflow a tool [bold]workflow_<id>[/bold]; runs and memory are
    resources (axo://runs, axo://runs/<id>, axo://agents/<id>/memory).

    Over stdin/stdout until the client closes them (runs still going are left resumable).
    With --http: `axo serve`, whose /mcp is the same server (same token and host rules).
    """
    if http:
        from axo_tui.cli.serve_cmd import serve as serve_http

        serve_http(ctx, host=host, port=port, as_json=False)
        return
    if host is not None or port is not None:
        output.error("--host and --port need --http: over stdio there is nothing to bind")
        raise typer.Exit(2)
    with_runtime(ctx, _serve_stdio)


async def _serve_stdio(runtime: Runtime) -> None:
    from axo_tui.serve.mcp.stdio import serve_stdio

    try:
        await serve_stdio(runtime)
    finally:
        for run_id in await runtime.stop_runs():
            output.print_line(
                f"run {run_id[:12]} interrupted; `axo runs resume {run_id[:12]}` continues it",
                stderr=True,
            )
