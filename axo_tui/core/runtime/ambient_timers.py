"""The ambient lattice's clocks: schedules (`every`) start workflow runs, proactive
`schedule` triggers start agent runs, each on its interval and never piled up behind a slow
run of its own. On a cluster each tick is claimed by one node (`distributed.ticks`), which
starts its run: a schedule fires once per tick however many nodes host the project."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from axo_tui.core.config.schema import Config, TriggerType
from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import RuntimeNotice
from axo_tui.core.runtime.runs import RunResult

if TYPE_CHECKING:  # the cluster's modules load only with `lattice.backend: nats`
    from axo_tui.core.distributed.ticks import ScheduleTicks


class TimerHost(Protocol):
    @property
    def bus(self) -> EventBus: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...

    async def run_agent(
        self,
        agent_id: str,
        input_text: str,
        *,
        run_kind: str = ...,
        trigger: str = ...,
        run_id: str | None = ...,
    ) -> RunResult: ...

    async def run_workflow(
        self, workflow_id: str, input_text: str, *, run_id: str | None = ...
    ) -> RunResult: ...


class TimerCluster(Protocol):
    """The cluster this process is a node of, as its clocks use it (`ClusterAmbient`)."""

    async def ticks(self) -> ScheduleTicks | None: ...

    def may_run(self, agent_id: str) -> bool: ...


StartRun = Callable[[str | None], Coroutine[Any, Any, RunResult]]
"""Starts a run, under the id given (a cluster tick's: `Tick.run_id`) or a new one."""


@dataclass(frozen=True)
class Timer:
    name: str
    seconds: float
    start_run: StartRun
    agent: str | None
    """A proactive trigger's agent; None for a schedule (a workflow run)."""


def timers(config: Config, host: TimerHost) -> list[Timer]:
    """Every enabled schedule and proactive `schedule` trigger, with how it starts its run."""
    found = [
        Timer(
            f"schedule:{schedule.id}",
            schedule.every_secs,
            partial(_workflow_run, host, schedule.workflow, schedule.input),
            None,
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
            name = f"proactive:{entry.id}"
            start = partial(_agent_run, host, entry.agent, entry.input, name)
            found.append(Timer(name, entry.trigger.every_secs, start, entry.agent))
    return found


def _workflow_run(
    host: TimerHost, workflow: str, text: str, run_id: str | None
) -> Coroutine[Any, Any, RunResult]:
    return host.run_workflow(workflow, text, run_id=run_id)


def _agent_run(
    host: TimerHost, agent: str, text: str, trigger: str, run_id: str | None
) -> Coroutine[Any, Any, RunResult]:
    return host.run_agent(agent, text, run_kind="proactive", trigger=trigger, run_id=run_id)


def timer_loops(
    config: Config, host: TimerHost, cluster: TimerCluster | None = None
) -> list[Coroutine[Any, Any, None]]:
    """One loop per timer (run until cancelled); on a cluster, loops whose ticks are claimed
    in the cluster, a proactive trigger's only on the nodes its agent is placed on."""
    if cluster is None:
        return [every(host, t.seconds, t.name, t.start_run) for t in timers(config, host)]
    return [
        claimed_every(host, cluster, t.seconds, t.name, t.start_run, cluster_runs=t.agent is None)
        for t in timers(config, host)
        if t.agent is None or cluster.may_run(t.agent)
    ]


async def every(host: TimerHost, seconds: float, name: str, start_run: StartRun) -> None:
    running: asyncio.Task[RunResult] | None = None
    while True:
        await asyncio.sleep(seconds)
        if running is not None and not running.done():
            # Never pile runs up behind a slow one.
            host.bus.emit(RuntimeNotice, message=f"{name}: previous run still going, tick skipped")
            continue
        running = host.spawn(start_run(None))


async def claimed_every(
    host: TimerHost,
    cluster: TimerCluster,
    seconds: float,
    name: str,
    start_run: StartRun,
    *,
    cluster_runs: bool,
) -> None:
    """Ticks on the wall clock's multiples of `seconds`, so that every node counts the same
    ones; each is claimed by one node, which starts its run. `cluster_runs`: the run is a
    cluster run (a workflow), so whether the previous one still goes is asked of the
    cluster; else (an agent run, in its node's process) of this process."""
    ticks = await cluster.ticks()
    if ticks is None:
        return  # no cluster to claim ticks in: its node said why
    from axo_tui.core.distributed.ticks import Claim, upcoming

    running: tuple[str, asyncio.Task[RunResult]] | None = None

    async def going_here(run_id: str) -> bool:
        return running is not None and running[0] == run_id and not running[1].done()

    while True:
        tick = upcoming(seconds, time.time())
        while (wait := tick.at - time.time()) > 0:
            await asyncio.sleep(wait)
        if time.time() - tick.at >= seconds:
            continue  # woke an interval late (a suspended machine): that tick has passed
        run_id = tick.run_id()
        try:
            claim = await ticks.claim(
                name, tick, seconds, run_id, still_going=None if cluster_runs else going_here
            )
        except Exception as exc:  # NATS gone for now: this tick is left to the other nodes
            host.bus.emit(
                RuntimeNotice,
                message=f"{name}: tick not claimed in the cluster: {type(exc).__name__}: {exc}",
            )
            continue
        if claim is Claim.WON:
            running = run_id, host.spawn(start_run(run_id))
        elif claim is Claim.BUSY:
            host.bus.emit(RuntimeNotice, message=f"{name}: previous run still going, tick skipped")
