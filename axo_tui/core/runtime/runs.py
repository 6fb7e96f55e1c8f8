"""Run results and identifiers."""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from typing import Any

from axo_tui.core.providers.base import Usage


def chat_session_id(agent_id: str, name: str) -> str:
    """The journal key of a named chat session. Scoped by agent so that two agents' sessions
    called "default" never share a transcript; `axo chat` and `axo run --session` agree."""
    return f"chat:{agent_id}:{name}"


_random = random.Random()  # seeded from os.urandom
os.register_at_fork(after_in_child=_random.seed)  # a forked child must not repeat our ids


def random_hex(nbytes: int) -> str:
    """Random hex for ids (not secrets): every activation makes two ids, and os.urandom is
    a system call, several microseconds on a busy loop's thread; this is a tenth of one."""
    return f"{_random.getrandbits(nbytes * 8):0{nbytes * 2}x}"


def new_id() -> str:
    """A sortable, unique id: milliseconds since the epoch, then randomness (hex)."""
    return f"{int(time.time() * 1000):011x}{random_hex(5)}"


@dataclass(frozen=True)
class ActivationResult:
    agent_id: str
    activation_id: str
    ok: bool
    output: str = ""
    error: str | None = None
    error_kind: str | None = None
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class RunResult:
    run_id: str
    kind: str
    """workflow, agent, skill, signal, schedule or proactive."""
    target: str
    status: str
    """completed or failed."""
    output: str
    outputs: dict[str, str] = field(default_factory=dict)
    failed: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    activations: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "completed"

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
