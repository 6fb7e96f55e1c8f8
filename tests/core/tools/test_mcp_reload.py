"""A config reload (the path `axo dev` and `axo serve` take) applies `mcp_servers:`: a
changed server restarts in a new process, a removed one stops and its tools leave, a new
one starts and its tools join, an unchanged one keeps its process and its calls in flight.
Real servers: the SDK fixture server, bad_mcp_server.py and PyPI mcp-server-time."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from axo_tui.core.config import load_config
from axo_tui.core.events.catalog import ConfigReloaded, Event, RuntimeNotice
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.reload import ConfigFollower
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.core.tools import ToolError
from axo_tui.core.tools.mcp import ServerState
from tests.core.tools.mcp_setup import FIXTURE, REPO
from tests.support.builders import until
from tests.support.peers import python_peer

pytestmark = pytest.mark.asyncio

BAD = REPO / "tests" / "support" / "bad_mcp_server.py"
SETTLE_SECS = 30.0


def fixture(name: str, mark: str, **extra: object) -> dict[str, object]:
    """The SDK fixture server; `mark` (an argument it ignores) finds its process."""
    entry: dict[str, object] = {"name": name, "command": sys.executable}
    return entry | {"args": [str(FIXTURE), "stdio", mark]} | extra


def good(name: str, mark: str) -> dict[str, object]:
    return {"name": name, "command": sys.executable, "args": [str(BAD), "good", mark]}


def time_server(name: str = "time", **extra: object) -> dict[str, object]:
    return {"name": name, "command": str(python_peer("mcp-server-time"))} | extra


def write(path: Path, servers: Iterable[dict[str, object]], **tools: list[str]) -> None:
    """An axo.yaml with `servers` and one agent per `tools` entry (agent -> allow-list)."""
    agents = [
        {"id": agent_id, "provider": "scripted", "tools": allowed}
        for agent_id, allowed in (tools or {"a": []}).items()
    ]
    document = {"name": "mcp-reload", "agents": agents, "mcp_servers": list(servers)}
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")  # JSON is YAML


def pid_of(mark: str) -> int | None:
    """The live child process whose command line holds `mark`."""
    found = subprocess.run(
        ["pgrep", "-P", str(os.getpid())], capture_output=True, text=True, check=False
    ).stdout
    for pid in map(int, found.split()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_text()
        except OSError:
            continue
        if mark in cmdline.split("\0") and alive(pid):
            return pid
    return None


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def state(runtime: Runtime, server: str) -> ServerState | None:
    for status in runtime.mcp_servers():
        if status.name == server:
            return status.state
    return None


async def ready(runtime: Runtime, *servers: str) -> None:
    await until(lambda: all(state(runtime, s) is ServerState.READY for s in servers), SETTLE_SECS)


async def test_changed_restart_removed_stop_new_start_and_unchanged_keep_running(
    tmp_path: Path,
) -> None:
    mark = tmp_path.name
    path = tmp_path / "axo.yaml"
    keep, change = fixture("keep", f"{mark}-keep"), fixture("change", f"{mark}-change-1")
    write(
        path,
        [keep, change, good("drop", f"{mark}-drop")],
        a=["mcp__keep__*", "mcp__change__echo", "mcp__drop__echo"],
    )
    events: list[Event] = []
    runtime = build_runtime(load_config(path), subscribers=[events.append])
    async with runtime:
        await runtime.mcp_ready()
        await ready(runtime, "keep", "change", "drop")
        pids = {name: pid_of(f"{mark}-{name}") for name in ("keep", "change-1", "drop")}
        assert None not in pids.values(), pids
        # A call in flight on each fixture server across the reload.
        gates = {name: tmp_path / f"gate-{name}" for name in ("keep", "change")}
        held = {
            name: asyncio.ensure_future(runtime.call_mcp_tool(name, "hold", {"path": str(gate)}))
            for name, gate in gates.items()
        }
        await until(lambda: all(Path(f"{g}.held").exists() for g in gates.values()), SETTLE_SECS)

        write(
            path,
            [keep, fixture("change", f"{mark}-change-2"), time_server()],
            a=["mcp__keep__*", "mcp__change__echo", "mcp__time__*"],
        )
        outcome = await ConfigFollower(path, runtime).reload()
        assert outcome.ok, outcome.problems
        assert outcome.summary.endswith("; MCP: restarted change; started time; stopped drop")
        # The removed server's tools leave at once; the changed one's until it is back.
        assert "mcp__drop__echo" not in runtime.tools
        assert [s.name for s in runtime.mcp_servers()] == ["keep", "change", "time"]

        await runtime.mcp_ready()
        await ready(runtime, "keep", "change", "time")
        assert "mcp__time__get_current_time" in runtime.tools
        assert "mcp__change__echo" in runtime.tools
        assert await runtime.call_mcp_tool("change", "echo", {"text": "again"}) == "again"
        await until(lambda: not alive(pids["drop"]) and not alive(pids["change-1"]), SETTLE_SECS)
        restarted = pid_of(f"{mark}-change-2")
        assert restarted is not None and restarted != pids["change-1"]
        assert pid_of(f"{mark}-keep") == pids["keep"]

        for gate in gates.values():
            gate.touch()
        assert await held["keep"] == "released"  # untouched: its call went on
        with pytest.raises(ToolError, match="MCP server 'change' was stopped"):
            await held["change"]
    (reloaded,) = [e for e in events if isinstance(e, ConfigReloaded)]
    assert reloaded.summary == (
        "1 agents, 0 workflows; MCP: restarted change; started time; stopped drop"
    )


async def test_a_reload_checks_the_allow_lists_again(tmp_path: Path) -> None:
    mark = f"{tmp_path.name}-fixture"
    path = tmp_path / "axo.yaml"
    write(path, [fixture("fixture", mark)], a=["mcp__fixture__echo"])
    events: list[Event] = []
    runtime = build_runtime(load_config(path), subscribers=[events.append])

    def notices() -> list[str]:
        return [e.message for e in events if isinstance(e, RuntimeNotice)]

    async with runtime:
        await runtime.mcp_ready()
        await ready(runtime, "fixture")
        first = pid_of(mark)
        write(path, [fixture("fixture", mark)], a=["mcp__fixture__echo", "mcp__fixture__ekko"])
        assert (await ConfigFollower(path, runtime).reload()).ok
        await until(lambda: len(notices()) == 1, SETTLE_SECS)
        # Another reload repeats no warning and names only the new agent's.
        write(
            path,
            [fixture("fixture", mark)],
            a=["mcp__fixture__echo", "mcp__fixture__ekko"],
            b=["mcp__fixture__nope"],
        )
        outcome = await ConfigFollower(path, runtime).reload()
        assert outcome.ok and "MCP" not in outcome.summary
        await until(lambda: len(notices()) == 2, SETTLE_SECS)
        assert pid_of(mark) == first  # the server itself did not restart
    ekko, nope = notices()
    assert ekko.startswith("agent 'a' lists 'mcp__fixture__ekko', which MCP server 'fixture'")
    assert "mcp__fixture__echo" in ekko
    assert nope.startswith("agent 'b' lists 'mcp__fixture__nope'")


async def test_a_broken_mcp_entry_refuses_the_reload(tmp_path: Path) -> None:
    mark = f"{tmp_path.name}-fixture"
    path = tmp_path / "axo.yaml"
    write(path, [fixture("fixture", mark)], a=["mcp__fixture__echo"])
    runtime = build_runtime(load_config(path))
    async with runtime:
        await runtime.mcp_ready()
        await ready(runtime, "fixture")
        first, config = pid_of(mark), runtime.config
        broken = fixture("fixture", f"{mark}-2", url="http://127.0.0.1:9/mcp")
        write(path, [broken, {"name": "other", "transport": "carrier-pigeon"}], a=[])
        outcome = await ConfigFollower(path, runtime).reload()
        assert not outcome.ok
        problems = "\n".join(outcome.problems)
        assert "has both `command` and `url`" in problems
        assert "`carrier-pigeon` is not a valid `transport`" in problems
        assert runtime.config is config
        assert [s.name for s in runtime.mcp_servers()] == ["fixture"]
        assert pid_of(mark) == first and pid_of(f"{mark}-2") is None
        assert await runtime.call_mcp_tool("fixture", "echo", {"text": "still"}) == "still"


async def test_servers_added_to_none_then_filtered_disabled_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "axo.yaml"
    write(path, [])
    runtime = build_runtime(load_config(path))
    async with runtime:
        assert runtime.mcp_servers() == []
        write(path, [time_server()])
        outcome = await ConfigFollower(path, runtime).reload()
        assert outcome.summary.endswith("; MCP: started time")
        await runtime.mcp_ready()
        await ready(runtime, "time")
        assert {"mcp__time__get_current_time", "mcp__time__convert_time"} <= set(
            runtime.tools.names()
        )

        write(path, [time_server(tools=["convert_*"])])  # a changed tools filter
        outcome = await ConfigFollower(path, runtime).reload()
        assert outcome.summary.endswith("; MCP: restarted time")
        assert "mcp__time__get_current_time" not in runtime.tools
        await runtime.mcp_ready()
        await ready(runtime, "time")
        assert [t.name for t in runtime.mcp_tools()] == ["mcp__time__convert_time"]

        write(path, [time_server(tools=["convert_*"], enabled=False)])
        outcome = await ConfigFollower(path, runtime).reload()
        assert outcome.summary.endswith("; MCP: stopped time")
        assert state(runtime, "time") is ServerState.DISABLED
        assert runtime.mcp_tools() == [] and "mcp__time__convert_time" not in runtime.tools

        write(path, [])
        outcome = await ConfigFollower(path, runtime).reload()
        assert "MCP" not in outcome.summary  # a disabled server ran nothing to stop
        assert runtime.mcp_servers() == []
