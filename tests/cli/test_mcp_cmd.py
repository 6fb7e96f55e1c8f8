"""`axo mcp servers | tools | call`, against real servers started for the command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.support.cli import Invoke
from tests.support.peers import peer_bin, python_peer

BAD = Path(__file__).resolve().parents[1] / "support" / "bad_mcp_server.py"


def project(directory: Path) -> Path:
    (directory / "axo.yaml").write_text(
        "mcp_servers:\n"
        f"  - {{name: everything, command: '{peer_bin('mcp-server-everything')}', args: [stdio]}}\n"
        f"  - {{name: time, command: '{python_peer('mcp-server-time')}'}}\n"
        f"  - {{name: broken, command: '{sys.executable}', args: ['{BAD}', exit]}}\n",
        encoding="utf-8",
    )
    return directory / "axo.yaml"


def test_servers_lists_each_state_and_fails_on_a_broken_one(in_tmp: Path, invoke: Invoke) -> None:
    project(in_tmp)
    result = invoke("mcp", "servers", "--json")
    assert result.exit_code == 0
    found = {server["name"]: server for server in json.loads(result.stdout)}
    assert (found["everything"]["state"], found["everything"]["tools"]) == ("ready", 13)
    assert (found["time"]["state"], found["time"]["tools"]) == ("ready", 2)
    assert found["broken"]["state"] == "failed"
    assert found["broken"]["error"].startswith("MCP server 'broken' closed the connection")
    plain = invoke("mcp", "servers")
    assert plain.exit_code == 1
    assert "MCP server 'broken' closed the connection" in plain.stdout


def test_tools_of_one_server(in_tmp: Path, invoke: Invoke) -> None:
    project(in_tmp)
    result = invoke("mcp", "tools", "--server", "time", "--json")
    assert result.exit_code == 0, result.stderr
    names = [tool["name"] for tool in json.loads(result.stdout)]
    assert names == ["mcp__time__get_current_time", "mcp__time__convert_time"]
    unknown = invoke("mcp", "tools", "--server", "nope")
    assert unknown.exit_code == 1
    assert "no MCP server 'nope'" in unknown.stderr and "everything" in unknown.stderr


def test_call_prints_the_result_or_the_error(in_tmp: Path, invoke: Invoke) -> None:
    project(in_tmp)
    result = invoke("mcp", "call", "everything", "echo", "--args", '{"message": "hi"}')
    assert (result.exit_code, result.stdout.strip()) == (0, "Echo: hi")
    failed = invoke("mcp", "call", "everything", "nope", "--json")
    assert failed.exit_code == 1
    assert json.loads(failed.stdout)["result"].startswith("MCP server 'everything': tool 'nope'")
    bad_args = invoke("mcp", "call", "everything", "echo", "--args", "[1")
    assert bad_args.exit_code == 2 and "--args is not JSON" in bad_args.stderr
