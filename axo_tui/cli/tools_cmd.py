"""`axo tools list|approve NAME`: the project's WASM tools, their grants and their pins.

A WASM tool (`tools:` with `wasm:` in axo.yaml) runs only while its module's sha256 is the
approved one; `approve` records the module as it is now. See docs/cli.md.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

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


def _describe(runner: WasmToolRunner, tool: WasmToolConfig) -> dict[str, Any]:
    from axo_tui.core.tools.registry import ToolError

    try:
        current: str | None = runner.current_sha256(tool)
    except ToolError:
        current = None
    approved = tool.sha256 or runner.pins.get(tool.name)
    if current is None:
        status = "missing"
    elif approved is None:
        status = "unapproved"
    else:
        status = "approved" if approved == current else "changed"
    return {
        "name": tool.name,
        "module": tool.module,
        "sha256": current,
        "approved_sha256": approved,
        "status": status,
        "grants": {
            "dirs": [
                {"path": d.path, "as": d.guest, "mode": "rw" if d.writable else "ro"}
                for d in tool.dirs
            ],
            "env": list(tool.env),
        },
        "limits": {"fuel": tool.fuel, "memory_mb": tool.memory_mb, "timeout_ms": tool.timeout_ms},
        "max_output_chars": tool.max_output_chars,
    }


def grants_line(described: dict[str, Any]) -> str:
    """`notes→/notes ro, out→/out rw; env LANG`, or `nothing` when nothing is granted."""
    grants = described["grants"]
    parts = [f"{d['path']}→{d['as']} {d['mode']}" for d in grants["dirs"]]
    text = ", ".join(parts)
    if grants["env"]:
        text += ("; " if text else "") + "env " + ", ".join(grants["env"])
    return text or "nothing"


@tools_app.command("list")
def list_tools(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The WASM tools of axo.yaml: module, sha256 status, and what each is granted."""
    runner, tools = _runner(ctx)
    described = [_describe(runner, tool) for tool in tools]
    if as_json:
        output.write(json.dumps({"tools": described}, indent=2) + "\n")
        return
    if not described:
        output.print_line("no WASM tools (declare them under `tools:` with `wasm:` in axo.yaml)")
        return
    for tool in described:
        digest = (tool["sha256"] or "")[:12]
        output.print_line(
            f"{tool['name']}  {tool['module']}  {tool['status']} {digest}  "
            f"grants: {grants_line(tool)}"
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
