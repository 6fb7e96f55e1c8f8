"""`Runtime.cancel_run`: a run stopped mid-way ends `cancelled`, starts nothing more, and is
never resumed."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.config.schema import WorkflowConfig
from axo_tui.core.events.catalog import AgentFailed, Event, RunCompleted, RunStarted
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runtime import RunError
from axo_tui.core.tools import Tool, ToolContext, ToolRegistry
from axo_tui.core.tools.builtins import BUILTIN_TOOLS
from tests.support.builders import agent, make_config, scripted, step, until


def slow_tools(entered: list[str]) -> ToolRegistry:
    """A `wait` tool that never returns: the activation calling it is in flight until
    cancelled."""

    async def wait(context: ToolContext, arguments: dict[str, Any]) -> str:
        entered.append(context.agent_id)
        await asyncio.Event().wait()
        return "never"

    tool = Tool("wait", "Wait.", {"type": "object", "properties": {}}, wait)
    return ToolRegistry([*BUILTIN_TOOLS, tool])


def run_id_of(events: list[Event]) -> str:
    return next(e.run_id for e in events if isinstance(e, RunStarted) and e.run_id)


async def test_cancelled_workflow_stops_and_starts_no_dependents(tmp_path: Path) -> None:
    entered: list[str] = []
    config = make_config(
        tmp_path,
        [agent("slow", tools=("wait",)), agent("next", "slow"), agent("last", "next")],
        workflows=[WorkflowConfig("chain", ("slow", "next", "last"))],
        providers=[scripted({"slow": [step("", ("wait", {})), "done"], "next": ["n"]})],
    )
    data_dir = tmp_path / ".axo"
    async with build_runtime(config, data_dir=data_dir, tools=slow_tools(entered)) as runtime:
        sub = runtime.bus.subscribe()
        running = asyncio.ensure_future(runtime.run_workflow("chain", "go"))
        await until(lambda: entered == ["slow"])
        seen = sub.drain()
        run_id = run_id_of(seen)

        result = await runtime.cancel_run(run_id)

        assert result.status == "cancelled" and not result.ok
        assert result.errors == {"slow": "cancelled while running"}
        assert running.cancelled()  # the caller's await ends with the run
        await asyncio.sleep(0.05)  # nothing may start after the cancel
        events = seen + sub.drain()
        activated = [e.agent_id for e in events if e.kind == "agent.activated"]
        assert activated == ["slow"]
        failed = [e for e in events if isinstance(e, AgentFailed)]
        assert [(e.agent_id, e.error_kind) for e in failed] == [("slow", "cancelled")]
        ends = [e for e in events if isinstance(e, RunCompleted)]
        assert [(e.run_id, e.status) for e in ends] == [(run_id, "cancelled")]
        record = runtime.journal.get_run(run_id)
        assert record is not None and record.status == "cancelled"
        statuses = [(a.agent_id, a.status) for a in runtime.journal.activations(run_id)]
        assert statuses == [("slow", "cancelled")]
        assert runtime.status("slow").state == "idle"
        assert runtime.status("next").waiting == 0

    # The next start-up resumes unfinished runs: a cancelled one is finished.
    async with build_runtime(config, data_dir=data_dir, tools=slow_tools(entered)) as runtime:
        assert await runtime.resume_unfinished() == []
        record = runtime.journal.get_run(run_id)
        assert record is not None and record.status == "cancelled"
    assert entered == ["slow"]


async def test_cancel_a_single_agent_turn(tmp_path: Path) -> None:
    entered: list[str] = []
    config = make_config(
        tmp_path,
        [agent("slow", tools=("wait",))],
        providers=[scripted({"slow": [step("", ("wait", {})), "done"]})],
    )
    async with build_runtime(
        config, data_dir=tmp_path / ".axo", tools=slow_tools(entered)
    ) as runtime:
        sub = runtime.bus.subscribe()
        running = asyncio.ensure_future(runtime.run_agent("slow", "hi"))
        await until(lambda: entered == ["slow"])
        run_id = run_id_of(sub.drain())
        result = await runtime.cancel_run(run_id)
        assert result.status == "cancelled"
        with contextlib.suppress(asyncio.CancelledError):
            await running
        assert runtime.status("slow").running == 0
        # The runtime carries on: the agent's next turn (the script's next step) completes.
        again = await runtime.run_agent("slow", "again")
        assert again.status == "completed" and again.output == "done"


async def test_cancel_refuses_runs_that_are_not_live(tmp_path: Path) -> None:
    config = make_config(tmp_path, [agent("a")], providers=[scripted({"a": ["hello"]})])
    async with build_runtime(config, data_dir=tmp_path / ".axo") as runtime:
        done = await runtime.run_agent("a", "hi")
        # An ended run's refusal says how it ended, rather than that it does not exist.
        with pytest.raises(RunError, match=r"already ended \(completed\)"):
            await runtime.cancel_run(done.run_id)
        with pytest.raises(RunError, match="no run"):
            await runtime.cancel_run("nonexistent")
        record = runtime.journal.get_run(done.run_id)
        assert record is not None and record.status == "completed"
