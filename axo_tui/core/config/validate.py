"""Checks that need the whole config: references, cycles, workflow closure, roles.

They run even when sections had errors, on whatever could be built, so one `axo validate`
shows everything; a skipped (invalid) agent simply does not take part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from axo_tui.core.config.build_providers import KIND_NAMES
from axo_tui.core.config.checker import Checker
from axo_tui.core.config.registry import Reference, Registry
from axo_tui.core.config.schema import (
    AgentConfig,
    LatticeDefaults,
    ProactiveConfig,
    ProviderConfig,
    ProviderKind,
    Role,
    WorkflowConfig,
)
from axo_tui.core.config.suggest import did_you_mean, join_hints, one_of
from axo_tui.core.config.yaml_nodes import Node
from axo_tui.core.events.signals import signal_weight

_KIND_LABEL = {"agent": "agent", "workflow": "workflow", "provider": "provider"}


def check_references(checker: Checker, registry: Registry) -> set[str]:
    """Report references to undeclared ids; return provider kind names used implicitly."""
    implicit: set[str] = set()
    for reference in registry.references:
        declared = registry.declared(reference.kind)
        if reference.name in declared:
            continue
        if reference.kind == "provider" and reference.name in KIND_NAMES:
            implicit.add(reference.name)
            continue
        _unknown(checker, reference, declared)
    return implicit


def _unknown(checker: Checker, reference: Reference, declared: Mapping[str, Node]) -> None:
    kind = _KIND_LABEL.get(reference.kind, reference.kind)
    candidates = list(declared)
    if reference.kind == "provider":
        candidates += [k for k in KIND_NAMES if k not in declared]
    listing = (
        f"declared {kind}s: {one_of(candidates)}" if candidates else f"no {kind}s are declared"
    )
    if reference.kind == "provider":
        listing = f"declare it under `providers:` or use one of {one_of(candidates)}"
    checker.report(
        reference.node,
        "unknown-reference",
        f"`{reference.field}` of {reference.owner} names `{reference.name}`, "
        f"which is not a declared {kind}",
        join_hints(did_you_mean(reference.name, candidates), listing),
        reference.severity,
    )


def implicit_providers(names: set[str], declared: Sequence[ProviderConfig]) -> list[ProviderConfig]:
    """Providers referenced by kind name only (`provider: ollama`), with default settings."""
    taken = {p.name for p in declared}
    return [
        ProviderConfig(name=name, kind=ProviderKind(name))
        for name in KIND_NAMES
        if name in names and name not in taken
    ]


def check_dependency_cycles(
    checker: Checker, agents: Sequence[AgentConfig], registry: Registry
) -> None:
    """Report each cycle in `depends_on` once, naming every agent on it."""
    graph = {agent.id: list(agent.depends_on) for agent in agents}
    for cycle in find_cycles(graph):
        first, second = cycle[0], cycle[1 % len(cycle)]
        node = registry.nodes_of("agent", first, "depends_on").get(second)
        checker.error(
            node,
            "cycle",
            f"dependency cycle: {' → '.join([*cycle, first])}",
            "an agent cannot wait for itself; remove one `depends_on` entry on this cycle",
        )


def find_cycles(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Elementary cycles found by depth-first search, one per distinct set of nodes.

    Iterative, because a generated config could chain thousands of agents. Each cycle is
    rotated to start at the node that comes first in `graph`'s order, so reports are stable.
    """
    order = {name: index for index, name in enumerate(graph)}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for root in graph:
        if state.get(root):
            continue
        path: list[str] = [root]
        iterators = [iter(graph.get(root, ()))]
        state[root] = 1
        while iterators:
            child = next(iterators[-1], None)
            if child is None:
                state[path.pop()] = 2
                iterators.pop()
                continue
            if child not in graph:
                continue  # an unknown id, reported as a reference problem
            if state.get(child) == 1:
                cycle = path[path.index(child) :]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    start = min(range(len(cycle)), key=lambda i: order[cycle[i]])
                    cycles.append(cycle[start:] + cycle[:start])
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                iterators.append(iter(graph.get(child, ())))
    return cycles


