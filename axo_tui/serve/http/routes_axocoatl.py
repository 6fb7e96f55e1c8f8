"""The routes Axocoatl's users already call, with its paths and methods."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from axo_tui import __version__
from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.runtime.api import AgentInfo, WorkflowInfo
from axo_tui.core.runtime.runs import chat_session_id
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.serve.http import models
from axo_tui.serve.http.deps import (
    FastJSON,
    act,
    agent_of,
    bodies,
    body,
    host_of,
    runtime_of,
    workflow_of,
)
from axo_tui.serve.http.errors import not_found, responses

router = APIRouter()


@router.get(
    "/health",
    response_model=models.Health,
    responses=responses(),
    tags=["server"],
    summary="Whether the server is up (open without a token)",
)
async def health(request: Request) -> FastJSON:
    config = runtime_of(request).config
    return FastJSON({"status": "ok", "version": __version__, "project": config.name})


@router.get(
    "/api/agents",
    response_model=list[models.Agent],
    responses=responses(),
    tags=["agents"],
    summary="The agents the config declares (axo agents list)",
)
async def list_agents(request: Request) -> FastJSON:
    return bodies([AgentInfo.of(agent) for agent in runtime_of(request).config.agents])


@router.get(
    "/api/agents/{agent_id}/status",
    response_model=models.AgentStatus,
    responses=responses(404),
    tags=["agents"],
    summary="An agent's activity, failures, circuit and tokens today (axo agents status)",
)
async def agent_status(request: Request, agent_id: str) -> FastJSON:
    runtime = runtime_of(request)
    return _status(runtime, agent_of(runtime, agent_id))


@router.post(
    "/api/agents/{agent_id}/execute",
    response_model=models.RunResult,
    responses=responses(400, 404, 409, 422, 503),
    tags=["agents"],
    summary="One turn of one agent, optionally in a chat session (axo run)",
)
async def execute_agent(request: Request, agent_id: str, execute: models.ExecuteBody) -> FastJSON:
    host = host_of(request)
    runtime = host.runtime
    agent_of(runtime, agent_id)
    if execute.session is None:
        turn = runtime.run_agent(agent_id, execute.input)
    else:
        session = chat_session_id(agent_id, execute.session)
        turn = runtime.run_agent(
            agent_id, execute.input, session_id=session, run_kind="chat", trigger="chat"
        )
    return body(await act(host, turn))


@router.post(
    "/api/agents/{agent_id}/restart",
    response_model=models.AgentStatus,
    responses=responses(404),
    tags=["agents"],
    summary="Close a degraded agent's circuit (axo agents restart)",
)
async def restart_agent(request: Request, agent_id: str) -> FastJSON:
    runtime = runtime_of(request)
    agent = agent_of(runtime, agent_id)
    runtime.restart_agent(agent_id)
    return _status(runtime, agent)


def _status(runtime: Runtime, agent: AgentConfig) -> FastJSON:
    """What the status and the restart routes answer: the agent's row of `axo agents status`."""
    return body(runtime.state.agent_statuses([agent]).rows[0])


@router.get(
    "/api/workflows",
    response_model=list[models.Workflow],
    responses=responses(),
    tags=["workflows"],
    summary="The workflows the config declares (axo workflow list)",
)
async def list_workflows(request: Request) -> FastJSON:
    return bodies([WorkflowInfo.of(w) for w in runtime_of(request).config.workflows])


@router.post(
    "/api/workflows/{workflow_id}/execute",
    response_model=models.RunResult,
    responses=responses(400, 404, 409, 422, 503),
    tags=["workflows"],
    summary="Run a workflow to its end (axo workflow run)",
)
async def execute_workflow(
    request: Request, workflow_id: str, execute: models.InputBody
) -> FastJSON:
    host = host_of(request)
    workflow_of(host.runtime, workflow_id)
    return body(await act(host, host.runtime.run_workflow(workflow_id, execute.input)))


@router.get(
    "/api/tokens/report",
    response_model=models.UsageReport,
    responses=responses(404, 422),
    tags=["tokens"],
    summary="Token spend by agent, day, run or model (axo tokens report)",
)
async def tokens_report(
    request: Request,
    by: Literal["agent", "day", "run", "model"] = "agent",
    run: Annotated[str | None, Query(min_length=1, description="A run id or prefix")] = None,
    since: Annotated[models.Day | None, Query(description="Only from this day on")] = None,
) -> FastJSON:
    state = runtime_of(request).state
    run_id = None
    if run is not None:
        record = state.find_run(run)
        if record is None:
            raise not_found("run", run)
        run_id = record.id
    return body(state.usage(group_by=by, run_id=run_id, since=since))


@router.get(
    "/api/mcp/servers",
    response_model=list[models.McpServer],
    responses=responses(),
    tags=["mcp"],
    summary="The configured MCP servers: state, tool count, why a start failed",
)
async def mcp_servers(request: Request) -> FastJSON:
    return FastJSON([status.to_dict() for status in runtime_of(request).mcp_servers()])


@router.get(
    "/api/mcp/tools",
    response_model=list[models.McpTool],
    responses=responses(),
    tags=["mcp"],
    summary="The tools of the ready MCP servers, as agents name them (mcp__<server>__<tool>)",
)
async def mcp_tools(request: Request) -> FastJSON:
    return FastJSON([tool.to_dict() for tool in runtime_of(request).mcp_tools()])
