"""The ambient lattice: skills, named signals, proactive agents and schedules.

Routing: a named signal (a skill's `emits`, the `emit_event` tool, `axo emit`, or a system
signal such as AgentFailed) deposits its weight into every agent that listens for it: the
holders of skills whose `reacts_to` names it, and proactive agents whose `on_event` trigger
names it. An agent whose intensity crosses its threshold fires, with its skill's prompt (or
the trigger's input) and the signal's payload as input. Skill cascades stay inside the run
that started them (their pheromones are scoped to that run); proactive reactions are
ambient and start runs of their own, rate-limited by the trigger's cooldown. On a cluster
(`lattice.backend: nats`) the ambient scope is the cluster's shared field (`ambient_cluster`).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from axo_tui.core.base.enums import RunStatus
from axo_tui.core.base.ids import new_id
from axo_tui.core.config.schema import (
    AgentConfig,
    Config,
    ProactiveConfig,
    SkillConfig,
    TriggerType,
)
from axo_tui.core.events.catalog import LatticeSignal, RuntimeNotice, SignalEmitted, SkillFired
from axo_tui.core.events.signals import canonical_signal
from axo_tui.core.runtime.agent_turn import TurnRequest
from axo_tui.core.runtime.ambient_timers import TimerHost, timer_loops
from axo_tui.core.runtime.lattice import Deposit, PheromoneField
from axo_tui.core.runtime.runs import (
    ActivationResult,
    RunBook,
    RunError,
    RunResult,
    unknown_name,
)

if TYPE_CHECKING:  # the cluster's modules load only with `lattice.backend: nats`
    from axo_tui.core.distributed.field import SharedDeposit
    from axo_tui.core.runtime.ambient_cluster import AmbientCluster, ClusterAmbient

DEFAULT_AMBIENT_GUARD = 32
"""Activations one skill or signal run may make before further reactions are refused."""

# System signals the engine publishes on its own.
AGENT_FAILED = "AgentFailed"
TASK_COMPLETED = "TaskCompleted"
WORKFLOW_COMPLETED = "WorkflowCompleted"


@dataclass
class _AmbientRun:
    run_id: str
    guard: int
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    results: list[tuple[int, ActivationResult, bool]] = field(default_factory=list)
    """(depth, result, whether it triggered further activations)."""
    activations: int = 0
    refused: list[str] = field(default_factory=list)


class AmbientHost(RunBook, TimerHost, Protocol):
    """What the router needs of the runtime that owns it (the Runtime implements it): its
    clocks' needs (`TimerHost`: the bus, spawning, starting runs) and these."""

    @property
    def cluster(self) -> AmbientCluster | None: ...

    def agent_config(self, agent_id: str) -> AgentConfig: ...

    async def activate(self, request: TurnRequest, *, trigger: str) -> ActivationResult: ...


