"""Cross references, dependency cycles, workflow closure, roles, implicit providers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from axo_tui.core.config import Config, Problem, ProviderKind
from axo_tui.core.config.validate import find_cycles
from tests.support.config_files import codes, only

Problems = Callable[..., list[Problem]]


def test_unknown_depends_on_with_did_you_mean(problems: Problems) -> None:
    found = problems("agents:\n  - id: researcher\n  - id: writer\n    depends_on: [reseacher]\n")
    problem = only(found, "unknown-reference")
    assert (problem.line, problem.column) == (4, 18)
    assert problem.message == (
        "`depends_on` of agent `writer` names `reseacher`, which is not a declared agent"
    )
    assert problem.hint.startswith("did you mean 'researcher'?")


def test_unknown_reference_lists_declared_ids(problems: Problems) -> None:
    problem = only(problems("agents:\n  - id: a\n    depends_on: [zzz]\n"), "unknown-reference")
    assert problem.hint == "declared agents: `a`"


@pytest.mark.parametrize(
    ("yaml_text", "line", "column", "message"),
    [
        (
            "workflows:\n  - id: w\n    agents: [a, ghost]\n",
            5,
            17,
            "`agents` of workflow `w` names `ghost`, which is not a declared agent",
        ),
        (
            "workflows:\n  - id: w\n    agents: [a]\n    entry_point: ghost\n",
            6,
            18,
            "`entry_point` of workflow `w` names `ghost`, which is not a declared agent",
        ),
        (
            "skills:\n  - id: s\n    agents: [ghost]\n",
            5,
            14,
            "`agents` of skill `s` names `ghost`, which is not a declared agent",
        ),
        (
            "schedules:\n  - id: s\n    workflow: ghost\n    every: 1h\n",
            5,
            15,
            "`workflow` of schedule `s` names `ghost`, which is not a declared workflow",
        ),
        (
            "proactive:\n  - id: p\n    agent: ghost\n    trigger: {type: schedule, every: 1h}\n",
            5,
            12,
            "`agent` of proactive agent `p` names `ghost`, which is not a declared agent",
        ),
        (
            "providers:\n  mine: {kind: openai, fallback: ghost}\n",
            4,
            34,
            "`fallback` of provider `mine` names `ghost`, which is not a declared provider",
        ),
    ],
)
def test_unknown_references(
    yaml_text: str, line: int, column: int, message: str, problems: Problems
) -> None:
    problem = only(problems("agents:\n  - id: a\n" + yaml_text), "unknown-reference")
    assert (problem.line, problem.column) == (line, column)
    assert problem.message == message


def test_unknown_provider_did_you_mean(problems: Problems) -> None:
    problem = only(problems("agents:\n  - id: a\n    provider: olama\n"), "unknown-reference")
    assert (problem.line, problem.column) == (3, 15)
    assert problem.message == (
        "`provider` of agent `a` names `olama`, which is not a declared provider"
    )
    assert problem.hint.startswith("did you mean 'ollama'? declare it under `providers:`")


def test_implicit_providers_by_kind_name(load: Callable[..., Config]) -> None:
    config = load(
        """
        agents:
          - id: a
            provider: ollama
          - id: b
            provider: anthropic
          - id: c
        providers:
          mine: {kind: openai, fallback: gemini}
        """
    )
    names = {p.name: p.kind for p in config.providers}
    assert names == {
        "mine": ProviderKind.OPENAI,
        "ollama": ProviderKind.OLLAMA,
        "anthropic": ProviderKind.ANTHROPIC,
        "gemini": ProviderKind.GEMINI,
        "local": ProviderKind.LOCAL,
    }
    assert config.provider("ollama").timeout_secs == 120.0


def test_declared_kind_name_is_not_duplicated(load: Callable[..., Config]) -> None:
    config = load(
        "agents:\n  - id: a\n    provider: ollama\nproviders:\n  ollama:\n    max_retries: 1\n"
    )
    (provider,) = [p for p in config.providers if p.name == "ollama"]
    assert provider.max_retries == 1


def test_dependency_cycle_names_the_whole_cycle(problems: Problems) -> None:
    found = problems(
        """
        agents:
          - id: a
            depends_on: [c]
          - id: b
            depends_on: [a]
          - id: c
            depends_on: [b]
        """
    )
    problem = only(found, "cycle")
    assert problem.message == "dependency cycle: a → c → b → a"
    assert (problem.line, problem.column) == (3, 18)
    assert "remove one `depends_on`" in problem.hint


def test_self_dependency(problems: Problems) -> None:
    problem = only(problems("agents:\n  - id: a\n    depends_on: [a]\n"), "cycle")
    assert problem.message == "dependency cycle: a → a"


def test_two_separate_cycles(problems: Problems) -> None:
    found = problems(
        "agents:\n"
        "  - {id: a, depends_on: [b]}\n  - {id: b, depends_on: [a]}\n"
        "  - {id: c, depends_on: [d]}\n  - {id: d, depends_on: [c]}\n"
    )
    assert sorted(p.message for p in found if p.code == "cycle") == [
        "dependency cycle: a → b → a",
        "dependency cycle: c → d → c",
    ]


def test_find_cycles_long_chain_is_iterative() -> None:
    graph = {f"n{i}": [f"n{i + 1}"] for i in range(5000)}
    graph["n5000"] = ["n0"]
    (cycle,) = find_cycles(graph)
    assert len(cycle) == 5001 and cycle[0] == "n0"


def test_diamond_is_not_a_cycle(load: Callable[..., Config]) -> None:
    load(
        "agents:\n  - id: a\n  - {id: b, depends_on: [a]}\n  - {id: c, depends_on: [a]}\n"
        "  - {id: d, depends_on: [b, c]}\n"
    )


def test_entry_point_must_be_in_the_workflow(problems: Problems) -> None:
    found = problems(
        """
        agents:
          - id: a
          - id: b
        workflows:
          - id: w
            agents: [a]
            entry_point: b
        """
    )
    problem = only(found, "entry-point-not-in-workflow")
    assert (problem.line, problem.column) == (7, 18)
    assert problem.message == "`entry_point` of workflow `w` is `b`, which is not one of its agents"
    assert "add `b` to `agents` or pick one of `a`" in problem.hint


def test_dependency_outside_the_workflow_is_out_of_its_scope(load: Callable[..., Config]) -> None:
    # Axocoatl's own configs do this; the run is tested in test_workflow_scope.py.
    config = load(
        """
        agents:
          - id: researcher
          - id: writer
            depends_on: [researcher]
        workflows:
          - id: w
            agents: [writer]
        """
    )
    problem = only(list(config.warnings), "dependency-outside-workflow")
    assert (problem.line, problem.column, problem.severity) == (7, 14, "warning")
    assert "in `w` runs, `writer` does not wait for it" in problem.message
    assert "add `researcher` to the workflow's `agents`" in problem.hint


def test_workflow_needs_agents(problems: Problems) -> None:
    found = problems("agents: []\nworkflows:\n  - id: w\n  - id: v\n    agents: []\n")
    missing = only(found, "missing-key")
    assert (missing.line, missing.message) == (3, "workflow `w` needs `agents`")
    empty = only(found, "empty-workflow")
    assert empty.line == 5


def test_workflow_lists_an_agent_twice(problems: Problems) -> None:
    found = problems("agents:\n  - id: a\nworkflows:\n  - id: w\n    agents: [a, a]\n")
    problem = only(found, "duplicate-id")
    assert problem.message == "agent `a` is listed twice in workflow `w`"


@pytest.mark.parametrize(
    "section", ["workflows", "skills", "schedules", "proactive", "mcp_servers"]
)
def test_duplicate_ids_in_every_section(section: str, problems: Problems) -> None:
    bodies = {
        "workflows": "agents: [a]",
        "skills": "prompt: x",
        "schedules": "workflow: w, every: 1h",
        "proactive": "agent: a, trigger: {type: schedule, every: 1h}",
        "mcp_servers": "command: x",
    }
    body = bodies[section]
    extra = "" if section == "workflows" else "workflows:\n  - {id: w, agents: [a]}\n"
    found = problems(
        f"agents:\n  - id: a\n{extra}{section}:\n  - {{id: d, {body}}}\n  - {{id: d, {body}}}\n"
    )
    problem = only(found, "duplicate-id")
    assert "id `d`: first declared at line" in problem.message


def test_duplicate_provider_names_are_duplicate_keys(problems: Problems) -> None:
    found = problems("providers:\n  a: {kind: openai}\n  a: {kind: ollama}\n")
    assert only(found, "duplicate-key").line == 3


def test_coordinator_needs_a_worker(problems: Problems) -> None:
    problem = only(
        problems("agents:\n  - id: boss\n    role: coordinator\n"), "coordinator-without-workers"
    )
    assert (problem.line, problem.column) == (2, 9)
    assert problem.message == "coordinator `boss` has no workers to delegate to"
    assert "role: worker" in problem.hint


def test_worker_must_not_depend(problems: Problems) -> None:
    found = problems(
        "agents:\n  - id: boss\n    role: coordinator\n  - id: a\n"
        "  - id: w\n    role: worker\n    depends_on: [a]\n"
    )
    problem = only(found, "worker-with-depends-on")
    assert (problem.line, problem.column) == (7, 18)
    assert "dispatched by a coordinator" in problem.message


def test_coordinator_with_toolless_workers_warns(load: Callable[..., Config]) -> None:
    config = load(
        "agents:\n  - id: boss\n    role: coordinator\n  - id: w\n    role: worker\n    tools: []\n"
    )
    warning = only(list(config.warnings), "workers-without-tools")
    assert warning.severity == "warning"
    assert warning.line == 2


def test_coordinator_with_default_tools_is_fine(load: Callable[..., Config]) -> None:
    config = load("agents:\n  - id: boss\n    role: coordinator\n  - id: w\n    role: worker\n")
    assert config.warnings == ()


def test_fallback_cycle(problems: Problems) -> None:
    found = problems(
        "providers:\n  a: {kind: openai, fallback: b}\n  b: {kind: openai, fallback: c}\n"
        "  c: {kind: openai, fallback: a}\n"
    )
    problem = only(found, "fallback-cycle")
    assert problem.message == "provider fallback cycle: a → b → c → a"
    assert (problem.line, problem.column) == (2, 31)


def test_fallback_to_itself(problems: Problems) -> None:
    problem = only(problems("providers:\n  a: {kind: openai, fallback: a}\n"), "fallback-cycle")
    assert problem.message == "provider `a` falls back to itself"


def test_reference_checks_still_run_beside_section_errors(problems: Problems) -> None:
    found = problems("agents:\n  - id: a\n    depends_on: [b]\n    role: nope\n")
    assert codes(found) == ["unknown-reference", "invalid-choice"]


def test_scripted_replies_for_unknown_agents_warn(load: Callable[..., Config]) -> None:
    config = load("agents:\n  - id: a\nproviders:\n  scripted:\n    replies:\n      ghost: [hi]\n")
    warning = only(list(config.warnings), "unknown-reference")
    assert warning.severity == "warning"
    assert warning.line == 6
