"""Waiting on the workbench without sleeping blindly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from axo_tui.core.tools import Tool, ToolContext
from axo_tui.tui.app import AxoApp


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], bool], *, timeout: float = 10.0, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)


async def wait_runs_done(pilot: Pilot[None], app: AxoApp, count: int = 1) -> None:
    """Until `count` runs finished and their last events reached the widgets."""

    def done() -> bool:
        runs = list(app.model.runs.values())
        return len(runs) >= count and all(run.status != "running" for run in runs)

    await wait_until(pilot, done, what=f"{count} finished runs")
    await pilot.pause()


def add_wait_tool(app: AxoApp, entered: list[str]) -> None:
    """A tool that never returns: the run stays in flight until cancelled."""

    async def wait(context: ToolContext, arguments: dict[str, Any]) -> str:
        entered.append(context.agent_id)
        await asyncio.Event().wait()
        return "never"

    tool = Tool("wait", "Wait.", {"type": "object", "properties": {}}, wait, timeout_secs=600)
    app.bridge.runtime.tools.register(tool)


async def start_slow_run(pilot: Any, app: AxoApp, entered: list[str]) -> str:
    await pilot.pause()
    await pilot.press("r", *"go", "enter")
    await wait_until(pilot, lambda: entered == ["slow"], what="the slow tool")
    await pilot.pause()
    (run_id,) = app.model.active_run_ids()
    return run_id
