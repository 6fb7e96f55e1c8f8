"""HTN planning: patterns with variables, preconditions on the world state, recursion, and
the frontiers left for the model."""

from __future__ import annotations

import pytest

from axo_tui.core.config.htn_methods import parse_methods
from axo_tui.core.coordination.htn import HtnPlanner, PlanError, Task, plan_with_frontiers

METHODS = """\
- task_pattern: "research {topic}"
  preconditions: [{key: online, expected: true}]
  subtasks:
    - {name: "gather {topic}", task_type: Compound}
    - {name: "write up {topic}", parameters: {tools: [write_file]}, task_type: Primitive}
- task_pattern: "research {topic}"
  preconditions: []
  subtasks:
    - {name: "recall what we know of {topic}", task_type: Primitive}
- task_pattern: "gather {topic}"
  preconditions: []
  subtasks:
    - {name: "search {topic}", parameters: {tools: [read_file]}, task_type: Primitive}
    - {name: "check {topic}", task_type: Compound}
- task_pattern: "check {topic}"
  preconditions: [{key: "done:search {topic}", expected: true}]
  subtasks:
    - {name: "cross-check {topic}", task_type: Primitive}
"""


def planner(state: dict[str, object], text: str = METHODS) -> HtnPlanner:
    methods, problems = parse_methods(text, "methods.yaml")
    assert problems == []
    return HtnPlanner(methods, state)


def names(tasks: list[Task]) -> list[str]:
    return [t.name for t in tasks]


def test_variables_bind_and_fill_and_compound_tasks_expand_recursively() -> None:
    plan = planner({"online": True}).plan(Task("Research   ocean tides", compound=True))
    assert names(plan.primitives) == [
        "search ocean tides",
        "cross-check ocean tides",
        "write up ocean tides",
    ]
    assert plan.primitives[0].tools == ("read_file",)
    assert plan.frontiers == []


def test_a_precondition_the_config_does_not_set_picks_the_next_method() -> None:
    plan = planner({"online": False}).plan(Task("research tides", compound=True))
    assert names(plan.primitives) == ["recall what we know of tides"]


def test_preconditions_see_the_subtasks_planned_before_them() -> None:
    # `check` needs `done:search X`: planned on its own, the search was never done.
    alone = planner({}).plan(Task("check tides", compound=True))
    assert alone.primitives == [] and names(alone.frontiers) == ["check tides"]
    done = planner({"done:search tides": True}).plan(Task("check tides", compound=True))
    assert names(done.primitives) == ["cross-check tides"]


def test_a_task_no_method_covers_is_a_frontier() -> None:
    plan = planner({"online": True}).plan(Task("bake a cake", compound=True))
    assert plan.primitives == [] and names(plan.frontiers) == ["bake a cake"]


def test_methods_that_expand_into_themselves_are_refused() -> None:
    loop = """\
- task_pattern: "a {x}"
  preconditions: []
  subtasks: [{name: "b {x}", task_type: Compound}]
- task_pattern: "b {x}"
  preconditions: []
  subtasks: [{name: "a {x}", task_type: Compound}]
"""
    with pytest.raises(PlanError, match="expand into themselves: a 1 → b 1 → a 1"):
        planner({}, loop).plan(Task("a 1", compound=True))


async def test_only_frontiers_are_asked_and_answers_are_planned_again() -> None:
    asked: list[str] = []

    async def resolve(task: Task, state: object) -> list[Task]:
        asked.append(task.name)
        return [Task("one", source="llm"), Task("gather tides", compound=True, source="llm")]

    text = METHODS + '- task_pattern: "study {t}"\n  preconditions: []\n  subtasks:\n'
    text += '    - {name: "research {t}", task_type: Compound}\n'
    text += '    - {name: "ponder {t}", task_type: Compound}\n'
    tasks = await plan_with_frontiers(
        planner({}, text), Task("study tides", compound=True), resolve
    )
    # `ponder tides` was the one frontier; the answer's compound task expanded by methods.
    assert asked == ["ponder tides"]
    assert names(tasks) == [
        "recall what we know of tides",
        "one",
        "search tides",
        "cross-check tides",
    ]
