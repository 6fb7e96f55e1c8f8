"""Waiting on the workbench without sleeping blindly."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot

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
