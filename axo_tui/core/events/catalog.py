"""Typed runtime events.

Every event is a frozen dataclass with a dotted `kind`, the `run_id` it belongs to (None for
ambient events), the `agent_id` it concerns, a monotonic sequence number and a wall-clock
timestamp. The bus stamps `seq` and `ts`; producers construct events through `EventBus.emit`.

Events are either *transcript* events (what was said and done: never dropped by a subscriber
queue) or *status* events (pulses and progress: a slow subscriber may see them coalesced).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from axo_tui.core.base.enums import ErrorKind, RunStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    kind: ClassVar[str] = "event"
    transcript: ClassVar[bool] = True
    journaled: ClassVar[bool] = True
    """Whether the journal keeps it; per-token deltas are not kept (the output is)."""

    seq: int
    ts: float
    run_id: str | None = None
    agent_id: str | None = None

    def payload(self) -> dict[str, Any]:
        """The kind-specific fields, JSON-serialisable."""
        payload = {name: getattr(self, name) for name in _payload_fields(type(self))}
        for name, value in payload.items():
            if isinstance(value, tuple):
                payload[name] = _jsonable(value)
        return payload

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "kind": self.kind,
            "run_id": self.run_id,
            "agent_id": self.agent_id,
            **self.payload(),
        }


_PAYLOAD_FIELDS: dict[type, tuple[str, ...]] = {}


def _payload_fields(cls: type[Event]) -> tuple[str, ...]:
    # Looked up once per event class: `dataclasses.fields` walks the class again on every
    # call, and every journaled event needs the names.
    names = _PAYLOAD_FIELDS.get(cls)
    if names is None:
        base = {"seq", "ts", "run_id", "agent_id"}
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name not in base)
        _PAYLOAD_FIELDS[cls] = names
    return names


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted(Event):
    kind: ClassVar[str] = "run.started"
    run_kind: str
    target: str
    input: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCompleted(Event):
    kind: ClassVar[str] = "run.completed"
    status: RunStatus
    output: str
    failed: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentActivated(Event):
    kind: ClassVar[str] = "agent.activated"
    activation_id: str
    trigger: str
    input: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentCompleted(Event):
    kind: ClassVar[str] = "agent.completed"
    activation_id: str
    output: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentFailed(Event):
    kind: ClassVar[str] = "agent.failed"
    activation_id: str
    error: str
    error_kind: ErrorKind = ErrorKind.ERROR


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSkipped(Event):
    kind: ClassVar[str] = "agent.skipped"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenStreamed(Event):
    kind: ClassVar[str] = "token.streamed"
    journaled: ClassVar[bool] = False
    activation_id: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCalled(Event):
    kind: ClassVar[str] = "tool.called"
    activation_id: str
    call_id: str
    tool: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolResult(Event):
    kind: ClassVar[str] = "tool.result"
    activation_id: str
    call_id: str
    tool: str
    ok: bool
    result: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalRequested(Event):
    """A tool call waits for a human: answer it by `approval_id` (TUI, API or CLI). Sent
    again, with the same id, when a resumed activation re-presents it after a restart."""

    kind: ClassVar[str] = "approval.requested"
    activation_id: str
    approval_id: str
    tool: str
    arguments: dict[str, Any]
    args_hash: str
    expires_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalDecided(Event):
    kind: ClassVar[str] = "approval.decided"
    approval_id: str
    tool: str
    decision: str
    """`approve` or `deny`."""
    decided_by: str
    """`user`, `rule` (a remembered decision) or `timeout`."""
    remember: str = "once"


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetExceeded(Event):
    kind: ClassVar[str] = "budget.exceeded"
    limit: str
    """`per_call` or `per_execution`."""
    allowed: int
    requested: int
    policy: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageRecorded(Event):
    kind: ClassVar[str] = "usage.recorded"
    transcript: ClassVar[bool] = False
    journaled: ClassVar[bool] = False
    """Not kept as an event: each one is a row of the token ledger, which the journal keeps."""
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LatticeSignal(Event):
    """A pheromone deposit: the agent's intensity after the deposit, and whether it fired."""

    kind: ClassVar[str] = "lattice.signal"
    transcript: ClassVar[bool] = False
    journaled: ClassVar[bool] = False
    signal: str
    weight: float
    intensity: float
    threshold: float
    fired: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalEmitted(Event):
    """A named event entered the ambient lattice (a skill's `emits`, a tool, the CLI)."""

    kind: ClassVar[str] = "signal.emitted"
    name: str
    source: str
    payload_text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SkillFired(Event):
    kind: ClassVar[str] = "skill.fired"
    skill_id: str
    emits: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigReloaded(Event):
    kind: ClassVar[str] = "config.reloaded"
    ok: bool
    summary: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeNotice(Event):
    """Something a user should see that is not a failure (a fallback, a budget warning)."""

    kind: ClassVar[str] = "runtime.warning"
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AclMessageSent(Event):
    """A FIPA-ACL message on the bus (docs/abi.md); `agent_id` is its sender."""

    kind: ClassVar[str] = "acl.message"
    performative: str
    sender: str
    receivers: tuple[str, ...]
    content: str
    """The content as JSON text, cut to `ACL_CONTENT_CHARS`."""
    conversation_id: str
    reply_with: str | None = None
    in_reply_to: str | None = None
    protocol: str | None = None


