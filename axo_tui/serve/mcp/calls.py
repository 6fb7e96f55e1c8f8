"""A tool call is a run through the runtime's public actions (so budgets, approvals, the
journal and the lattice apply as to any run), followed by its events for progress."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from axo_tui.core.base.ids import new_id
from axo_tui.core.runtime.api import RunResult
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.serve.mcp import progress
from axo_tui.serve.mcp.catalog import ToolTarget

Report = Callable[[int, str], Awaitable[None]]
"""Told (step, message) as the run goes; step counts up from 1."""
TRIGGER = "mcp"
"""How the journal says an agent's turn was started: by an MCP client."""


async def run_with_progress(
    runtime: Runtime, target: ToolTarget, text: str, report: Report
) -> RunResult:
    """Run `target` on `text` to its end, telling `report` of its events. The run belongs
    to the runtime: a caller going away stops the telling, not the run (its result stays
    in the journal, `axo://runs/{id}`). Raises RunError when it cannot start."""
    run_id = new_id()
    events = runtime.subscribe(run_id=run_id, kinds=progress.KINDS)
    if target.kind == "agent":
        action = runtime.run_agent(target.id, text, run_id=run_id, trigger=TRIGGER)
    else:
        action = runtime.run_workflow(target.id, text, run_id=run_id)
    run = runtime.spawn(action)
    step = 0
    try:
        while not run.done():
            waiter = asyncio.ensure_future(events.get())
            try:
                await asyncio.wait({run, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
            got = [waiter.result()] if _delivered(waiter) else []
            for message in progress.messages([*got, *events.drain()]):
                step += 1
                await report(step, message)
        for message in progress.messages(events.drain()):  # emitted as it ended
            step += 1
            await report(step, message)
    finally:
        events.close()
    result: RunResult = run.result()
    return result


def _delivered(waiter: asyncio.Future[Any]) -> bool:
    return waiter.done() and not waiter.cancelled() and waiter.exception() is None
