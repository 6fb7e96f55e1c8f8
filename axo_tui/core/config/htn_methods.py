"""A workflow's `htn_methods_file`: Axocoatl's HTN decomposition methods, with positions.

The file is a YAML list of methods, as Axocoatl writes it:

    - task_pattern: "research {topic}"
      preconditions: [{key: online, expected: true}]
      subtasks:
        - {name: "find sources on {topic}", parameters: {tools: [read_file]}, task_type: Primitive}
        - {name: "summarise {topic}", task_type: Compound}

Every mistake is a `Problem` at the file's line and column, so `axo validate` points at it;
the coordinator reads the file again at each pass (`load_methods`), so an edit needs no reload.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from axo_tui.core.config.checker import Checker
from axo_tui.core.config.envsubst import Environment
from axo_tui.core.config.fields import Section
from axo_tui.core.config.problems import ConfigError, Problem
from axo_tui.core.config.suggest import did_you_mean, join_hints
from axo_tui.core.config.tool_names import KNOWN_TOOL_NAMES, MCP_PREFIX
from axo_tui.core.config.yaml_compose import compose
from axo_tui.core.config.yaml_nodes import Map, Scalar, Seq, kind_name

METHOD_KEYS = ("task_pattern", "preconditions", "subtasks")
SUBTASK_KEYS = ("name", "parameters", "task_type")
CONDITION_KEYS = ("key", "expected")
MAX_METHODS_BYTES = 1 << 20

VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""`{topic}` in a pattern binds a variable; in a subtask or a precondition key it is replaced."""


class TaskType(StrEnum):
    """Axocoatl's `task_type` (written `Primitive` or `Compound`, any case)."""

    PRIMITIVE = "primitive"
    COMPOUND = "compound"


@dataclass(frozen=True)
class HtnSubtask:
    name: str
    task_type: TaskType = TaskType.PRIMITIVE
    tools: tuple[str, ...] = ()
    """`parameters.tools`: the tools a worker needs for it."""


@dataclass(frozen=True)
class HtnCondition:
    key: str
    expected: Any


@dataclass(frozen=True)
class HtnMethod:
    task_pattern: str
    preconditions: tuple[HtnCondition, ...]
    subtasks: tuple[HtnSubtask, ...]
    where: str = ""
    """`file:line` of the method, for messages."""


def parse_methods(
    text: str, file: str, *, extra_tools: Iterable[str] = ()
) -> tuple[list[HtnMethod], list[Problem]]:
    """The methods of one file and every problem found in it (file:line:col)."""
    root, problems = compose(text, file)
    checker = Checker(file, Environment({}, Path(file)), frozenset(extra_tools))
    checker.problems.extend(problems)
    if root is None:
        if not problems:
            checker.error(None, "empty-file", f"{file} holds no methods", "write a list of methods")
        return [], checker.problems
    if not isinstance(root, Seq):
        checker.error(
            root,
            "wrong-type",
            f"an HTN methods file is a list of methods, found {kind_name(root)}",
            "start each method with `- task_pattern: ...`",
        )
        return [], checker.problems
    methods = []
    for item in root.items:
        if not isinstance(item, Map):
            checker.error(
                item, "wrong-type", f"a method must be a mapping, found {kind_name(item)}"
            )
            continue
        method = _method(checker, item)
        if method is not None:
            methods.append(method)
    return methods, checker.problems