ACL_CONTENT_CHARS = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class WasmEvent(Event):
    """Something a WASM agent did or suffered: `wasm.log`, `wasm.failed`, `wasm.degraded`,
    `wasm.deployed`, `wasm.undeployed` (in `what`); `detail` holds its fields."""

    kind: ClassVar[str] = "wasm.event"
    what: str
    text: str
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CoordinatorPlanned(Event):
    """A coordinator pass decomposed its goal (`agent_id`: the coordinator). `subtasks` is
    JSON: [{id, name, tools, source}], in plan order; resume reads it back."""

    kind: ClassVar[str] = "coordinator.plan"
    goal: str
    subtasks: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionClosed(Event):
    """One Contract Net auction of a subtask ended (docs/coordinator.md). `outcome` is
    JSON: {conversation_id, bids (ranked), refusals, missed_reply_by, winner}."""

    kind: ClassVar[str] = "coordinator.auction"
    subtask_id: str
    task: str
    winner: str | None
    adhoc: bool
    outcome: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SubtaskFinished(Event):
    """A subtask of a coordinator pass ended: `ok` with its result, or its error."""

    kind: ClassVar[str] = "coordinator.subtask"
    subtask_id: str
    task: str
    worker: str
    ok: bool
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LlmCallCompleted(Event):
    """One provider call ended (streamed to its end, or failed): what telemetry times.
    `agent_id` is the agent; `purpose` is set for housekeeping calls (compaction)."""

    kind: ClassVar[str] = "llm.call"
    activation_id: str
    provider: str
    """The provider's name in the config."""
    provider_kind: str
    """`ollama`, `openai`, `anthropic`, ...: the GenAI `provider.name`."""
    model: str
    started: float
    """Wall-clock start; the call took `duration_s`."""
    duration_s: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    ok: bool = True
    error: str = ""
    purpose: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderRetried(Event):
    """A provider call failed transiently and is tried again after `delay_s`."""

    kind: ClassVar[str] = "llm.retry"
    provider: str
    model: str
    attempt: int
    delay_s: float
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalCommitted(Event):
    """A group commit of the journal landed (one per commit: a status event)."""

    kind: ClassVar[str] = "journal.commit"
    transcript: ClassVar[bool] = False
    journaled: ClassVar[bool] = False
    duration_s: float
    writes: int
    ok: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class BusQueueDepths(Event):
    """How many events wait in each subscriber queue of the bus (sampled at each run's end)."""

    kind: ClassVar[str] = "bus.queues"
    transcript: ClassVar[bool] = False
    journaled: ClassVar[bool] = False
    depths: tuple[int, ...]
    coalesced: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteCallCompleted(Event):
    """A call across a process boundary ended: an A2A task sent to a remote agent, an MCP
    tool call. `trace_parent` is the W3C traceparent sent with it, when tracing is on."""

    kind: ClassVar[str] = "remote.call"
    protocol: str
    """`a2a` or `mcp`."""
    target: str
    """The peer: the remote agent's or MCP server's name."""
    operation: str
    duration_s: float
    ok: bool = True
    error: str = ""


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        RunStarted,
        RunCompleted,
        AgentActivated,
        AgentCompleted,
        AgentFailed,
        AgentSkipped,
        TokenStreamed,
        ToolCalled,
        ToolResult,
        ApprovalRequested,
        ApprovalDecided,
        BudgetExceeded,
        UsageRecorded,
        LatticeSignal,
        SignalEmitted,
        SkillFired,
        ConfigReloaded,
        RuntimeNotice,
        CoordinatorPlanned,
        AuctionClosed,
        SubtaskFinished,
        AclMessageSent,
        WasmEvent,
        LlmCallCompleted,
        ProviderRetried,
        JournalCommitted,
        BusQueueDepths,
        RemoteCallCompleted,
    )
}
