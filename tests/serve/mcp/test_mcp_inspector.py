"""The MCP Inspector (npm, CLI mode: a client no one here wrote) lists and calls axo's
tools and lists and reads its resources, over stdio (`axo mcp serve`) and over HTTP
(`/mcp` under `axo serve`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.mcp_project import TOOLS, write_project
from tests.support.peers import inspector_cli
from tests.support.served_project import served

AXO = str(Path(sys.executable).parent / "axo")
TIMEOUT = 60


def inspect(target: list[str], *method: str, cwd: Path) -> Any:
    done = subprocess.run(
        inspector_cli(*target, "--method", *method),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def stdio_target(tmp_path: Path) -> list[str]:
    return [AXO, "-c", str(write_project(tmp_path)), "mcp", "serve"]


def test_the_inspector_lists_and_calls_tools_over_stdio(
    stdio_target: list[str], tmp_path: Path
) -> None:
    listed = inspect(stdio_target, "tools/list", cwd=tmp_path)
    called = inspect(
        stdio_target,
        "tools/call",
        "--tool-name",
        "workflow_draft",
        "--tool-arg",
        "input=a post",
        cwd=tmp_path,
    )
    assert [tool["name"] for tool in listed["tools"]] == TOOLS
    assert called["isError"] is False
    assert called["content"] == [{"type": "text", "text": "the final draft"}]
    assert called["structuredContent"]["target"] == "draft"


def test_the_inspector_lists_and_reads_resources_over_stdio(
    stdio_target: list[str], tmp_path: Path
) -> None:
    listed = inspect(stdio_target, "resources/list", cwd=tmp_path)
    memory = inspect(
        stdio_target, "resources/read", "--uri", "axo://agents/writer/memory", cwd=tmp_path
    )
    uris = [resource["uri"] for resource in listed["resources"]]
    assert uris[0] == "axo://runs" and "axo://agents/writer/memory" in uris
    (contents,) = memory["contents"]
    assert contents["mimeType"] == "application/json"
    assert json.loads(contents["text"])["agent"] == "writer"


def test_the_inspector_calls_axo_serve_over_http(tmp_path: Path) -> None:
    with served(write_project(tmp_path)) as url:
        target = [f"{url}/mcp", "--transport", "http"]
        listed = inspect(target, "tools/list", cwd=tmp_path)
        called = inspect(
            target,
            "tools/call",
            "--tool-name",
            "agent_planner",
            "--tool-arg",
            "input=go",
            cwd=tmp_path,
        )
        runs = inspect(target, "resources/read", "--uri", "axo://runs", cwd=tmp_path)
    assert [tool["name"] for tool in listed["tools"]] == TOOLS
    assert called["content"] == [{"type": "text", "text": "plan: three steps"}]
    (contents,) = runs["contents"]
    assert [run["target"] for run in json.loads(contents["text"])] == ["planner"]
