"""What is wrong with a config file, where, and how to fix it.

Every check in the config package reports a `Problem` instead of raising, so a user sees all
of their mistakes in one go. `ConfigError` carries the whole list and is the only exception
that `load_config` lets escape.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding about a config file.

    `line` and `column` are 1-based; 0 means the problem is about the file as a whole.
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


class ConfigError(Exception):
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
