"""Runs: their results, the error of one that cannot start, and how one is begun and ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from axo_tui.core.base.enums import ErrorKind, RunStatus
from axo_tui.core.base.errors import AxoError
from axo_tui.core.providers.base import Usage


def chat_session_id(agent_id: str, name: str) -> str:
    """The journal key of a named chat session. Scoped by agent so that two agents' sessions
    called "default" never share a transcript; `axo chat` and `axo run --session` agree."""
    return f"chat:{agent_id}:{name}"


class RunError(AxoError):
    """A run could not start (unknown workflow, agent or skill); names what and offers ids."""


def unknown_name(what: str, given: str, known: list[str]) -> str:
    """The message for an id nobody declared: the closest known one, and all of them."""
    import difflib  # only on this error path: it costs a millisecond to import

    message = f"no {what} named '{given}'"
    close = difflib.get_close_matches(given, known, n=1)
    if close:
        message += f"; did you mean '{close[0]}'?"
    if known:
        message += f" (known: {', '.join(known)})"
    return message


@dataclass(frozen=True)
class ActivationResult:
    agent_id: str
    activation_id: str
    ok: bool
    output: str = ""
    error: str | None = None
    error_kind: ErrorKind | None = None
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class RunResult:
    run_id: str
    kind: str
    """workflow, coordinator, agent, chat, message, skill, signal, proactive or consolidation."""
    target: str
    status: RunStatus
    """completed or failed (cancelled or interrupted when stopped)."""
    output: str
    outputs: dict[str, str] = field(default_factory=dict)
    failed: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    activations: int = 0

    @property
    def ok(self) -> bool:
        return self.status == RunStatus.COMPLETED

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "target": self.target,
            "status": self.status,
            "output": self.output,
            "outputs": self.outputs,
            "failed": list(self.failed),
            "skipped": list(self.skipped),
            "errors": self.errors,
            "usage": {
                "prompt_tokens": self.usage.prompt_tokens,
                "completion_tokens": self.usage.completion_tokens,
                "total_tokens": self.usage.total,
            },
            "activations": self.activations,
        }


class RunBook(Protocol):
    """Beginning and ending runs: journaled, announced on the bus, and (at the end) committed
    before anyone hears of it. The Runtime implements it; its helpers (ambient, resume) are
    handed the Runtime as this, so they need not import it."""

    def begin_run(self, run_id: str, kind: str, target: str, input_text: str) -> None: ...

    async def end_run(
        self,
        run_id: str,
        kind: str,
        target: str,
        status: RunStatus,
        output: str,
        *,
        outputs: dict[str, str],
        failed: tuple[str, ...] = (),
        skipped: tuple[str, ...] = (),
        errors: dict[str, str] | None = None,
        activations: int = 0,
    ) -> RunResult: ...
