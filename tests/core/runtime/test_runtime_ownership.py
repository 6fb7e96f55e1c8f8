"""A runtime owns every task and thread it starts: closing it ends them all, so a process
that builds and closes runtimes (tests, a server hosting several) is left as it was."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from axo_tui.core.config.schema import ScheduleConfig, WorkflowConfig
from axo_tui.core.runtime.build import build_runtime
from tests.support.builders import agent, make_config, scripted, step


def _prefix(thread: threading.Thread) -> str:
    return thread.name.rsplit("_", 1)[0]


async def test_closing_a_runtime_ends_every_task_and_thread_it_started(tmp_path: Path) -> None:
    tasks_before = asyncio.all_tasks()
    threads_before = set(threading.enumerate())
    config = make_config(
        tmp_path,
        [agent("a", tools=("calculator",)), agent("b", "a")],
        workflows=[WorkflowConfig("w", ("a", "b"))],
        providers=[
            scripted({"a": [step("", ("calculator", {"expression": "6*7"})), "42"], "b": ["ok"]})
        ],
        # A timer that never fires in the test: it must still be gone after close.
        schedules=(ScheduleConfig("tick", "w", "1h", 3600.0),),
    )
    # background: the schedule timers and sleep-time consolidation run too.
    async with build_runtime(config, data_dir=tmp_path / ".axo", background=True) as runtime:
        result = await runtime.run_workflow("w", "what is six times seven?")
        assert result.ok and result.outputs["a"] == "42"
        await runtime.memory.search("a", "six times seven", 3)  # stores, then recalls
        await runtime.supervisor.settled()
        started = {_prefix(t) for t in set(threading.enumerate()) - threads_before}
        # The work below ran on threads of the runtime's own: the test covers them.
        assert {"axo-tool", "axo-checkpoint", "axo-memory-store", "axo-memory-recall"} <= started

    pending = [t for t in asyncio.all_tasks() - tasks_before if not t.done()]
    assert pending == []
    # The loop's default executor (asyncio.to_thread) belongs to the loop, not the runtime.
    alive = [
        t.name
        for t in set(threading.enumerate()) - threads_before
        if t.is_alive() and not t.name.startswith("asyncio_")
    ]
    assert alive == []
