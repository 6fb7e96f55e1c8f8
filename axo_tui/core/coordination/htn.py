"""HTN decomposition: Axocoatl's methods, with variables, preconditions and recursion.

A task is compound (it must be broken down) or primitive (a worker does it). A method
applies to a compound task when its `task_pattern` matches the task's name (`research
{topic}` matches "research tides", binding `topic`) and each precondition holds in the world
state. Its subtasks, with the variables filled in, are planned in order, depth first; each
primitive planned counts as done for the preconditions after it (`done:<name>` is true), as
in SHOP. A compound task no method covers is a *frontier*: only those go to the model.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from axo_tui.core.base.errors import AxoError
from axo_tui.core.config.htn_methods import VARIABLE, HtnMethod, TaskType

MAX_DEPTH = 16
"""Nesting beyond this is a method that expands into itself."""
MAX_PRIMITIVES = 64
"""A plan longer than this is refused: it is a runaway decomposition, not a task list."""
DONE_PREFIX = "done:"
"""World-state key of a finished subtask: `done:<task name>` is true."""


class PlanError(AxoError):
    """A decomposition that cannot be planned (recursion, runaway size, no answer)."""


@dataclass(frozen=True)
class Task:
    name: str
    compound: bool = False
    tools: tuple[str, ...] = ()
    source: str = "htn"
    """Who produced it: `htn` (a method, or the goal itself) or `llm` (a frontier's answer)."""


@dataclass
class Plan:
    primitives: list[Task] = field(default_factory=list)
    frontiers: list[Task] = field(default_factory=list)


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class _Compiled:
    method: HtnMethod
    regex: re.Pattern[str]


def _compile(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    seen: set[str] = set()
    position = 0
    text = " ".join(pattern.split())
    for match in VARIABLE.finditer(text):
        parts.append(re.escape(text[position : match.start()]))
        name = match.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        position = match.end()
    parts.append(re.escape(text[position:]))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def fill(text: str, bindings: Mapping[str, str]) -> str:
    return VARIABLE.sub(lambda m: bindings.get(m.group(1), m.group(0)), text)


class HtnPlanner:
    """Methods tried in file order; the first whose pattern and preconditions hold wins."""

    def __init__(self, methods: Iterable[HtnMethod], state: Mapping[str, Any]) -> None:
        self._methods = [_Compiled(m, _compile(m.task_pattern)) for m in methods]
        self.state: dict[str, Any] = dict(state)
        self._resolved: dict[str, list[Task]] = {}
        """Frontiers the model answered: exact (normalised) task name -> its subtasks."""

    def add_resolution(self, task: Task, subtasks: list[Task]) -> None:
        self._resolved[normalise(task.name)] = subtasks

    def decompose(self, task: Task, state: Mapping[str, Any]) -> list[Task] | None:
        """The subtasks of the first applicable method, or None (a frontier)."""
        name = " ".join(task.name.split())
        for compiled in self._methods:
            match = compiled.regex.fullmatch(name)
            if match is None:
                continue
            bindings = {k: v.strip() for k, v in match.groupdict().items()}
            method = compiled.method
            if all(state.get(fill(c.key, bindings)) == c.expected for c in method.preconditions):
                return [
                    Task(
                        fill(s.name, bindings),
                        s.task_type is TaskType.COMPOUND,
                        tuple(fill(t, bindings) for t in s.tools),
                    )
                    for s in method.subtasks
                ]
        return self._resolved.get(normalise(task.name))

    def plan(self, root: Task) -> Plan:
        plan = Plan()
        self._expand(root, plan, dict(self.state), (), 0)
        return plan

    def _expand(
        self, task: Task, plan: Plan, state: dict[str, Any], path: tuple[str, ...], depth: int
    ) -> None:
        if not task.compound:
            if len(plan.primitives) >= MAX_PRIMITIVES:
                raise PlanError(f"the plan has over {MAX_PRIMITIVES} subtasks; check the methods")
            plan.primitives.append(task)
            state[DONE_PREFIX + task.name] = True
            return
        path = (*path, task.name)
        if depth >= MAX_DEPTH or normalise(task.name) in {normalise(p) for p in path[:-1]}:
            raise PlanError(f"the HTN methods expand into themselves: {' → '.join(path)}")
        subtasks = self.decompose(task, state)
        if subtasks is None:
            plan.frontiers.append(task)
            return
        for subtask in subtasks:
            self._expand(subtask, plan, state, path, depth + 1)


Resolver = Callable[[Task, Mapping[str, Any]], Awaitable[list[Task]]]
"""Asks the model to break one frontier task into subtasks."""


async def plan_with_frontiers(
    planner: HtnPlanner, root: Task, resolve: Resolver, *, max_rounds: int = 3
) -> list[Task]:
    """The primitives of `root`: methods first, `resolve` for each frontier, then planned
    again (an answer may hold compound tasks that methods cover), `max_rounds` times."""
    plan = planner.plan(root)
    rounds = 0
    while plan.frontiers:
        if rounds == max_rounds:
            names = ", ".join(f"'{t.name}'" for t in plan.frontiers)
            raise PlanError(f"tasks still undecomposed after {max_rounds} rounds: {names}")
        rounds += 1
        for frontier in plan.frontiers:
            planner.add_resolution(frontier, await resolve(frontier, planner.state))
        plan = planner.plan(root)
    return plan.primitives
