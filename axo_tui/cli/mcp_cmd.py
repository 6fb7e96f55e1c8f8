"""`axo mcp servers | tools [--server S] | call SERVER TOOL --args JSON`: the project's MCP
servers, started here (not through a runtime: no journal, no owner lease, so they work
beside a running `axo serve` or `axo dev`). The group itself lives in `mcp_serve_cmd`."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from axo_tui.cli import output
from axo_tui.cli.mcp_serve_cmd import mcp_app
from axo_tui.cli.project import data_dir, load_project

if TYPE_CHECKING:
    from axo_tui.core.tools.mcp import McpClients

T = TypeVar("T")


def register(app: object) -> None:
    """Nothing to add: these commands join `mcp_serve_cmd`'s `mcp` group on import."""


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (shape: docs/cli.md).")]


def with_mcp(
    ctx: typer.Context, action: Callable[[McpClients], Awaitable[T]], only: str | None = None
) -> T:
    """Start every enabled server of the project (or `only` that one), wait until each
    started or failed, run `action`, close them all (each in its own task)."""
    import asyncio

    from axo_tui.core.tools import ToolRegistry
    from axo_tui.core.tools.mcp import McpClients

    config = load_project(ctx)

    async def main() -> T:
        servers = [s for s in config.mcp_servers if only is None or s.name == only]
        clients = McpClients(
            servers or config.mcp_servers,
            ToolRegistry(),
            project_dir=config.project_dir,
            log_dir=data_dir(ctx, config) / "logs" / "mcp",
            agents=config.agents,
            retry=False,
        )
        clients.start()
        try:
            await clients.ready()
            return await action(clients)
        finally:
            await clients.aclose()

    return asyncio.run(main())


@mcp_app.command("servers")
def servers(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The configured MCP servers: whether each starts, its tools, why it failed."""

    async def list_them(clients: McpClients) -> list[dict[str, Any]]:
        return [status.to_dict() for status in clients.statuses()]

    found = with_mcp(ctx, list_them)
    if as_json:
        print(json.dumps(found, indent=2))
        return
    if not found:
        output.print_line("no MCP servers configured (add them under `mcp_servers:`)")
        return
    for server in found:
        tools = f"{server['tools']} tools" if server["state"] == "ready" else server["state"]
        output.print_line(
            f"{server['name']:<16} {server['transport']:<6} {tools:<10} {server['target']}"
        )
        if server["error"]:
            output.print_line(f"    {server['error']}", style="red")
    if any(server["state"] == "failed" for server in found):
        raise typer.Exit(1)


@mcp_app.command("tools")
def tools(
    ctx: typer.Context,
    server: Annotated[
        str | None, typer.Option("--server", "-s", help="Only this server's tools.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The tools of the MCP servers, as agents name them (`mcp__<server>__<tool>`)."""

    async def list_them(clients: McpClients) -> tuple[list[dict[str, Any]], list[str]]:
        if server is not None and server not in clients.connections:
            known = ", ".join(clients.connections) or "none"
            output.error(f"no MCP server '{server}'", hint=f"configured: {known}")
            raise typer.Exit(1)
        failed = [s.error or s.name for s in clients.statuses() if s.error]
        return [tool.to_dict() for tool in clients.tools(server)], failed

    found, failed = with_mcp(ctx, list_them, server)
    if as_json:
        print(json.dumps(found, indent=2))
    else:
        for tool in found:
            first_line = (tool["description"].splitlines() or [""])[0]
            output.print_line(f"{tool['name']:<40} {first_line[:80]}")
    for reason in failed:
        output.warning(reason)


@mcp_app.command("call")
def call(
    ctx: typer.Context,
    server: Annotated[str, typer.Argument(help="The server's `name`.")],
    tool: Annotated[str, typer.Argument(help="The tool's own name on that server.")],
    args: Annotated[
        str, typer.Option("--args", help='The arguments, a JSON object: \'{"path": "a.txt"}\'.')
    ] = "{}",
    as_json: JsonOption = False,
) -> None:
    """Call one tool of one MCP server and print its result."""
    try:
        arguments = json.loads(args)
    except json.JSONDecodeError as exc:
        output.error(f"--args is not JSON: {exc}", hint='write e.g. --args \'{"text": "hi"}\'')
        raise typer.Exit(2) from None
    if not isinstance(arguments, dict):
        output.error("--args must be a JSON object", hint='write e.g. --args \'{"text": "hi"}\'')
        raise typer.Exit(2)

    async def call_it(clients: McpClients) -> tuple[bool, str]:
        from axo_tui.core.tools import ToolError

        try:
            return True, await clients.call(server, tool, arguments)
        except ToolError as exc:
            return False, str(exc)

    ok, text = with_mcp(ctx, call_it, server)
    if as_json:
        print(json.dumps({"server": server, "tool": tool, "ok": ok, "result": text}, indent=2))
    elif ok:
        output.print_line(text)
    else:
        output.error(text)
    if not ok:
        raise typer.Exit(1)
