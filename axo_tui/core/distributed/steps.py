"""What the cluster asks of the runtime that hosts a node, and what a step leaves behind.

The runtime (a higher layer) passes itself in through `ClusterHost`, as it does for the
workflow driver: this layer never imports it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from axo_tui.core.config.schema import Config


@dataclass(frozen=True)
class Step:
    """One activation of one agent in one cluster run."""

    run_id: str
    workflow_id: str
    agent_id: str
    input: str
    upstream: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    attempt: int
    """1 the first time; more when a node died holding it and another claimed it."""
    trigger: str = "workflow"
    """How the journal says the activation was started: a single-agent run keeps its
    starter's (`manual`, `mcp`...)."""
    task: str = ""


@dataclass(frozen=True)
class StepOutcome:
    ok: bool
    activation_id: str
    output: str = ""
    error: str = ""
    error_kind: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class StepRecord:
    """A finished step as the runs bucket holds it: written once, by the node that did it."""

    status: str
    node: str
    activation_id: str = ""
    output: str = ""
    error: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ts: float = 0.0

    def encode(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes) -> StepRecord:
        raw: dict[str, Any] = json.loads(data)
        return cls(**{key: raw[key] for key in raw if key in cls.__dataclass_fields__})

    @classmethod
    def of(cls, outcome: StepOutcome, node: str) -> StepRecord:
        return cls(
            status="completed" if outcome.ok else "failed",
            node=node,
            activation_id=outcome.activation_id,
            output=outcome.output,
            error=outcome.error,
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            ts=time.time(),
        )


@dataclass(frozen=True)
class RunOutcome:
    """How a cluster run ended, whichever node ended it."""

    run_id: str
    workflow_id: str
    status: str
    """`completed`, or `failed` when an agent failed or was skipped."""
    output: str
    outputs: dict[str, str]
    failed: tuple[str, ...]
    skipped: tuple[str, ...]
    errors: dict[str, str]
    prompt_tokens: int
    completion_tokens: int
    activations: int
    ended_by: str
    kind: str = "workflow"
    """`workflow`, or `agent` for a single-agent run (then `workflow_id` is the agent's)."""

    def encode(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes) -> RunOutcome:
        raw: dict[str, Any] = json.loads(data)
        raw["failed"] = tuple(raw.get("failed", ()))
        raw["skipped"] = tuple(raw.get("skipped", ()))
        return cls(**{key: raw[key] for key in raw if key in cls.__dataclass_fields__})


Settle = Callable[[StepOutcome], Awaitable[str | None]]
"""Records a step's end in the cluster: None when this end counts, else why it does not (a
node whose claim had run out recorded its own first)."""

RecordOf = Callable[[str, str], Awaitable[StepRecord | None]]
"""The record of (run, agent) in the runs bucket, if the step has one."""


class ClusterHost(Protocol):
    """The runtime of this node, as the cluster uses it."""

    @property
    def config(self) -> Config: ...

    async def run_step(self, step: Step, settle: Settle) -> StepOutcome:
        """Activate the agent (journaled, streamed, budgeted like any activation). Its end
        goes to `settle` before it is journaled: an end that does not count is journaled as
        superseded (`cancelled`), never as a second completion."""

    async def close_stale_steps(self, record_of: RecordOf) -> None:
        """End the steps this node was running when it stopped: as their record says when it
        holds this node's activation (it died between recording and journaling), else
        interrupted (the cluster retries them elsewhere)."""

    def run_started(
        self, run_id: str, target: str, input_text: str, kind: str = "workflow"
    ) -> None:
        """Announce a run this node starts (`run.started`, of kind `workflow` or `agent`)."""

    def run_ended(self, outcome: RunOutcome) -> None:
        """Announce the end of a run this node ended (`run.completed`)."""

    def step_skipped(self, run_id: str, agent_id: str, reason: str) -> None:
        """Announce a step this node skipped (`agent.skipped`)."""

    def run_announced(self, run_id: str) -> bool:
        """Whether this node's journal holds the run's `run.completed` already."""

    def notice(self, run_id: str | None, message: str) -> None: ...