def check_workflows(
    checker: Checker,
    workflows: Sequence[WorkflowConfig],
    agents: Sequence[AgentConfig],
    registry: Registry,
) -> None:
    """Entry points inside the workflow. A member's dependency on an agent outside the
    workflow is out of that workflow's scope (a warning): there the member does not wait
    for it, as in Axocoatl, whose own configs rely on that."""
    by_id = {agent.id: agent for agent in agents}
    for workflow in workflows:
        members = set(workflow.agents)
        entry = workflow.entry_point
        if entry is not None and entry in by_id and entry not in members:
            checker.error(
                registry.nodes_of("workflow", workflow.id, "entry_point").get(entry),
                "entry-point-not-in-workflow",
                f"`entry_point` of workflow `{workflow.id}` is `{entry}`, "
                "which is not one of its agents",
                join_hints(
                    did_you_mean(entry, workflow.agents),
                    f"add `{entry}` to `agents` or pick one of {one_of(workflow.agents)}",
                ),
            )
        member_nodes = registry.nodes_of("workflow", workflow.id, "agents")
        for member in workflow.agents:
            agent = by_id.get(member)
            if agent is None:
                continue
            for dependency in agent.depends_on:
                if dependency in members or dependency not in by_id:
                    continue
                checker.warn(
                    member_nodes.get(member),
                    "dependency-outside-workflow",
                    f"workflow `{workflow.id}` runs `{member}`, which depends on `{dependency}`, "
                    f"but `{dependency}` is not in this workflow: in `{workflow.id}` runs, "
                    f"`{member}` does not wait for it",
                    f"add `{dependency}` to the workflow's `agents` if `{member}` needs its "
                    "output there",
                )


def check_roles(checker: Checker, agents: Sequence[AgentConfig], registry: Registry) -> None:
    """Coordinators need workers; workers are dispatched, so they wait on no one."""
    workers = [agent for agent in agents if agent.role is Role.WORKER]
    for agent in agents:
        if agent.role is Role.WORKER and agent.depends_on:
            checker.error(
                registry.nodes_of("agent", agent.id, "depends_on").get(agent.depends_on[0]),
                "worker-with-depends-on",
                f"worker `{agent.id}` has `depends_on`, but workers are dispatched by a "
                "coordinator, not by dependencies",
                "remove `depends_on`, or change `role` to `autonomous`",
            )
    coordinators = [agent for agent in agents if agent.role is Role.COORDINATOR]
    for coordinator in coordinators:
        node = registry.declared("agent").get(coordinator.id)
        if not workers:
            checker.error(
                node,
                "coordinator-without-workers",
                f"coordinator `{coordinator.id}` has no workers to delegate to",
                "add at least one agent with `role: worker`",
            )
        elif all(worker.tools == () for worker in workers):
            checker.warn(
                node,
                "workers-without-tools",
                f"coordinator `{coordinator.id}` only has workers without tools",
                "give a worker `tools:` (or omit `tools` for the defaults) so subtasks can "
                "act, not only talk",
            )


def check_fallbacks(
    checker: Checker, providers: Sequence[ProviderConfig], registry: Registry
) -> None:
    """A provider's fallback chain must end: `a → b → a` would retry forever."""
    graph = {p.name: [p.fallback] if p.fallback else [] for p in providers}
    nodes = {
        reference.owner_id: reference.node
        for reference in registry.references
        if reference.field == "fallback" and reference.owner_kind == "provider"
    }
    for provider in providers:
        if provider.fallback == provider.name:
            checker.error(
                nodes.get(provider.name),
                "fallback-cycle",
                f"provider `{provider.name}` falls back to itself",
                "name another provider in `fallback`, or remove it",
            )
    for cycle in find_cycles(graph):
        if len(cycle) < 2:
            continue
        checker.error(
            nodes.get(cycle[0]),
            "fallback-cycle",
            f"provider fallback cycle: {' → '.join([*cycle, cycle[0]])}",
            "end the chain: remove `fallback` from one provider on this cycle",
        )


def check_trigger_weights(
    checker: Checker,
    agents: Sequence[AgentConfig],
    proactive: Sequence[ProactiveConfig],
    lattice: LatticeDefaults,
) -> None:
    """Warn when an `on_event` trigger can never fire on a single event.

    Signals deposit their weight and an agent fires when its intensity reaches its
    threshold: one AgentFailed (0.8) does not reach the default 1.0. That is the pheromone
    model working as designed, but a user who wrote "react to AgentFailed" deserves to know.
    """
    thresholds = {
        agent.id: agent.lattice.threshold
        if agent.lattice.threshold is not None
        else lattice.threshold
        for agent in agents
    }
    for entry in proactive:
        event = entry.trigger.event
        if not entry.enabled or event is None or entry.agent not in thresholds:
            continue
        weight = signal_weight(event)
        threshold = thresholds[entry.agent]
        if weight + 1e-9 >= threshold:
            continue
        line, column = (entry.span.line, entry.span.column) if entry.span else (0, 0)
        checker.warn_at(
            line,
            column,
            "weak-trigger",
            f"proactive `{entry.id}` waits for {event} (weight {weight:g}), but agent "
            f"`{entry.agent}` fires at {threshold:g}: one {event} alone will not trigger it",
            f"signals accumulate, so several {event} events in quick succession will; to react "
            f"to every one, give agent `{entry.agent}` `lattice: {{threshold: {weight:g}}}`",
        )
