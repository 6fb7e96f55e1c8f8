"""What `axo doctor` reports: one typed result per check, and the report they make up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from axo_tui.core.config import Problem


class Status(StrEnum):
    """How a check came out. Only `fail` makes the doctor exit non-zero."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class CheckResult:
    """One line of the report: what was checked, how it went, and what to do about it."""

    name: str
    """Stable id (`python`, `provider:ollama`, `deep:wasmtime`) that scripts can match on."""
    status: Status
    message: str
    """One line: what was found, never a secret."""
    fix: str | None = None
    """One line: what to do, for `warn` and `fail`."""
    problems: tuple[Problem, ...] = field(default=(), compare=False, repr=False)
    """Config problems behind this result, for the CLI to render as `axo validate` does."""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "message": self.message,
            "fix": self.fix,
        }


def ok(name: str, message: str) -> CheckResult:
    return CheckResult(name, Status.OK, message)


def warn(name: str, message: str, fix: str | None) -> CheckResult:
    return CheckResult(name, Status.WARN, message, fix)


def fail(name: str, message: str, fix: str | None) -> CheckResult:
    return CheckResult(name, Status.FAIL, message, fix)


def fail_or_warn(required: bool, name: str, message: str, fix: str | None) -> CheckResult:
    """`fail` when the project depends on the thing, `warn` when it merely could."""
    return CheckResult(name, Status.FAIL if required else Status.WARN, message, fix)


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[CheckResult, ...]
    elapsed: float
    """Wall-clock seconds the whole run took."""

    @property
    def ok(self) -> bool:
        return not any(check.status is Status.FAIL for check in self.checks)

    def count(self, status: Status) -> int:
        return sum(1 for check in self.checks if check.status is status)

    def to_json(self) -> dict[str, Any]:
        """The shape `axo doctor --json` prints (documented in docs/cli.md)."""
        return {"ok": self.ok, "checks": [check.to_json() for check in self.checks]}


@dataclass(frozen=True)
class DoctorOptions:
    """What the doctor looks at; the CLI fills it from its global options."""

    config: Path | None = None
    """An explicit config file or directory (`--config`); None means look in `search_dir`."""
    search_dir: Path = field(default_factory=Path.cwd)
    data_dir: Path | None = None
    """`--data-dir` / `AXO_DATA_DIR`, overriding the config's."""
    deep: bool = False
    """Also load the models and exercise wasmtime and chromadb (seconds, not milliseconds)."""
    network_timeout: float = 1.5
    """Per provider request: a provider that has not answered by then counts as unreachable."""


ExtraCheck = Callable[[], Awaitable[Sequence[CheckResult]]]
"""An additional check to run inside the audited window (plugins, tests)."""