class AmbientRouter:
    def __init__(self, runtime: AmbientHost) -> None:
        self._runtime = runtime
        self.field = PheromoneField()
        self._skill_listeners: dict[str, list[tuple[str, SkillConfig]]] = {}
        self._proactive_listeners: dict[str, list[ProactiveConfig]] = {}
        self._runs: dict[str, _AmbientRun] = {}
        self._last_fired: dict[str, float] = {}
        self._timers: list[asyncio.Task[None]] = []
        self._stopped: set[asyncio.Task[None]] = set()
        """Timers cancelled by a reload that have not ended yet: `aclose` waits for them."""
        self._config: Config | None = None
        self._shared: ClusterAmbient | None = None
        """On a cluster: the proactive triggers' field, shared by every node."""

    def configure(self, config: Config) -> None:
        self._config = config
        cluster = self._runtime.cluster
        if cluster is not None and self._shared is None:
            from axo_tui.core.runtime.ambient_cluster import ClusterAmbient

            self._shared = ClusterAmbient(
                cluster,
                announce=lambda *said: self._announce(None, *said),
                fire=self._fire_proactive,
                notice=self._notice,
            )
        if self._shared is not None:
            self._shared.configure(config)
        skills: dict[str, list[tuple[str, SkillConfig]]] = defaultdict(list)
        for skill in config.skills:
            for signal in skill.reacts_to:
                for agent_id in skill.agents:
                    skills[canonical_signal(signal)].append((agent_id, skill))
        proactive: dict[str, list[ProactiveConfig]] = defaultdict(list)
        for entry in config.proactive:
            if entry.enabled and entry.trigger.type is TriggerType.ON_EVENT and entry.trigger.event:
                proactive[canonical_signal(entry.trigger.event)].append(entry)
        self._skill_listeners = dict(skills)
        self._proactive_listeners = dict(proactive)
        self.field.configure(
            threshold=config.lattice.threshold,
            decay=config.lattice.decay,
            overrides={a.id: (a.lattice.threshold, a.lattice.decay) for a in config.agents},
        )
        if self._timers:
            self.stop_timers()
            self.start_timers()

    def listeners(self, signal: str) -> list[str]:
        agents = [agent for agent, _ in self._skill_listeners.get(signal, [])]
        agents += [entry.agent for entry in self._proactive_listeners.get(signal, [])]
        return list(dict.fromkeys(agents))

    # --------------------------------------------------------------- entry points
    async def fire_skill(self, skill_id: str, input_text: str) -> RunResult:
        config = self._require_config()
        try:
            skill = config.skill(skill_id)
        except KeyError:
            raise RunError(unknown_name("skill", skill_id, [s.id for s in config.skills])) from None
        if not skill.agents:
            raise RunError(f"skill '{skill_id}' has no agents to run it (set `agents:`)")
        run = self._open_run("skill", skill_id, input_text)
        self._runtime.bus.emit(SkillFired, run_id=run.run_id, skill_id=skill.id, emits=skill.emits)
        for agent_id in skill.agents:
            self._start(run, skill, agent_id, input_text, depth=0)
        return await self._close_run(run, "skill", skill_id)

    async def emit_signal(self, name: str, payload: str) -> RunResult:
        run = self._open_run("signal", name, payload)
        self._deposit(run, name, payload, source="user", depth=0)
        return await self._close_run(run, "signal", name)

    async def emit_from_tool(self, name: str, payload: str, run_id: str | None) -> None:
        """The `emit_event` tool: react inside the caller's ambient run, or start one."""
        run = self._runs.get(run_id or "")
        if run is not None:
            self._deposit(run, name, payload, source="tool", depth=1)
        else:
            self._runtime.spawn(self.emit_signal(name, payload))

    # ---------------------------------------------------------------- run plumbing
    def _open_run(self, kind: str, target: str, input_text: str) -> _AmbientRun:
        run = _AmbientRun(new_id(), DEFAULT_AMBIENT_GUARD)
        self._runtime.begin_run(run.run_id, kind, target, input_text)
        self._runs[run.run_id] = run
        return run

    async def _close_run(self, run: _AmbientRun, kind: str, target: str) -> RunResult:
        try:
            while run.tasks:
                await asyncio.wait(set(run.tasks))
        finally:
            left = list(run.tasks)  # cancelled from outside: the run's activations end too
            for task in left:
                task.cancel()
            if left:
                await asyncio.gather(*left, return_exceptions=True)
            self._runs.pop(run.run_id, None)
        ordered = sorted(run.results, key=lambda item: (item[0], item[1].agent_id))
        outputs = {result.agent_id: result.output for _, result, _ in ordered if result.ok}
        leaves = [result for _, result, triggered in ordered if result.ok and not triggered]
        output = (
            leaves[0].output
            if len(leaves) == 1
            else "\n\n".join(f"## {r.agent_id}\n{r.output}" for r in leaves)
        )
        failed = tuple(dict.fromkeys(r.agent_id for _, r, _ in ordered if not r.ok))
        errors = {r.agent_id: r.error or "failed" for _, r, _ in ordered if not r.ok}
        for agent_id in run.refused:
            errors.setdefault(agent_id, f"refused: run reached {run.guard} activations")
        return await self._runtime.end_run(
            run.run_id,
            kind,
            target,
            RunStatus.FAILED if failed or run.refused else RunStatus.COMPLETED,
            output,
            outputs=outputs,
            failed=failed,
            skipped=tuple(dict.fromkeys(run.refused)),
            errors=errors,
            activations=run.activations,
        )

    def _start(
        self, run: _AmbientRun, skill: SkillConfig, agent_id: str, input_text: str, depth: int
    ) -> bool:
        if run.activations >= run.guard:
            run.refused.append(agent_id)
            self._runtime.bus.emit(
                RuntimeNotice,
                run_id=run.run_id,
                agent_id=agent_id,
                message=f"not activated: the run reached its limit of {run.guard} activations",
            )
            return False
        run.activations += 1
        task = asyncio.ensure_future(
            self._skill_activation(run, skill, agent_id, input_text, depth)
        )
        run.tasks.add(task)
        task.add_done_callback(run.tasks.discard)
        return True

    async def _skill_activation(
        self, run: _AmbientRun, skill: SkillConfig, agent_id: str, input_text: str, depth: int
    ) -> None:
        runtime = self._runtime
        request = TurnRequest(
            agent=runtime.agent_config(agent_id),
            input=input_text,
            activation_id=new_id(),
            session_id=f"run:{run.run_id}:{agent_id}",
            run_id=run.run_id,
            task=skill.prompt,
        )
        result = await runtime.activate(request, trigger=f"skill:{skill.id}")
        triggered = False
        if result.ok:
            for signal in skill.emits:
                triggered |= self._deposit(run, signal, result.output, agent_id, depth + 1)
        run.results.append((depth, result, triggered))

    def _deposit(
        self, run: _AmbientRun, signal: str, payload: str, source: str, depth: int
    ) -> bool:
        """Route one signal within a run. Returns whether any activation started."""
        signal = canonical_signal(signal)
        bus = self._runtime.bus
        bus.emit(
            SignalEmitted,
            run_id=run.run_id,
            agent_id=source if source not in ("user", "tool") else None,
            name=signal,
            source=source,
            payload_text=payload[:2000],
        )
        started = False
        listeners = self._skill_listeners.get(signal, [])
        by_agent: dict[str, list[SkillConfig]] = defaultdict(list)
        for agent_id, skill in listeners:
            by_agent[agent_id].append(skill)
        for deposit in self.field.deposit(signal, list(by_agent), scope=run.run_id):
            self._announce(run.run_id, deposit.agent_id, signal, deposit)
            if deposit.fired:
                for skill in by_agent[deposit.agent_id]:
                    started |= self._start(run, skill, deposit.agent_id, payload, depth)
        self._proactive(signal, payload)
        return started

    def _announce(
        self, run_id: str | None, agent_id: str, signal: str, deposit: Deposit | SharedDeposit
    ) -> None:
        if not self._runtime.bus.wanted(LatticeSignal):
            return  # not journaled: with no viewer attached, nobody would see it
        self._runtime.bus.emit(
            LatticeSignal,
            run_id=run_id,
            agent_id=agent_id,
            signal=signal,
            weight=deposit.weight,
            intensity=deposit.intensity,
            threshold=deposit.threshold,
            fired=deposit.fired,
        )

    def _notice(self, message: str) -> None:
        self._runtime.bus.emit(RuntimeNotice, message=message)

    # ------------------------------------------------------------ proactive agents
    def _proactive(self, signal: str, payload: str) -> None:
        signal = canonical_signal(signal)
        entries = self._proactive_listeners.get(signal, [])
        if not entries:
            return
        by_agent = {entry.agent: entry for entry in entries}
        if self._shared is not None:  # the cluster's field: a round trip, not inline
            self._runtime.spawn(self._shared.deposit(signal, payload, by_agent))
            return
        for deposit in self.field.deposit(signal, list(by_agent), scope=None):
            self._announce(None, deposit.agent_id, signal, deposit)
            if not deposit.fired:
                continue
            entry = by_agent[deposit.agent_id]
            now = time.monotonic()
            last = self._last_fired.get(entry.id)
            if last is not None and now - last < entry.trigger.cooldown_secs:
                continue
            self._last_fired[entry.id] = now
            self._fire_proactive(entry, signal, payload)

    def _fire_proactive(self, entry: ProactiveConfig, signal: str, payload: str) -> None:
        text = f"{entry.input}\n\nEvent {signal}: {payload}".strip()
        self._runtime.spawn(
            self._runtime.run_agent(
                entry.agent, text, run_kind="proactive", trigger=f"proactive:{entry.id}"
            )
        )

    # -------------------------------------------------------------- engine hooks
    def agent_activated(self, agent_id: str) -> None:
        """Hook for visualisation; activation itself is not routed as a signal."""

    def agent_finished(self, agent_id: str, run_id: str | None, *, ok: bool, output: str) -> None:
        signal = TASK_COMPLETED if ok else AGENT_FAILED
        if signal in self._proactive_listeners or signal in self._skill_listeners:
            payload = f"{agent_id}: {output[:1000]}"
            run = self._runs.get(run_id or "")
            if run is not None and signal in self._skill_listeners:
                self._deposit(run, signal, payload, agent_id, depth=1)
            else:
                self._proactive(signal, payload)

    def run_finished(self, run_id: str, kind: str) -> None:
        self.field.drop_scope(run_id)
        if kind == "workflow" and WORKFLOW_COMPLETED in self._proactive_listeners:
            self._proactive(WORKFLOW_COMPLETED, run_id)

    # -------------------------------------------------------------------- timers
    def start_timers(self) -> None:
        loops = timer_loops(self._require_config(), self._runtime, self._shared)
        if self._shared is not None:  # firings other nodes hand to this one
            listening = [e for entries in self._proactive_listeners.values() for e in entries]
            loops.append(self._shared.serve(listening))
        self._timers += [asyncio.ensure_future(loop) for loop in loops]

    def stop_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
            self._stopped.add(timer)
            timer.add_done_callback(self._stopped.discard)
        self._timers.clear()

    async def aclose(self) -> None:
        """Stop the timers and wait until each has ended."""
        self.stop_timers()
        if self._stopped:
            await asyncio.gather(*self._stopped, return_exceptions=True)

    def _require_config(self) -> Config:
        if self._config is None:
            raise RuntimeError("the ambient router is not configured")
        return self._config
