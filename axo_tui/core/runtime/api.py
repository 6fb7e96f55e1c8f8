"""What the Runtime's public queries and actions return: frozen, typed results.

Each `to_dict()` is the `--json` shape documented in docs/cli.md, so the CLI, the TUI and the
HTTP API serialise one object one way. Results the store already types (RunRecord,
ActivationRecord, UsageRow, GcReport) and the run outcome (runs.RunResult) are re-exported
here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from axo_tui.core.config.schema import AgentConfig, SkillConfig, WorkflowConfig
from axo_tui.core.coordination.board import AuctionBoard
from axo_tui.core.memory.core_blocks import CoreBlock
from axo_tui.core.memory.semantic import RecallHit
from axo_tui.core.runtime.runs import RunResult
from axo_tui.core.store.journal import ActivationRecord, RunRecord, UsageRow
from axo_tui.core.store.retention import GcReport

__all__ = [
    "ActivationRecord",
    "AgentInfo",
    "AgentStatusReport",
    "AgentStatusRow",
    "BlockEdit",
    "EventRecord",
    "ForgetReport",
    "GcReport",
    "MemoryStamp",
    "MemoryView",
    "RecallCounts",
    "RecallMatch",
    "RunDetail",
    "RunRecord",
    "RunResult",
    "SessionInfo",
    "SkillInfo",
    "UsageReport",
    "UsageRow",
    "WorkflowInfo",
]


class FieldsAsJSON:
    """`to_dict()` for a dataclass whose JSON shape is its fields, in the order declared, with
    tuples as lists: one definition instead of a hand-written copy in each class."""

    def to_dict(self) -> dict[str, Any]:
        shape: dict[str, Any] = {}
        for name in _field_names(type(self)):
            value = getattr(self, name)
            shape[name] = list(value) if isinstance(value, tuple) else value
        return shape


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type[Any]) -> tuple[str, ...]:
    # Once per class: `dataclasses.fields` walks the class again on every call.
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


@dataclass(frozen=True)
class AgentInfo(FieldsAsJSON):
    """An agent as the config declares it (`axo agents list`)."""

    id: str
    name: str
    role: str
    provider: str
    model: str
    depends_on: tuple[str, ...]
    tools: tuple[str, ...]
    """Its allowed tools; empty for the built-in defaults and for none alike."""
    per_call: int | None
    per_execution: int | None

    @classmethod
    def of(cls, agent: AgentConfig) -> AgentInfo:
        return cls(
            id=agent.id,
            name=agent.display_name,
            role=str(agent.role),
            provider=agent.provider,
            model=agent.model,
            depends_on=tuple(agent.depends_on),
            tools=tuple(agent.tools or ()),
            per_call=agent.token_budget.per_call,
            per_execution=agent.token_budget.per_execution,
        )


@dataclass(frozen=True)
class SkillInfo(FieldsAsJSON):
    """A skill as the config declares it (`axo skills list`)."""

    id: str
    name: str
    description: str
    agents: tuple[str, ...]
    emits: tuple[str, ...]
    reacts_to: tuple[str, ...]

    @classmethod
    def of(cls, skill: SkillConfig) -> SkillInfo:
        return cls(
            skill.id,
            skill.name,
            skill.description,
            tuple(skill.agents),
            tuple(skill.emits),
            tuple(skill.reacts_to),
        )


@dataclass(frozen=True)
class WorkflowInfo(FieldsAsJSON):
    """A workflow as the config declares it (`axo workflow list`)."""

    id: str
    name: str
    description: str
    agents: tuple[str, ...]
    entry_point: str | None

    @classmethod
    def of(cls, workflow: WorkflowConfig) -> WorkflowInfo:
        return cls(
            workflow.id,
            workflow.name,
            workflow.description,
            tuple(workflow.agents),
            workflow.entry_point,
        )


@dataclass(frozen=True)
class RunDetail:
    """One run with its activations and its token use per agent (`axo runs show`)."""

    run: RunRecord
    activations: tuple[ActivationRecord, ...]
    usage: tuple[UsageRow, ...]
    coordination: AuctionBoard | None = None
    """A coordinator pass's subtasks, auctions and Contract Net messages (docs/coordinator.md)."""

    @property
    def total_tokens(self) -> int:
        return sum(u.total_tokens for u in self.usage)

    def to_dict(self) -> dict[str, Any]:
        extra = {} if self.coordination is None else {"coordination": self.coordination.to_dict()}
        return {
            **self.run.to_dict(),
            **extra,
            "activations": [a.to_dict() for a in self.activations],
            "usage": [
                {
                    "agent": u.key,
                    "prompt_tokens": u.prompt_tokens,
                    "completion_tokens": u.completion_tokens,
                    "cost_usd": u.cost_usd,
                }
                for u in self.usage
            ],
        }


