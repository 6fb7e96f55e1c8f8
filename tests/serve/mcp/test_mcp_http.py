"""axo's MCP server at /mcp under `axo serve` (the daemon's own server, on 127.0.0.1),
called by the SDK's own client: agents and workflows as tools, progress from the run's
events, approvals and budgets as any run has them, runs and memory as resources, and the
API's token and Host rules on /mcp too."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from mcp import MCPError

from axo_tui.serve.http.host import ServeSettings
from tests.support.mcp_project import TOOLS, http_client, write_project
from tests.support.served_project import served

Progress = list[tuple[float, str]]


def collector(into: Progress):  # type: ignore[no-untyped-def]
    async def on_progress(progress: float, _total: float | None, message: str | None) -> None:
        into.append((progress, message or ""))

    return on_progress


async def test_agents_and_workflows_are_tools_taking_input(tmp_path: Path) -> None:
    with served(write_project(tmp_path)) as url:
        async with http_client(f"{url}/mcp") as client:
            tools = (await client.list_tools()).tools
    assert [tool.name for tool in tools] == TOOLS
    for tool in tools:
        assert tool.input_schema["required"] == ["input"]
        assert tool.input_schema["properties"]["input"]["type"] == "string"


async def test_a_workflow_call_streams_each_agent_then_returns_the_sink_output(
    tmp_path: Path,
) -> None:
    progress: Progress = []
    with served(write_project(tmp_path)) as url:
        async with http_client(f"{url}/mcp") as client:
            result = await client.call_tool(
                "workflow_draft", {"input": "a post"}, progress_callback=collector(progress)
            )
            runs = json.loads((await client.read_resource("axo://runs")).contents[0].text)
    assert not result.is_error
    assert result.content[0].text == "the final draft"
    assert result.structured_content is not None
    assert result.structured_content["outputs"] == {
        "planner": "plan: three steps",
        "writer": "the final draft",
    }
    steps = [step for step, _ in progress]
    assert steps == sorted(set(steps)) and steps[0] == 1  # strictly increasing
    said = [message for _, message in progress]
    assert said[0] == "planner started"
    assert said.index("planner started") < said.index("writer started")
    assert any(m.startswith("planner completed (") for m in said)
    assert said[-1].startswith("writer completed (")
    tokens = "".join(m.removeprefix("writer: ") for m in said if m.startswith("writer: "))
    assert tokens == "the final draft"  # the tokens as they streamed, merged or not
    assert runs[0]["id"] == result.structured_content["run_id"]
    assert runs[0]["kind"] == "workflow" and runs[0]["status"] == "completed"


async def test_a_call_waits_for_approval_and_says_so_while_it_waits(tmp_path: Path) -> None:
    progress: Progress = []
    with served(write_project(tmp_path)) as url:
        async with http_client(f"{url}/mcp") as client, httpx.AsyncClient(base_url=url) as api:
            call = asyncio.ensure_future(
                client.call_tool(
                    "agent_ops", {"input": "check"}, progress_callback=collector(progress)
                )
            )
            waiting: list[dict[str, object]] = []
            for _ in range(500):
                waiting = (await api.get("/api/approvals")).json()
                if waiting and any("waits for approval" in m for _, m in progress):
                    break
                await asyncio.sleep(0.02)
            (approval,) = waiting
            assert not call.done() and not (tmp_path / "out.txt").exists()
            told = [m for _, m in progress if "waits for approval" in m]
            assert told == [
                f"ops waits for approval {approval['id']} to call shell "
                f"(`axo approvals approve {approval['id']}` or deny)"
            ]
            decided = await api.post(
                f"/api/approvals/{approval['id']}", json={"decision": "approve"}
            )
            assert decided.status_code == 200
            result = await asyncio.wait_for(call, 30)
    assert not result.is_error and result.content[0].text == "done"
    assert (tmp_path / "out.txt").read_text() == "ran\n"  # it ran, once


async def test_a_budget_refuses_the_call_before_the_model_and_the_caller_sees_why(
    tmp_path: Path,
) -> None:
    progress: Progress = []
    with served(write_project(tmp_path)) as url:
        async with http_client(f"{url}/mcp") as client:
            result = await client.call_tool(
                "agent_frugal", {"input": "a long question"}, progress_callback=collector(progress)
            )
    assert result.is_error
    assert result.structured_content is not None
    assert result.structured_content["status"] == "failed"
    assert result.structured_content["usage"]["total_tokens"] == 0  # the model was not called
    assert "budget" in result.content[0].text
    assert any("over its per_call token budget" in m for _, m in progress)


async def test_bad_arguments_are_a_tool_error_and_an_unknown_tool_a_protocol_error(
    tmp_path: Path,
) -> None:
    with served(write_project(tmp_path)) as url:
        async with http_client(f"{url}/mcp") as client:
            wrong_type = await client.call_tool("agent_planner", {"input": 42})
            extra = await client.call_tool("agent_planner", {"input": "x", "mode": "fast"})
            with pytest.raises(MCPError, match="Unknown tool: agent_nobody"):
                await client.call_tool("agent_nobody", {"input": "x"})
    assert wrong_type.is_error
    assert wrong_type.content[0].text == "agent_planner: `input` must be a string (got int)"
    assert extra.is_error and "unknown argument(s) mode" in extra.content[0].text


async def test_runs_and_memory_are_read_only_resources(tmp_path: Path) -> None:
    with served(write_project(tmp_path)) as url:
        async with http_client(f"{url}/mcp") as client:
            listed = [str(r.uri) for r in (await client.list_resources()).resources]
            templates = [
                t.uri_template for t in (await client.list_resource_templates()).resource_templates
            ]
            done = await client.call_tool("agent_planner", {"input": "plan it"})
            assert done.structured_content is not None
            run_id = done.structured_content["run_id"]
            run = json.loads((await client.read_resource(f"axo://runs/{run_id}")).contents[0].text)
            memory = json.loads(
                (await client.read_resource("axo://agents/planner/memory")).contents[0].text
            )
            with pytest.raises(MCPError, match="no run 'nope'"):
                await client.read_resource("axo://runs/nope")
            with pytest.raises(MCPError, match="no agent 'ghost'"):
                await client.read_resource("axo://agents/ghost/memory")
    assert listed[0] == "axo://runs"
    assert "axo://agents/planner/memory" in listed and "axo://agents/ops/memory" in listed
    assert templates == ["axo://runs/{run_id}", "axo://agents/{agent_id}/memory"]
    assert run["id"] == run_id and run["target"] == "planner"
    assert [a["agent_id"] for a in run["activations"]] == ["planner"]
    assert memory["agent"] == "planner" and isinstance(memory["core"], list)


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


async def test_mcp_keeps_the_apis_host_rule_and_checks_the_origin(tmp_path: Path) -> None:
    with served(write_project(tmp_path)) as url:
        port = url.rsplit(":", 1)[1]
        async with httpx.AsyncClient(base_url=url, headers=MCP_HEADERS) as http:
            rebound = await http.post("/mcp", json=INITIALIZE, headers={"Host": "evil.example"})
            foreign = await http.post(
                "/mcp", json=INITIALIZE, headers={"Origin": "http://evil.example"}
            )
            bare = await http.post("/mcp", json=INITIALIZE, headers={"Host": "localhost"})
            local = await http.post(
                "/mcp",
                json=INITIALIZE,
                headers={"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"},
            )
    assert rebound.status_code == 421
    assert foreign.status_code == 403
    assert bare.status_code == 200  # a loopback name with no port (behind a local proxy)
    assert local.status_code == 200 and "mcp-session-id" in local.headers


async def test_mcp_wants_the_apis_bearer_token_when_one_is_set(tmp_path: Path) -> None:
    settings = ServeSettings(port=0, tokens=("s3cret",))
    with served(write_project(tmp_path), settings) as url:
        async with httpx.AsyncClient(base_url=url, headers=MCP_HEADERS) as http:
            anonymous = await http.post("/mcp", json=INITIALIZE)
            wrong = await http.post(
                "/mcp", json=INITIALIZE, headers={"Authorization": "Bearer nope"}
            )
        async with http_client(f"{url}/mcp", token="s3cret") as client:
            tools = (await client.list_tools()).tools
    assert anonymous.status_code == 401 and wrong.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert [tool.name for tool in tools] == TOOLS
