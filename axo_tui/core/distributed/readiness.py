"""A workflow's readiness across nodes: what may start, or must be skipped, given the steps
every node has finished so far. Pure: the states come from the cluster's runs bucket.

A single-agent run is a plan of one step (`Plan.of_agent`): claimed, leased, retried and
ended as a workflow's steps are.

The same rules as one process (`runtime.workflow_driver`): an agent is ready once every one
of its dependencies finished in that run; an upstream failure skips it, or runs it with a
note, per its `on_upstream_failure`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from axo_tui.core.config.schema import Config, UpstreamFailurePolicy

COMPLETED = "completed"
FAILED = "failed"
SKIPPED = "skipped"


@dataclass(frozen=True)
class Plan:
    """One workflow's graph, in declaration order; or one agent's single step."""

    target: str
    """The workflow's id, or the agent's for a single-agent run."""
    agents: tuple[str, ...]
    deps: Mapping[str, tuple[str, ...]]
    run_on_failure: frozenset[str]
    """Agents that run although an upstream failed (`on_upstream_failure: run`)."""
    kind: str = "workflow"
    """`workflow`, or `agent` for a single-agent run."""

    @property
    def workflow_id(self) -> str:
        return self.target if self.kind == "workflow" else ""

    @classmethod
    def of_meta(cls, config: Config, meta: Mapping[str, Any]) -> Plan:
        """The plan a run's meta in the runs bucket names: `{"agent": id}` or
        `{"workflow": id}`. Raises KeyError when this config does not know it."""
        if "agent" in meta:
            return cls.of_agent(config, str(meta["agent"]))
        return cls.of(config, str(meta["workflow"]))

    @classmethod
    def of_agent(cls, config: Config, agent_id: str) -> Plan:
        """One agent's single-agent run: one step, no dependencies."""
        return cls(config.agent(agent_id).id, (agent_id,), {}, frozenset(), kind="agent")

    @classmethod
    def of(cls, config: Config, workflow_id: str) -> Plan:
        workflow = config.workflow(workflow_id)
        members = set(workflow.agents)
        deps = {
            agent_id: tuple(d for d in config.agent(agent_id).depends_on if d in members)
            for agent_id in workflow.agents
        }
        run_anyway = frozenset(
            agent_id
            for agent_id in workflow.agents
            if config.agent(agent_id).on_upstream_failure is not UpstreamFailurePolicy.SKIP
        )
        return cls(workflow.id, tuple(workflow.agents), deps, run_anyway)

    @property
    def sinks(self) -> tuple[str, ...]:
        used = {dep for deps in self.deps.values() for dep in deps}
        return tuple(agent for agent in self.agents if agent not in used)


@dataclass(frozen=True)
class Next:
    start: tuple[str, ...]
    skip: tuple[tuple[str, str], ...]
    """(agent, reason): skipped because an upstream did not complete."""


def next_steps(plan: Plan, finished: Mapping[str, str]) -> Next:
    """Given each finished agent's status, the agents to start and those to skip now. A skip
    can make further agents ready: call again after recording the skips."""
    start: list[str] = []
    skip: list[tuple[str, str]] = []
    for agent in plan.agents:
        if agent in finished:
            continue
        deps = plan.deps.get(agent, ())
        if any(dep not in finished for dep in deps):
            continue
        failed = [dep for dep in deps if finished[dep] != COMPLETED]
        if failed and agent not in plan.run_on_failure:
            skip.append((agent, f"upstream {', '.join(failed)} did not complete"))
        else:
            start.append(agent)
    return Next(tuple(start), tuple(skip))


def final_output(plan: Plan, outputs: Mapping[str, str]) -> str:
    """The sinks' outputs, as one process gives them: declaration order, headed when several."""
    done = [sink for sink in plan.sinks if sink in outputs]
    if len(done) == 1:
        return outputs[done[0]]
    return "\n\n".join(f"## {sink}\n{outputs[sink]}" for sink in done)