@dataclass(frozen=True)
class EventRecord:
    """One journaled event (`axo events --json` prints one per line)."""

    seq: int
    ts: float
    kind: str
    run_id: str | None
    agent_id: str | None
    fields: Mapping[str, Any] = field(default_factory=dict)
    """The event's own fields (its payload), in the order it was recorded."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> EventRecord:
        base = {"seq", "ts", "kind", "run_id", "agent_id"}
        rest = {k: v for k, v in row.items() if k not in base}
        return cls(row["seq"], row["ts"], row["kind"], row["run_id"], row["agent_id"], rest)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "kind": self.kind,
            "run_id": self.run_id,
            "agent_id": self.agent_id,
            **self.fields,
        }


@dataclass(frozen=True)
class UsageReport:
    """Token spend grouped by agent, day, run or model (`axo tokens report`)."""

    group_by: str
    run_id: str | None
    since: str | None
    rows: tuple[UsageRow, ...]

    @property
    def prompt_tokens(self) -> int:
        return sum(r.prompt_tokens for r in self.rows)

    @property
    def completion_tokens(self) -> int:
        return sum(r.completion_tokens for r in self.rows)

    @property
    def calls(self) -> int:
        return sum(r.calls for r in self.rows)

    @property
    def cost_usd(self) -> float | None:
        """The sum of the known costs; None when no row has a price."""
        costs = [r.cost_usd for r in self.rows if r.cost_usd is not None]
        return sum(costs) if costs else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_by": self.group_by,
            "run_id": self.run_id,
            "since": self.since,
            "rows": [
                {
                    "key": r.key,
                    "calls": r.calls,
                    "prompt_tokens": r.prompt_tokens,
                    "completion_tokens": r.completion_tokens,
                    "total_tokens": r.total_tokens,
                    "cost_usd": r.cost_usd,
                }
                for r in self.rows
            ],
            "total": {
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens,
                "cost_usd": self.cost_usd,
            },
        }


@dataclass(frozen=True)
class AgentStatusRow(FieldsAsJSON):
    """One agent's record: journal activity, today's tokens, its circuit (`axo agents
    status`)."""

    id: str
    state: str
    """idle, failed, degraded, running, or `never run`."""
    consecutive_failures: int
    degraded_until: float | None
    activations: int
    failures: int
    last_error: str | None
    last_activated: float | None
    tokens_today: int
    per_execution: int | None


@dataclass(frozen=True)
class AgentStatusReport:
    """Every agent's row, and what could not be read back (damaged checkpoints)."""

    rows: tuple[AgentStatusRow, ...]
    warnings: tuple[str, ...] = ()

    def to_list(self) -> list[dict[str, Any]]:
        return [row.to_dict() for row in self.rows]


@dataclass(frozen=True)
class SessionInfo(FieldsAsJSON):
    """A session of an agent (a chat, or one run's turn) and its size."""

    id: str
    messages: int
    last: float
    """When its newest message was written (epoch seconds)."""


@dataclass(frozen=True)
class RecallCounts(FieldsAsJSON):
    own: int
    shared: int
    queued: int
    """Exchanges recorded but not embedded yet."""


@dataclass(frozen=True)
class MemoryView:
    """What an agent remembers (`axo memory show`)."""

    agent: str
    core: tuple[CoreBlock, ...]
    recall: RecallCounts | None
    """None when the recall store cannot be read (`warnings` says why)."""
    activity_days: tuple[dt.date, ...]
    sessions: tuple[SessionInfo, ...]
    log_dir: Path
    """Where its activity log lives (not in the JSON: a path on this machine)."""
    warnings: tuple[str, ...] = ()
    """What could not be read (the journal, the recall store), one message each."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "core": [
                {
                    "label": b.label,
                    "value": b.value,
                    "chars": b.chars,
                    "limit": b.limit,
                    "description": b.description,
                    "shared": b.shared,
                    "in_config": b.in_config,
                }
                for b in self.core
            ],
            "recall": None if self.recall is None else self.recall.to_dict(),
            "activity_days": [day.isoformat() for day in self.activity_days],
            "sessions": [s.to_dict() for s in self.sessions],
        }


@dataclass(frozen=True)
class MemoryStamp:
    """Sizes and modification times of an agent's memory files (None: no such file). Two
    stamps differ after a write to its core blocks or its activity log: a cheap poll."""

    own_blocks: tuple[int, int] | None
    shared_blocks: tuple[int, int] | None
    activity_log: tuple[int, int] | None
    """Its newest day file."""


@dataclass(frozen=True)
class RecallMatch:
    """A long-term memory found by meaning (`axo memory search`)."""

    hit: RecallHit

    def to_dict(self) -> dict[str, Any]:
        hit = self.hit
        return {
            "score": hit.score,
            "text": hit.text,
            "ts": hit.ts,
            "session_id": hit.session_id,
            "shared": hit.shared,
            "reply": hit.reply,
        }


@dataclass(frozen=True)
class BlockEdit(FieldsAsJSON):
    """A core block after an edit (`axo memory edit`)."""

    agent: str
    block: str
    chars: int
    limit: int
    changed: bool
    """False when the new text equals the old: nothing was written."""


@dataclass(frozen=True)
class ForgetReport(FieldsAsJSON):
    """What `forget_memory` deleted, tier by tier (`axo memory forget`)."""

    agent: str
    recall: int
    """Recall memories: stored ones and ones still waiting to be embedded."""
    activity_days: int
    summaries: int
    core_reset: bool
