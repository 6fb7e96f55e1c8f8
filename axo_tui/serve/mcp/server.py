"""The MCP server over one started runtime: its tools, its resources, and the answers to
calls. One `Server` serves every connection, stdio or HTTP; each call reads the runtime's
current config, so a reloaded config's agents show up without a restart."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from axo_tui import __version__
from axo_tui.core.base import jsonfast
from axo_tui.core.runtime.runtime import RunError, Runtime
from axo_tui.core.telemetry import propagation
from axo_tui.serve.mcp import catalog, resources
from axo_tui.serve.mcp.calls import run_with_progress

Context = ServerRequestContext[Any]
log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "The agents and workflows of an axo project. agent_<id> runs one turn of an agent on "
    "`input`; workflow_<id> runs a workflow to its end. Calls stream progress; a tool call "
    "an agent makes that needs a human's approval waits for it (axo approvals). Past runs "
    "and each agent's memory are resources (axo://runs, axo://agents/{id}/memory)."
)
SHUTTING_DOWN = "the axo server is shutting down; runs in flight are interrupted (resumable)"


def build_server(runtime: Runtime, *, accepting: Callable[[], bool] = lambda: True) -> Server:
    """The MCP server for `runtime` (started, owned by the caller). `accepting` turns
    False when the host stops: new calls are then refused."""

    async def list_tools(_ctx: Context, _params: types.PaginatedRequestParams | None) -> Any:
        return types.ListToolsResult(
            tools=[_tool(target) for target in catalog.targets(runtime.config)]
        )

    async def call_tool(ctx: Context, params: types.CallToolRequestParams) -> Any:
        target = catalog.find(runtime.config, params.name)
        if target is None:
            known = ", ".join(t.name for t in catalog.targets(runtime.config)) or "none"
            raise MCPError(types.INVALID_PARAMS, f"Unknown tool: {params.name} (tools: {known})")
        try:
            text = catalog.read_input(params.arguments)
        except ValueError as exc:
            return _error(f"{params.name}: {exc}")
        if not accepting():
            return _error(SHUTTING_DOWN)
        report = _reporter(ctx)
        propagation.adopt(_trace_carrier(ctx, params))  # the run joins the caller's trace
        try:
            result = await run_with_progress(runtime, target, text, report)
        except RunError as exc:
            return _error(f"{params.name}: {exc}")
        if result.ok:
            summary = result.output
        else:
            reasons = "; ".join(f"{agent}: {error}" for agent, error in result.errors.items())
            summary = f"run {result.run_id} {result.status}: {reasons or 'no output'}"
        return types.CallToolResult(
            content=[types.TextContent(text=summary)],
            structured_content=result.to_dict(),
            is_error=not result.ok,
        )

    async def list_resources(_ctx: Context, _params: types.PaginatedRequestParams | None) -> Any:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri=item.uri,
                    name=item.name,
                    title=item.title,
                    description=item.description,
                    mime_type="application/json",
                )
                for item in resources.listed(runtime)
            ]
        )

    async def list_templates(_ctx: Context, _params: types.PaginatedRequestParams | None) -> Any:
        return types.ListResourceTemplatesResult(
            resource_templates=[
                types.ResourceTemplate(
                    uri_template=resources.RUN_TEMPLATE,
                    name="run",
                    title="A run",
                    description="One run (id or unique prefix) with its activations and usage",
                    mime_type="application/json",
                ),
                types.ResourceTemplate(
                    uri_template=resources.MEMORY_TEMPLATE,
                    name="memory",
                    title="An agent's memory",
                    description="Core blocks, recall counts, activity days and sessions",
                    mime_type="application/json",
                ),
            ]
        )

    async def read_resource(_ctx: Context, params: types.ReadResourceRequestParams) -> Any:
        try:
            value = resources.read(runtime, str(params.uri))
        except resources.ResourceNotFound as exc:
            raise MCPError(types.INVALID_PARAMS, str(exc)) from None
        return types.ReadResourceResult(
            contents=[
                types.TextResourceContents(
                    uri=params.uri, mime_type="application/json", text=jsonfast.dumps(value)
                )
            ]
        )

    return Server(
        "axo",
        version=__version__,
        title=f"axo: {runtime.config.name or runtime.config.project_dir.name}",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_read_resource=read_resource,
    )


def _tool(target: catalog.ToolTarget) -> types.Tool:
    return types.Tool(
        name=target.name,
        title=target.title,
        description=target.description,
        input_schema=catalog.INPUT_SCHEMA,
        annotations=types.ToolAnnotations(
            title=target.title, read_only_hint=False, open_world_hint=True
        ),
    )


def _trace_carrier(ctx: Context, params: types.CallToolRequestParams) -> dict[str, str]:
    """The caller's `traceparent`: an HTTP header, else the request's `_meta` (stdio)."""
    headers = getattr(ctx.request, "headers", None)
    value = headers.get(propagation.TRACEPARENT) if headers is not None else None
    meta = ctx.meta or params.meta or {}
    value = value or meta.get(propagation.TRACEPARENT)
    return {propagation.TRACEPARENT: value} if isinstance(value, str) else {}


def _error(message: str) -> types.CallToolResult:
    """A failure the caller's model sees (and can correct), not a protocol error."""
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


def _reporter(ctx: Context) -> Callable[[int, str], Any]:
    """Progress to the caller (a no-op unless it asked for progress); once the caller is
    gone the run goes on untold."""
    gone = False

    async def report(step: int, message: str) -> None:
        nonlocal gone
        if gone:
            return
        try:
            await ctx.session.report_progress(step, None, message)
        except Exception as exc:  # the connection closed under the call
            gone = True
            log.debug("progress not delivered: %r", exc)

    return report