def load_methods(path: Path, *, extra_tools: Iterable[str] = ()) -> list[HtnMethod]:
    """The methods of `path`. Raises ConfigError (every problem, file:line:col)."""
    try:
        data = path.read_bytes()[: MAX_METHODS_BYTES + 1]
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        problem = Problem(str(path), 0, 0, f"cannot read the HTN methods file: {reason}")
        raise ConfigError([problem]) from None
    if len(data) > MAX_METHODS_BYTES:
        raise ConfigError([Problem(str(path), 1, 1, "the HTN methods file is over 1 MiB")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError([Problem(str(path), 1, 1, "the HTN methods file is not UTF-8")]) from None
    methods, problems = parse_methods(text, str(path), extra_tools=extra_tools)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ConfigError(errors)
    return methods


def _method(checker: Checker, node: Map) -> HtnMethod | None:
    section = Section(checker, node, METHOD_KEYS, "HTN method")
    pattern = section.opt_text("task_pattern", required=True)
    bound = set(VARIABLE.findall(pattern or ""))
    conditions = []
    for item in section.items("preconditions", item_name="precondition"):
        condition = _condition(checker, item, bound)
        if condition is not None:
            conditions.append(condition)
    subtasks = []
    items = section.items("subtasks", item_name="subtask")
    if not items and section.value_node("subtasks") is None:
        section.missing("subtasks", "list what the task breaks into under `subtasks:`")
    for item in items:
        subtask = _subtask(checker, item, bound)
        if subtask is not None:
            subtasks.append(subtask)
    if pattern is None:
        return None
    return HtnMethod(pattern, tuple(conditions), tuple(subtasks), f"{checker.file}:{node.line}")


def _condition(checker: Checker, node: Any, bound: set[str]) -> HtnCondition | None:
    if not isinstance(node, Map):
        checker.error(
            node,
            "wrong-type",
            f"a precondition must be a mapping, found {kind_name(node)}",
            "write `- {key: online, expected: true}`",
        )
        return None
    section = Section(checker, node, CONDITION_KEYS, "precondition")
    key = section.opt_text("key", required=True)
    expected_node = section.fields.get("expected")
    if expected_node is None:
        section.missing("expected", "say which value the key must have: `expected: true`")
        return None
    if key is None:
        return None
    _check_variables(checker, section.value_node("key"), key, bound)
    return HtnCondition(key, checker.to_python(expected_node[1]))


def _subtask(checker: Checker, node: Any, bound: set[str]) -> HtnSubtask | None:
    if not isinstance(node, Map):
        checker.error(
            node,
            "wrong-type",
            f"a subtask must be a mapping, found {kind_name(node)}",
            "write `- {name: ..., task_type: Primitive}`",
        )
        return None
    section = Section(checker, node, SUBTASK_KEYS, "subtask")
    name = section.opt_text("name", required=True)
    if name is not None:
        _check_variables(checker, section.value_node("name"), name, bound)
    task_type = TaskType.PRIMITIVE
    type_node = section.value_node("task_type")
    if isinstance(type_node, Scalar):
        written = str(type_node.text)
        try:
            task_type = TaskType(written.lower())
        except ValueError:
            checker.error(
                type_node,
                "invalid-choice",
                f"unknown task_type `{written}` in subtask `{name}`",
                join_hints(
                    did_you_mean(written, ("Primitive", "Compound")), "one of: Primitive, Compound"
                ),
            )
    elif type_node is not None:
        section.wrong_type("task_type", type_node, "Primitive or Compound")
    tools: tuple[str, ...] = ()
    parameters = section.section("parameters", ("tools",), f"`parameters` of subtask `{name}`")
    if parameters is not None:
        named = parameters.named_nodes("tools") or []
        for tool, tool_node in named:
            if tool in KNOWN_TOOL_NAMES or tool in checker.extra_tools:
                continue
            if tool.startswith(MCP_PREFIX):
                continue
            checker.error(
                tool_node,
                "unknown-tool",
                f"subtask `{name}` needs the tool `{tool}`, which no tool answers to",
                did_you_mean(tool, (*KNOWN_TOOL_NAMES, *checker.extra_tools)),
            )
        tools = tuple(tool for tool, _ in named)
    return None if name is None else HtnSubtask(name, task_type, tools)


def _check_variables(checker: Checker, node: Any, text: str, bound: set[str]) -> None:
    for variable in VARIABLE.findall(text):
        if variable not in bound:
            known = ", ".join(f"{{{v}}}" for v in sorted(bound)) or "none"
            checker.error(
                node,
                "unknown-variable",
                f"`{{{variable}}}` is not a variable of the method's task_pattern",
                f"variables of the pattern: {known}",
            )
