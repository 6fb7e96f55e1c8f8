"""Misbehaving MCP servers: each gets a clear error naming it, nothing hangs, no traceback
reaches the terminal, and a good server beside them keeps working."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
from pathlib import Path

import pytest

from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.core.tools import ToolError
from axo_tui.core.tools.mcp import ServerState
from axo_tui.core.tools.registry import MAX_RESULT_CHARS
from tests.core.tools.mcp_setup import NO_APPROVALS, bad, fixture_stdio
from tests.support.builders import agent, make_config, until

pytestmark = pytest.mark.asyncio


def status_of(runtime: Runtime, name: str) -> tuple[ServerState, str]:
    (status,) = [s for s in runtime.mcp_servers() if s.name == name]
    return status.state, status.error or ""


async def test_failures_to_start_name_the_server_and_spare_the_others(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    servers = (
        bad("exit"),
        bad("hang", start_timeout_secs=1.0),
        bad("bad-schema"),
        bad("good"),
    )
    config = make_config(tmp_path, [agent("a")], mcp_servers=servers)
    async with build_runtime(config) as runtime:
        await runtime.mcp_ready()
        assert status_of(runtime, "good") == (ServerState.READY, "")
        assert await runtime.call_mcp_tool("good", "echo", {"text": "fine"}) == "fine"
        exited = status_of(runtime, "exit")
        assert exited[0] is ServerState.FAILED
        assert exited[1].startswith("MCP server 'exit' closed the connection")
        hung = status_of(runtime, "hang")
        assert hung[1] == "MCP server 'hang' did not start within 1s (start_timeout_secs)"
        schema = status_of(runtime, "bad-schema")
        assert schema[0] is ServerState.FAILED
        assert schema[1].startswith("MCP server 'bad-schema' sent something that is not valid MCP")
        assert "inputSchema" in schema[1]
        with pytest.raises(ToolError, match="MCP server 'exit' closed the connection"):
            await runtime.call_mcp_tool("exit", "echo", {})
    assert "Traceback" not in capfd.readouterr().err


async def test_garbage_on_stdout_is_counted_and_ignored(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path, [agent("a")], mcp_servers=(bad("garbage"),))
    async with build_runtime(config) as runtime:
        await runtime.mcp_ready()
        assert await runtime.call_mcp_tool("garbage", "echo", {"text": "still"}) == "still"
        (status,) = runtime.mcp_servers()
        assert (status.state, status.noise >= 2) == (ServerState.READY, True)
    assert "Traceback" not in capfd.readouterr().err


async def test_a_10_mb_result_is_cut_like_any_tool_result(tmp_path: Path) -> None:
    from axo_tui.core.tools import ToolContext

    config = make_config(
        tmp_path, [agent("a", tools=("mcp__huge__echo",))], mcp_servers=(bad("huge"),)
    )
    async with build_runtime(config) as runtime:
        await runtime.mcp_ready()
        context = ToolContext(agent_id="a", run_id=None, project_dir=tmp_path)
        text = await runtime.tools.call(
            "mcp__huge__echo", {"text": "x"}, context, allow_list=("mcp__huge__echo",)
        )
    assert len(text) < MAX_RESULT_CHARS + 200
    assert "the tool returned 10485760 characters" in text


async def test_a_server_vanishing_mid_call_errors_then_reconnects(tmp_path: Path) -> None:
    config = make_config(tmp_path, [agent("a")], mcp_servers=(bad("vanish"), bad("good")))
    async with build_runtime(config) as runtime:
        await runtime.mcp_ready()
        with pytest.raises(ToolError, match="MCP server 'vanish' went away during 'echo'"):
            await runtime.call_mcp_tool("vanish", "echo", {"text": "x"})
        # Reconnected with backoff: a fresh process answers tools/list again.
        await until(lambda: status_of(runtime, "vanish")[0] is ServerState.READY, timeout=10)
        assert await runtime.call_mcp_tool("good", "echo", {"text": "ok"}) == "ok"


def _children(pid: int) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(line) for line in found.split()]


async def test_a_server_killed_while_idle_is_reconnected(tmp_path: Path) -> None:
    config = make_config(
        tmp_path, [agent("a")], mcp_servers=(fixture_stdio(),), approvals=NO_APPROVALS
    )
    async with build_runtime(config) as runtime:
        await runtime.mcp_ready()
        (first,) = [pid for pid in _children(os.getpid()) if _is_fixture(pid)]
        os.kill(first, signal.SIGKILL)
        await until(lambda: status_of(runtime, "fixture")[0] is ServerState.FAILED, timeout=10)
        await until(lambda: status_of(runtime, "fixture")[0] is ServerState.READY, timeout=15)
        assert await runtime.call_mcp_tool("fixture", "echo", {"text": "back"}) == "back"
        (second,) = [pid for pid in _children(os.getpid()) if _is_fixture(pid)]
        assert second != first


def _is_fixture(pid: int) -> bool:
    try:
        return "mcp_fixture_server.py" in Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return False


async def test_a_hung_server_fails_calls_and_closes(tmp_path: Path) -> None:
    server = dataclasses.replace(bad("good"), call_timeout_secs=0.5)
    hung = dataclasses.replace(bad("hang"), id="slow", start_timeout_secs=0.5)
    config = make_config(tmp_path, [agent("a")], mcp_servers=(server, hung))
    async with build_runtime(config) as runtime:
        await runtime.mcp_ready()
        with pytest.raises(ToolError, match="MCP server 'slow'"):
            await runtime.call_mcp_tool("slow", "echo", {})


async def test_without_retry_a_failed_server_stays_failed(tmp_path: Path) -> None:
    """One-shot commands (`axo mcp servers`) report the first attempt: no retry may turn
    a failure back into `starting` while a slower server is still being waited for."""
    import asyncio

    from axo_tui.core.tools import ToolRegistry
    from axo_tui.core.tools.mcp import McpClients
    from axo_tui.core.tools.mcp.connection import BACKOFF_FIRST_SECS

    clients = McpClients([bad("exit")], ToolRegistry(), project_dir=tmp_path, retry=False)
    clients.start()
    try:
        await clients.ready()
        await asyncio.sleep(BACKOFF_FIRST_SECS * 3)
        (status,) = clients.statuses()
        assert (status.state, status.attempts, status.retry_in) == (ServerState.FAILED, 1, None)
        with pytest.raises(ToolError, match=r"\(it is failed\)$"):
            await clients.call("exit", "echo", {})
    finally:
        await clients.aclose()
