"""The event lattice: run-scoped dependency activation and the ambient pheromone field.

Two mechanisms with different jobs:

* `WorkflowRunState` decides activation inside one workflow run: an agent becomes ready
  exactly once, when every one of its dependencies has finished *in that run*. Each run has
  its own state, so concurrent runs of one workflow never see each other's completions.
* `PheromoneField` is the ambient lattice: named signals deposit weight into the agents that
  listen for them; intensity decays as I(t) = I0 * exp(-lambda * t); an agent fires when its
  intensity crosses its threshold, and firing resets it to zero.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from axo_tui.core.events.signals import signal_weight


class NodeState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"


FINISHED = frozenset({NodeState.COMPLETED, NodeState.FAILED, NodeState.SKIPPED})


@dataclass
class WorkflowRunState:
    """Where one workflow run stands. Pure bookkeeping: no I/O, no clocks."""

    agents: tuple[str, ...]
    """In declaration order; outputs of several sinks are joined in this order."""
    deps: Mapping[str, tuple[str, ...]]
    states: dict[str, NodeState] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    activations: int = 0

    def __post_init__(self) -> None:
        for agent in self.agents:
            self.states.setdefault(agent, NodeState.PENDING)
        self.order = {agent: index for index, agent in enumerate(self.agents)}
        """Each agent's place in the declaration."""
        dependents: dict[str, list[str]] = {agent: [] for agent in self.agents}
        for agent in self.agents:
            for dep in self.deps.get(agent, ()):
                if dep in dependents:
                    dependents[dep].append(agent)
        self._dependents = dependents
        self._unfinished: dict[str, int] | None = None
        """Per agent, its dependencies not finished yet; counted at first use (resume sets
        `states` directly after construction), then kept by the mark_* methods."""

    @property
    def sinks(self) -> tuple[str, ...]:
        return tuple(agent for agent in self.agents if not self._dependents[agent])

    def ready(self) -> list[str]:
        """Pending agents whose dependencies have all finished in this run."""
        return [agent for agent in self.agents if self.is_ready(agent)]

    def is_ready(self, agent: str) -> bool:
        if self.states[agent] is not NodeState.PENDING:
            return False
        unfinished = self._unfinished
        if unfinished is None:
            unfinished = self._unfinished = {
                name: sum(1 for dep in self.deps.get(name, ()) if self.states[dep] not in FINISHED)
                for name in self.agents
            }
        # A count, not a scan of the dependencies: a join after a wide fan-out is asked
        # once per finished branch, and scanning made that quadratic.
        return unfinished[agent] == 0

    def _finish(self, agent: str, state: NodeState) -> None:
        was = self.states[agent]
        self.states[agent] = state
        if self._unfinished is not None and was not in FINISHED:
            for dependent in self._dependents.get(agent, ()):
                self._unfinished[dependent] -= 1

    def ready_after(self, finished: str) -> list[str]:
        """The agents that `finished` ending made ready (its dependents only: checking every
        agent after each completion made a wide fan-out quadratic)."""
        return [agent for agent in self._dependents.get(finished, ()) if self.is_ready(agent)]

    def failed_upstream(self, agent: str) -> list[str]:
        return [
            dep
            for dep in self.deps.get(agent, ())
            if self.states[dep] in (NodeState.FAILED, NodeState.SKIPPED)
        ]

    def mark_running(self, agent: str) -> None:
        if self.states[agent] is not NodeState.PENDING:
            raise RuntimeError(f"{agent} activated twice in one run")
        self.states[agent] = NodeState.RUNNING
        self.activations += 1

    def mark_completed(self, agent: str, output: str) -> None:
        self._finish(agent, NodeState.COMPLETED)
        self.outputs[agent] = output

    def mark_failed(self, agent: str, error: str) -> None:
        self._finish(agent, NodeState.FAILED)
        self.errors[agent] = error

    def mark_skipped(self, agent: str, reason: str) -> None:
        self._finish(agent, NodeState.SKIPPED)
        self.errors[agent] = reason

    @property
    def done(self) -> bool:
        return all(state in FINISHED for state in self.states.values())

    def in_state(self, state: NodeState) -> tuple[str, ...]:
        return tuple(agent for agent in self.agents if self.states[agent] is state)

    def final_output(self) -> str:
        """The sinks' outputs, deterministic: declaration order, headed when several."""
        finished = [sink for sink in self.sinks if sink in self.outputs]
        if len(finished) == 1:
            return self.outputs[finished[0]]
        return "\n\n".join(f"## {sink}\n{self.outputs[sink]}" for sink in finished)

    def upstream_context(self, agent: str) -> list[tuple[str, str]]:
        return [(dep, self.outputs[dep]) for dep in self.deps.get(agent, ()) if dep in self.outputs]


@dataclass
class _Intensity:
    value: float = 0.0
    at: float = 0.0


@dataclass(frozen=True)
class Deposit:
    """What one deposit did to one agent."""

    agent_id: str
    signal: str
    weight: float
    intensity: float
    threshold: float
    fired: bool


class PheromoneField:
    """Decaying per-agent intensities. Scoped: each run (or the ambient scope) has its own."""

    def __init__(
        self,
        *,
        threshold: float = 1.0,
        decay: float = 0.1,
        overrides: Mapping[str, tuple[float | None, float | None]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.decay = decay
        self._overrides = dict(overrides or {})
        self._clock = clock
        self._levels: dict[tuple[str | None, str], _Intensity] = {}

    def configure(
        self,
        *,
        threshold: float,
        decay: float,
        overrides: Mapping[str, tuple[float | None, float | None]],
    ) -> None:
        self.threshold = threshold
        self.decay = decay
        self._overrides = dict(overrides)

    def threshold_of(self, agent_id: str) -> float:
        override = self._overrides.get(agent_id, (None, None))[0]
        return self.threshold if override is None else override

    def decay_of(self, agent_id: str) -> float:
        override = self._overrides.get(agent_id, (None, None))[1]
        return self.decay if override is None else override

    def intensity(self, agent_id: str, scope: str | None = None) -> float:
        level = self._levels.get((scope, agent_id))
        if level is None:
            return 0.0
        elapsed = max(0.0, self._clock() - level.at)
        return level.value * math.exp(-self.decay_of(agent_id) * elapsed)

    def deposit(
        self,
        signal: str,
        agents: Iterable[str],
        *,
        scope: str | None = None,
        weight: float | None = None,
    ) -> list[Deposit]:
        """Add a signal's weight to each listening agent; report who crossed the threshold."""
        amount = signal_weight(signal) if weight is None else weight
        now = self._clock()
        results = []
        for agent_id in agents:
            current = self.intensity(agent_id, scope) + amount
            threshold = self.threshold_of(agent_id)
            fired = current >= threshold - 1e-9
            self._levels[(scope, agent_id)] = _Intensity(0.0 if fired else current, now)
            results.append(Deposit(agent_id, signal, amount, current, threshold, fired))
        return results

    def snapshot(self, agent_ids: Sequence[str], scope: str | None = None) -> dict[str, float]:
        return {agent_id: self.intensity(agent_id, scope) for agent_id in agent_ids}

    def drop_scope(self, scope: str) -> None:
        """Forget a finished run's signals so they cannot leak into anything else."""
        for key in [key for key in self._levels if key[0] == scope]:
            del self._levels[key]
