"""The status panel's counts: `waiting` is each run's share, given back exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from axo_tui.core.config.schema import UpstreamFailurePolicy, WorkflowConfig
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.tools import Tool, ToolContext, ToolRegistry
from axo_tui.core.tools.builtins import BUILTIN_TOOLS
from tests.support.builders import agent, make_config, scripted, step, until


def gate_tools(held: list[str | None], release: asyncio.Event) -> ToolRegistry:
    """A `hold` tool that keeps the first run calling it waiting until `release` is set."""

    async def hold(context: ToolContext, arguments: dict[str, Any]) -> str:
        if not held:
            held.append(context.run_id)
        if context.run_id == held[0]:
            await release.wait()
        return "go on"

    tool = Tool("hold", "Hold.", {"type": "object", "properties": {}}, hold)
    return ToolRegistry([*BUILTIN_TOOLS, tool])


async def test_two_runs_waiting_on_one_agent_each_keep_their_share(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [agent("gate", tools=("hold",)), agent("next", "gate")],
        workflows=[WorkflowConfig("pair", ("gate", "next"))],
        providers=[scripted({"gate": [step("", ("hold", {})), "done"], "next": ["n"]})],
    )
    held: list[str | None] = []
    release = asyncio.Event()
    async with build_runtime(
        config, data_dir=tmp_path / ".axo", tools=gate_tools(held, release)
    ) as rt:
        first = asyncio.ensure_future(rt.run_workflow("pair", "one"))
        await until(lambda: bool(held))
        assert rt.status("next").waiting == 1

        # The second run goes straight through while the first is held at `gate`.
        second = await rt.run_workflow("pair", "two")
        assert second.status == "completed"
        status = rt.status("next")
        assert (status.waiting, status.state) == (1, "waiting")  # the first run still waits
        assert rt.status("gate").state == "running"

        release.set()
        assert (await first).status == "completed"
        assert [(s.agent_id, s.state, s.waiting, s.running) for s in rt.statuses()] == [
            ("gate", "idle", 0, 0),
            ("next", "idle", 0, 0),
        ]


async def test_a_skipped_agent_stops_waiting_when_skipped(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        [
            agent("gate", tools=("hold",)),
            agent("broken", provider="missing"),
            agent("after", "broken", on_upstream_failure=UpstreamFailurePolicy.SKIP),
        ],
        workflows=[WorkflowConfig("mixed", ("gate", "broken", "after"))],
        providers=[scripted({"gate": [step("", ("hold", {})), "done"]})],
    )
    held: list[str | None] = []
    release = asyncio.Event()
    async with build_runtime(
        config, data_dir=tmp_path / ".axo", tools=gate_tools(held, release)
    ) as rt:
        running = asyncio.ensure_future(rt.run_workflow("mixed", "go"))
        await until(lambda: bool(held) and rt.status("broken").state == "failed")
        # `after` was skipped while the run still goes on at `gate`.
        assert rt.status("after").waiting == 0
        release.set()
        result = await running
    assert result.skipped == ("after",)
