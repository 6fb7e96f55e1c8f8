"""What is wrong with a config file, where, and how to fix it.

Every check in the config package reports a `Problem` instead of raising, so a user sees all
of their mistakes in one go. `ConfigError` carries the whole list and is the only exception
that `load_config` lets escape.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from axo_tui.core.base.errors import AxoError

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding about a config file.

    `line` and `column` are 1-based. A problem with the file's content as a whole (empty,
    too large, binary) is at 1:1, like every other; 0 means there is no content to point at
    (the file is missing or unreadable, or the problem is in another file such as `.env`).
    `code` is a stable short id (`unknown-key`, `cycle`, ...) that tools and tests can match
    on; the wording of `message` and `hint` may improve over time.
    """

    file: str
    line: int
    column: int
    message: str
    hint: str = ""
    severity: Severity = "error"
    code: str = "invalid"

    @property
    def location(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"

    def render(self) -> str:
        """`file:line:col: error: message` plus an indented hint line, compiler style."""
        text = f"{self.location}: {self.severity}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_json(self) -> dict[str, str | int]:
        """A JSON-ready dict, the shape `axo validate --json` prints."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }

    def __str__(self) -> str:
        return self.render()


def sort_and_dedupe(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in file order, each reported once.

    A node reached through several YAML aliases is checked once per alias; the user wants to
    hear about the written text once.
    """
    seen: set[Problem] = set()
    unique: list[Problem] = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            unique.append(problem)
    # sorted() is stable, so problems on the same spot keep the order they were found in.
    return sorted(unique, key=lambda p: (p.file, p.line, p.column))


class ConfigError(AxoError):
    """A config file could not be loaded; `problems` says every reason (errors and warnings)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(self.render())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)

    def __str__(self) -> str:
        return self.render()


CODES: dict[str, str] = {
    # Reading the file
    "file-not-found": "the config path does not exist",
    "no-config": "no axo.yaml / axo.yml / axocoatl.yaml in the directory",
    "unreadable": "the path is a directory, FIFO or device, or permission is denied",
    "too-large": "the file is over 2 MiB, or holds more than 50000 values",
    "binary-file": "the file contains NUL bytes",
    "bad-encoding": "the file is not UTF-8 (or is UTF-16)",
    "empty-file": "the file holds no YAML document, or only `null`",
    # YAML structure
    "syntax-error": "YAML cannot parse the text (position of the parser's marker)",
    "multiple-documents": "a second `---` document in the file",
    "not-a-mapping": "the top level is a list or a scalar instead of sections",
    "too-deep": "values nested more than 64 levels deep",
    "alias-bomb": "aliases expand to more than 50000 values ('billion laughs')",
    "recursive-alias": "an alias used inside the value its anchor names",
    "undefined-alias": "an alias whose anchor does not exist",
    "unsupported-tag": "an explicit YAML tag (`!!python/...`, `!!binary`, `!x`)",
    "bad-scalar": "a value YAML cannot convert (`!!int abc`, an integer over 4300 digits)",
    "non-string-key": "a list or mapping used as a key",
    "duplicate-key": "the same key twice in one mapping (both lines are named)",
    # Sections and values
    "unknown-key": "a key the section does not accept (with a did-you-mean)",
    "missing-key": "a required key is absent",
    "wrong-type": "a value of the wrong type (text, number, list, mapping...)",
    "invalid-choice": "a value outside an enumeration (the allowed values are listed)",
    "out-of-range": "a number outside its allowed range",
    "invalid-id": "an id or provider name with characters other than letters, digits, _ - ., "
    "or an id over 64 characters",
    "invalid-url": "a URL that is not http(s) (for NATS servers: not nats:// or tls://)",
    "missing-file": "a file a setting names does not exist (NATS credentials, a TLS PEM file)",
    "invalid-duration": "an `every` that is not a positive duration like `30s` or `1h30m`",
    "invalid-label": "a core memory block label not matching [a-z][a-z0-9_]*, or over 64 "
    "characters",
    "duplicate-label": "two core memory blocks with the same label",
    "duplicate-id": "two agents (workflows, skills, ...) with the same id",
    "budget-order": "`per_call` larger than `per_execution`",
    "empty-workflow": "a workflow whose `agents` list is empty",
    "conflicting-keys": "keys that exclude each other (MCP `command` and `url`)",
    "ignored-key": "(warning) a key the given kind or type does not use",
    "deprecated-key": "(warning) an older spelling still accepted (MCP server `id`: write `name`)",
    "unknown-tool": "a name in an agent's `tools` that is no tool (with a did-you-mean)",
    "unavailable-tool": "(warning) an Axocoatl tool in `tools` that axo does not provide",
    "weak-trigger": "(warning) an on_event trigger whose event alone cannot reach the agent's threshold",
    # Whole-config checks
    "unknown-reference": "a name that refers to no declared agent / workflow / provider",
    "cycle": "agents whose `depends_on` form a cycle (the whole cycle is named)",
    "dependency-outside-workflow": "(warning) a workflow agent depends on an agent the "
    "workflow lacks; in that workflow it does not wait for it",
    "entry-point-not-in-workflow": "a workflow's `entry_point` is not one of its agents",
    "fallback-cycle": "providers whose `fallback` chain loops",
    "coordinator-without-workers": "a coordinator with no `role: worker` agent to delegate to",
    "worker-with-depends-on": "a worker with `depends_on` (workers are dispatched)",
    "workers-without-tools": "(warning) a coordinator whose workers all have `tools: []`",
    "unknown-variable": "a `{name}` in an HTN method that its `task_pattern` does not bind",
    # Environment
    "undefined-variable": "`${VAR}` with VAR unset and no default",
    "unset-variable": "(warning) `${VAR}` unset in an `api_key`, which becomes empty",
    "bad-substitution": "`${...}` that is not `${NAME}` or `${NAME:-default}`",
    "bad-env-file": "(warning) the .env beside the config could not be read",
    # Last resort
    "internal-error": "a bug in axo caught while loading; please report it",
    "invalid": "a generic problem (used only when no specific code fits)",
}
"""Every stable problem code with a one-line meaning (docs/config.md lists the same)."""
