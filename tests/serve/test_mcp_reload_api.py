"""`axo serve` follows `mcp_servers:` on a hot reload: `GET /api/mcp/servers` and
`/api/mcp/tools` show the new set, and the log line says what started and stopped."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.axo_daemon import axo_serve
from tests.support.served_project import SCRIPTED, write_scripted

BAD = Path(__file__).resolve().parents[1] / "support" / "bad_mcp_server.py"


def servers_text(*names: str) -> str:
    entries = "".join(
        f"  - {{name: {name}, command: '{sys.executable}', args: ['{BAD}', good]}}\n"
        for name in names
    )
    return SCRIPTED + "mcp_servers:\n" + entries


def poll_servers(url: str, want: list[str]) -> list[dict[str, Any]]:
    """The servers once exactly `want` are listed, all ready (they start in the background)."""
    deadline = time.monotonic() + 30
    while True:
        servers: list[dict[str, Any]] = httpx.get(f"{url}/api/mcp/servers").json()
        if [s["name"] for s in servers] == want and all(s["state"] == "ready" for s in servers):
            return servers
        assert time.monotonic() < deadline, servers
        time.sleep(0.05)


def test_a_reload_changes_the_servers_the_api_lists(tmp_path: Path) -> None:
    project = write_scripted(tmp_path, servers_text("first", "kept"))
    with axo_serve(project) as (process, url):
        poll_servers(url, ["first", "kept"])
        project.write_text(servers_text("kept", "second"), encoding="utf-8")
        servers = poll_servers(url, ["kept", "second"])
        tools = [t["name"] for t in httpx.get(f"{url}/api/mcp/tools").json()]
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
        log = process.stderr.read() if process.stderr else ""
    assert [s["tools"] for s in servers] == [1, 1]
    assert tools == ["mcp__kept__echo", "mcp__second__echo"]
    assert "config reloaded" in log and "MCP: started second; stopped first" in log
