"""Agent sections: required keys, types, enums, budgets, memory, lattice, ranges."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from axo_tui.core.config import Config, OverflowPolicy, Problem, Role, UpstreamFailurePolicy
from tests.support.config_files import codes, only

Problems = Callable[..., list[Problem]]


def test_agent_defaults(load: Callable[..., Config]) -> None:
    agent = load("agents:\n  - id: a\n").agent("a")
    assert agent.provider == "local"
    assert agent.role is Role.AUTONOMOUS
    assert agent.tools is None
    assert agent.max_tool_rounds == 8
    assert agent.on_upstream_failure is UpstreamFailurePolicy.SKIP
    assert agent.token_budget.overflow_policy is OverflowPolicy.ABORT
    assert [b.label for b in agent.memory.core_blocks] == ["persona", "human", "project"]


def test_missing_id(problems: Problems) -> None:
    found = problems("agents:\n  - model: x\n    provider: ollama\n")
    problem = only(found, "missing-key")
    assert (problem.line, problem.column) == (2, 5)
    assert problem.message == "agent needs `id`"
    assert problem.hint == "add `id:` to this agent"


def test_agent_that_is_not_a_mapping(problems: Problems) -> None:
    problem = only(problems("agents:\n  - researcher\n"), "wrong-type")
    assert problem.line == 2
    assert (
        problem.message == 'each agent must be a mapping of settings, found the text "researcher"'
    )
    assert "- id: ..." in problem.hint


def test_agents_not_a_list(problems: Problems) -> None:
    problem = only(problems("agents:\n  a: {model: x}\n"), "wrong-type")
    assert problem.line == 2
    assert problem.message == "`agents` in the top level must be a list, found a mapping"


def test_invalid_id(problems: Problems) -> None:
    problem = only(problems("agents:\n  - id: ../etc\n"), "invalid-id")
    assert (problem.line, problem.column) == (2, 9)
    assert "letters, digits" in problem.hint


def test_an_id_too_long_for_a_file_name_is_refused(problems: Problems) -> None:
    problem = only(problems(f"agents:\n  - id: {'a' * 300}\n"), "invalid-id")
    assert (problem.line, problem.column) == (2, 9)
    assert "300 characters long (at most 64)" in problem.message
    assert "names files" in problem.hint


def test_an_id_of_64_characters_is_fine(load: Callable[..., Config]) -> None:
    assert load(f"agents:\n  - id: {'a' * 64}\n").agents[0].id == "a" * 64


def test_duplicate_agent_ids(problems: Problems) -> None:
    found = problems("agents:\n  - id: a\n  - id: b\n  - id: a\n")
    problem = only(found, "duplicate-id")
    assert (problem.line, problem.column) == (4, 9)
    assert problem.message == "duplicate agent id `a`: first declared at line 2, again at line 4"


def test_unknown_key_with_did_you_mean(problems: Problems) -> None:
    problem = only(problems("agents:\n  - id: a\n    depends: [b]\n"), "unknown-key")
    assert (problem.line, problem.column) == (3, 5)
    assert problem.message == "unknown key `depends` in agent `a`"
    assert problem.hint.startswith("did you mean 'depends_on'?")


def test_misplaced_key_names_its_section(problems: Problems) -> None:
    problem = only(problems("agents:\n  - id: a\n    per_call: 100\n"), "unknown-key")
    assert "`per_call` belongs in: token_budget" in problem.hint


@pytest.mark.parametrize(
    ("yaml_text", "line", "message"),
    [
        (
            "    token_budget: {per_cal: 1}\n",
            3,
            "unknown key `per_cal` in `token_budget` of agent `a`",
        ),
        (
            "    sampling: {temprature: 1}\n",
            3,
            "unknown key `temprature` in `sampling` of agent `a`",
        ),
        ("    memory: {recal: {}}\n", 3, "unknown key `recal` in `memory` of agent `a`"),
        ("    lattice: {treshold: 1}\n", 3, "unknown key `treshold` in `lattice` of agent `a`"),
        (
            "    memory:\n      core:\n        blocks:\n          - {label: x, limt: 5}\n",
            6,
            "unknown key `limt` in core memory block",
        ),
    ],
)
def test_unknown_nested_keys(yaml_text: str, line: int, message: str, problems: Problems) -> None:
    problem = only(problems("agents:\n  - id: a\n" + yaml_text), "unknown-key")
    assert problem.line == line
    assert problem.message == message
    assert "did you mean" in problem.hint


def test_unknown_top_level_key(problems: Problems) -> None:
    problem = only(problems("agent:\n  - id: a\n"), "unknown-key")
    assert (problem.line, problem.column) == (1, 1)
    assert problem.message == "unknown key `agent` in the top level"
    assert problem.hint.startswith("did you mean 'agents'?")


def test_sandbox_is_accepted_and_ignored(load: Callable[..., Config]) -> None:
    config = load("sandbox:\n  anything: [goes, here]\n  nested:\n    x: ${UNSET}\nagents: []\n")
    assert config.warnings == ()


def test_depends_on_as_text_offers_the_fix(problems: Problems) -> None:
    found = problems("agents:\n  - id: researcher\n  - id: writer\n    depends_on: researcher\n")
    problem = only(found, "wrong-type")
    assert (problem.line, problem.column) == (4, 17)
    assert problem.message == (
        '`depends_on` in agent `writer` must be a list, found the text "researcher"'
    )
    assert problem.hint == "write `depends_on: [researcher]`"


def test_list_items_must_be_names(problems: Problems) -> None:
    problem = only(problems("agents:\n  - id: a\n    tools: [x, {y: 1}]\n"), "wrong-type")
    assert (problem.line, problem.column) == (3, 16)
    assert "items of `tools` in agent `a` must be names" in problem.message


def test_text_field_given_a_list(problems: Problems) -> None:
    problem = only(problems("agents:\n  - id: a\n    model: [x]\n"), "wrong-type")
    assert problem.message == "`model` in agent `a` must be text, found a list"


def test_numbers_are_accepted_as_text(load: Callable[..., Config]) -> None:
    assert load("agents:\n  - id: 7\n    model: 3.5\n").agent("7").model == "3.5"


def test_empty_tools_means_no_tools(load: Callable[..., Config]) -> None:
    config = load("agents:\n  - id: a\n    tools: []\n  - id: b\n    tools:\n")
    assert config.agent("a").tools == ()
    assert config.agent("b").tools is None


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("role", "workr", "`autonomous`, `worker`, `coordinator`, `chat`"),
        ("on_upstream_failure", "ignore", "`skip`, `run`"),
    ],
)
def test_unknown_enum_values(key: str, value: str, allowed: str, problems: Problems) -> None:
    problem = only(problems(f"agents:\n  - id: a\n    {key}: {value}\n"), "invalid-choice")
    assert (problem.line, problem.column) == (3, 7 + len(key))
    assert problem.message == f"`{value}` is not a valid `{key}` for agent `a`"
    assert f"use one of {allowed}" in problem.hint


def test_role_typo_did_you_mean(problems: Problems) -> None:
    problem = only(problems("agents:\n  - id: a\n    role: workr\n"), "invalid-choice")
    assert problem.hint.startswith("did you mean 'worker'?")


def test_overflow_policy_enum(problems: Problems) -> None:
    found = problems("agents:\n  - id: a\n    token_budget:\n      overflow_policy: stop\n")
    problem = only(found, "invalid-choice")
    assert problem.line == 4
    assert "use one of `abort`, `warn`" in problem.hint


def test_per_call_larger_than_per_execution(problems: Problems) -> None:
    found = problems(
        "agents:\n  - id: a\n    token_budget:\n      per_call: 5000\n      per_execution: 1000\n"
    )
    problem = only(found, "budget-order")
    assert (problem.line, problem.column) == (4, 17)
    assert problem.message == (
        "`per_call` (5000) is larger than `per_execution` (1000) in agent `a`"
    )
    assert "lower `per_call` or raise `per_execution`" in problem.hint


@pytest.mark.parametrize("value", ["0", "-5"])
def test_budget_must_be_positive(value: str, problems: Problems) -> None:
    found = problems(f"agents:\n  - id: a\n    token_budget:\n      per_execution: {value}\n")
    problem = only(found, "out-of-range")
    assert problem.line == 4
    assert problem.message == (
        f"`per_execution` in `token_budget` of agent `a` must be at least 1, found {value}"
    )


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("1.5", ""),
        ("2000.0", "write `per_call: 2000`"),
        ("'2000'", "remove the quotes: `per_call: 2000`"),
        ("lots", ""),
    ],
)
def test_budget_must_be_an_integer(value: str, hint: str, problems: Problems) -> None:
    found = problems(f"agents:\n  - id: a\n    token_budget: {{per_call: {value}}}\n")
    problem = only(found, "wrong-type")
    assert "must be a whole number" in problem.message
    assert problem.hint == hint


def test_budget_must_not_be_a_boolean(problems: Problems) -> None:
    problem = only(
        problems("agents:\n  - id: a\n    token_budget: {per_call: true}\n"), "wrong-type"
    )
    assert "found the boolean true" in problem.message


@pytest.mark.parametrize("value", ["0", "65"])
def test_max_tool_rounds_range(value: str, problems: Problems) -> None:
    problem = only(problems(f"agents:\n  - id: a\n    max_tool_rounds: {value}\n"), "out-of-range")
    assert (problem.line, problem.column) == (3, 22)
    assert problem.message == (
        f"`max_tool_rounds` in agent `a` must be between 1 and 64, found {value}"
    )


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("temperature: -0.1", "`temperature` in `sampling` of agent `a` must be between 0 and 2"),
        ("top_p: 1.5", "`top_p` in `sampling` of agent `a` must be between 0 and 1"),
        ("max_tokens: 0", "`max_tokens` in `sampling` of agent `a` must be at least 1"),
    ],
)
def test_sampling_ranges(setting: str, message: str, problems: Problems) -> None:
    problem = only(problems(f"agents:\n  - id: a\n    sampling: {{{setting}}}\n"), "out-of-range")
    assert problem.message.startswith(message)


def test_sampling_rejects_infinity(problems: Problems) -> None:
    problem = only(
        problems("agents:\n  - id: a\n    sampling: {temperature: .inf}\n"), "wrong-type"
    )
    assert "must be a finite number" in problem.message


def memory_yaml(blocks: str) -> str:
    return "agents:\n  - id: a\n    memory:\n      core:\n        blocks:\n" + blocks


@pytest.mark.parametrize("limit", ["0", "100001", "-3"])
def test_core_block_limit_range(limit: str, problems: Problems) -> None:
    found = problems(memory_yaml(f"          - label: notes\n            limit: {limit}\n"))
    problem = only(found, "out-of-range")
    assert (problem.line, problem.column) == (7, 20)
    assert "must be between 1 and 100000" in problem.message


def test_core_block_limit_must_be_an_integer(problems: Problems) -> None:
    found = problems(memory_yaml("          - label: notes\n            limit: 2.5\n"))
    assert "must be a whole number" in only(found, "wrong-type").message


@pytest.mark.parametrize("label", ["Notes", "1st", "my-notes", "'a b'"])
def test_core_block_label_pattern(label: str, problems: Problems) -> None:
    problem = only(problems(memory_yaml(f"          - label: {label}\n")), "invalid-label")
    assert (problem.line, problem.column) == (6, 20)
    assert "lowercase" in problem.hint


def test_core_block_label_is_capped(problems: Problems, load: Callable[..., Config]) -> None:
    problem = only(problems(memory_yaml(f"          - label: {'a' * 1024}\n")), "invalid-label")
    assert (problem.line, problem.column) == (6, 20)
    assert problem.message.endswith("is 1024 characters long (at most 64)")
    assert len(problem.message) < 120  # the label is cut, not printed whole
    config = load(memory_yaml(f"          - label: {'a' * 64}\n"))
    assert config.agents[0].memory.core_blocks[0].label == "a" * 64


def test_core_block_labels_unique(problems: Problems) -> None:
    found = problems(memory_yaml("          - label: notes\n          - label: notes\n"))
    problem = only(found, "duplicate-label")
    assert problem.line == 7
    assert problem.message == "core memory block `notes` is declared twice (first at line 6)"


def test_core_block_needs_label(problems: Problems) -> None:
    problem = only(problems(memory_yaml("          - limit: 5\n")), "missing-key")
    assert problem.message == "core memory block needs `label`"


def test_core_block_value_within_limit(problems: Problems) -> None:
    found = problems(memory_yaml("          - {label: notes, limit: 3, value: abcdef}\n"))
    problem = only(found, "out-of-range")
    assert "has 6 characters, more than its limit of 3" in problem.message


def test_declared_blocks_replace_defaults(load: Callable[..., Config]) -> None:
    config = load(memory_yaml("          - {label: notes, limit: 50, shared: true}\n"))
    (block,) = config.agent("a").memory.core_blocks
    assert (block.label, block.limit, block.shared) == ("notes", 50, True)
    assert load(memory_yaml("          []\n")).agent("a").memory.core_blocks == ()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("top_k: 0", "`top_k` in `recall` of `memory` of agent `a` must be between 1 and 100"),
        ("top_k: 101", "`top_k` in `recall` of `memory` of agent `a` must be between 1 and 100"),
        (
            "min_score: 1.5",
            "`min_score` in `recall` of `memory` of agent `a` must be between 0 and 1",
        ),
        (
            "min_score: -0.1",
            "`min_score` in `recall` of `memory` of agent `a` must be between 0 and 1",
        ),
    ],
)
def test_recall_ranges(setting: str, message: str, problems: Problems) -> None:
    found = problems(f"agents:\n  - id: a\n    memory:\n      recall: {{{setting}}}\n")
    problem = only(found, "out-of-range")
    assert problem.line == 4
    assert problem.message.startswith(message)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("threshold: 0", "`threshold` in `lattice` of agent `a` must be greater than 0, found 0"),
        ("threshold: -1", "`threshold` in `lattice` of agent `a` must be greater than 0"),
        ("decay: -0.5", "`decay` in `lattice` of agent `a` must be at least 0, found -0.5"),
    ],
)
def test_agent_lattice_ranges(setting: str, message: str, problems: Problems) -> None:
    found = problems(f"agents:\n  - id: a\n    lattice: {{{setting}}}\n")
    assert only(found, "out-of-range").message.startswith(message)


def test_section_of_wrong_type(problems: Problems) -> None:
    problem = only(problems("agents:\n  - id: a\n    token_budget: 100\n"), "wrong-type")
    assert (problem.line, problem.column) == (3, 19)
    assert problem.message == "`token_budget` in agent `a` must be a mapping, found the number 100"


def test_every_problem_is_reported_at_once(problems: Problems) -> None:
    found = problems(
        """
        agents:
          - id: a
            rol: worker
            max_tool_rounds: 0
          - model: x
          - id: a
        workflows:
          - id: w
        """
    )
    assert codes(found) == [
        "unknown-key",
        "out-of-range",
        "missing-key",
        "duplicate-id",
        "missing-key",
    ]
    assert [p.line for p in found] == [3, 4, 5, 6, 8]
