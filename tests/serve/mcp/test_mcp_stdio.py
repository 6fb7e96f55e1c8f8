"""`axo mcp serve` over stdio, as a real process, called by the SDK's own client: tools,
a call with its progress, a resource, and a clean exit when the client hangs up."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mcp import Client, StdioServerParameters

from tests.support.mcp_project import TOOLS, write_project

AXO = str(Path(sys.executable).parent / "axo")


def axo_mcp_serve(config: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=AXO, args=["-c", str(config), "mcp", "serve"], cwd=str(config.parent)
    )


async def test_the_sdk_client_calls_axo_over_stdio(tmp_path: Path) -> None:
    progress: list[str] = []

    async def on_progress(_step: float, _total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async with Client(axo_mcp_serve(write_project(tmp_path))) as client:
        tools = [tool.name for tool in (await client.list_tools()).tools]
        result = await client.call_tool(
            "agent_planner", {"input": "plan it"}, progress_callback=on_progress
        )
        runs = json.loads((await client.read_resource("axo://runs")).contents[0].text)
    assert tools == TOOLS
    assert not result.is_error and result.content[0].text == "plan: three steps"
    assert progress[0] == "planner started" and progress[-1].startswith("planner completed")
    assert [run["target"] for run in runs] == ["planner"]
    assert runs[0]["status"] == "completed"
