"""`axo tools list|approve NAME`: the project's WASM tools, their grants and their pins.

A WASM tool (`tools:` with `wasm:` in axo.yaml) runs only while its module's sha256 is the
approved one; `approve` records the module as it is now. See docs/cli.md.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from axo_tui.cli import output
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.project import data_dir, load_project

if TYPE_CHECKING:
    from axo_tui.core.config.schema import WasmToolConfig
    from axo_tui.core.wasm.tool import WasmToolRunner

tools_app = AxoTyper(
    name="tools",
    help="The project's WASM tools: their grants, and approving a module (its sha256).",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (shape: docs/cli.md).")]


def register(app: AxoTyper) -> None:
    app.add_typer(tools_app)


def _runner(ctx: typer.Context) -> tuple[WasmToolRunner, tuple[WasmToolConfig, ...]]:
    from axo_tui.core.wasm.tool import WasmToolRunner

    config = load_project(ctx)
    return WasmToolRunner(data_dir(ctx, config), config.project_dir), config.tools


@tools_app.command("list")
def list_tools(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The WASM tools of axo.yaml: module, sha256 status, and what each is granted."""
    from axo_tui.core.wasm.tool_status import wasm_tool_statuses

    config = load_project(ctx)
    statuses = wasm_tool_statuses(config.tools, data_dir(ctx, config), config.project_dir)
    if as_json:
        output.write(json.dumps({"tools": [s.to_dict() for s in statuses]}, indent=2) + "\n")
        return
    if not statuses:
        output.print_line("no WASM tools (declare them under `tools:` with `wasm:` in axo.yaml)")
        return
    for tool in statuses:
        digest = (tool.sha256 or "")[:12]
        output.print_line(
            f"{tool.name}  {tool.module}  {tool.status} {digest}  grants: {tool.grants_line()}"
        )


@tools_app.command("approve")
def approve(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The tool's name in axo.yaml.")],
) -> None:
    """Approve the module of WASM tool NAME as it is now (records its sha256)."""
    from axo_tui.core.tools.registry import ToolError

    runner, tools = _runner(ctx)
    tool = next((t for t in tools if t.name == name), None)
    if tool is None:
        known = ", ".join(t.name for t in tools) or "none"
        output.error(f"no WASM tool `{name}` in axo.yaml", hint=f"its WASM tools: {known}")
        raise typer.Exit(1)
    if tool.sha256:
        output.error(
            f"WASM tool `{name}` is pinned by `sha256:` in axo.yaml",
            hint="edit that line to approve another module",
        )
        raise typer.Exit(1)
    try:
        digest = runner.approve(tool)
    except ToolError as exc:
        output.error(str(exc))
        raise typer.Exit(1) from None
    output.print_line(f"approved {name}: {tool.module} sha256 {digest}")
