"""The ambient lattice's clocks: schedules (`every`) start workflow runs, proactive
`schedule` triggers start agent runs, each on its interval and never piled up behind a slow
run of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, Protocol

from axo_tui.core.config.schema import Config, TriggerType
from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import RuntimeNotice
from axo_tui.core.runtime.runs import RunResult


class TimerHost(Protocol):
    @property
    def bus(self) -> EventBus: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...

    async def run_agent(
        self, agent_id: str, input_text: str, *, run_kind: str = ..., trigger: str = ...
    ) -> RunResult: ...

    async def run_workflow(self, workflow_id: str, input_text: str) -> RunResult: ...


StartRun = Callable[[], Coroutine[Any, Any, RunResult]]


def timer_loops(config: Config, host: TimerHost) -> list[Coroutine[Any, Any, None]]:
    """One loop per enabled schedule and proactive `schedule` trigger (run until cancelled)."""
    loops = [
        every(
            host,
            schedule.every_secs,
            f"schedule:{schedule.id}",
            partial(host.run_workflow, schedule.workflow, schedule.input),
        )
        for schedule in config.schedules
        if schedule.enabled
    ]
    for entry in config.proactive:
        if (
            entry.enabled
            and entry.trigger.type is TriggerType.SCHEDULE
            and entry.trigger.every_secs
        ):
            loops.append(
                every(
                    host,
                    entry.trigger.every_secs,
                    f"proactive:{entry.id}",
                    partial(
                        host.run_agent,
                        entry.agent,
                        entry.input,
                        run_kind="proactive",
                        trigger=f"proactive:{entry.id}",
                    ),
                )
            )
    return loops


async def every(host: TimerHost, seconds: float, name: str, start_run: StartRun) -> None:
    running: asyncio.Task[RunResult] | None = None
    while True:
        await asyncio.sleep(seconds)
        if running is not None and not running.done():
            # Never pile runs up behind a slow one.
            host.bus.emit(RuntimeNotice, message=f"{name}: previous run still going, tick skipped")
            continue
        running = host.spawn(start_run())
