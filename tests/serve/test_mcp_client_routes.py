"""`GET /api/mcp/servers` and `/api/mcp/tools`: the runtime's MCP servers, over a socket."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

from tests.support.served_project import SCRIPTED, served, write_scripted

BAD = Path(__file__).resolve().parents[1] / "support" / "bad_mcp_server.py"


def test_the_api_shows_each_server_and_its_tools(tmp_path: Path) -> None:
    text = SCRIPTED + (
        "mcp_servers:\n"
        f"  - {{name: good, command: '{sys.executable}', args: ['{BAD}', good]}}\n"
        f"  - {{name: gone, command: '{sys.executable}', args: ['{BAD}', exit]}}\n"
        "  - {name: off, command: nothing, enabled: false}\n"
    )
    project = write_scripted(tmp_path, text)
    with served(project) as url, httpx.Client(base_url=url, timeout=30) as api:
        deadline = time.monotonic() + 20
        while True:  # the servers start in the background: poll until both settled
            servers = {s["name"]: s for s in api.get("/api/mcp/servers").json()}
            if servers["good"]["state"] == "ready" and servers["gone"]["state"] == "failed":
                break
            assert time.monotonic() < deadline, servers
            time.sleep(0.05)
        tools = api.get("/api/mcp/tools").json()
    assert servers["good"]["tools"] == 1 and servers["off"]["state"] == "disabled"
    assert servers["gone"]["error"].startswith("MCP server 'gone' closed the connection")
    assert tools == [
        {
            "name": "mcp__good__echo",
            "server": "good",
            "tool": "echo",
            "description": "Echo the text back.",
            "input_schema": {"type": "object", "properties": {"text": {"type": "string"}}},
            "read_only": False,
        }
    ]
