"""Prometheus metrics from the runtime's events (docs/observability.md lists them).

`RuntimeMetrics` is an event subscriber: hand it to `build_runtime(subscribers=[...])`, or
replay recorded events into it (`axo metrics` with no daemon). Names follow Prometheus
conventions: counters end in `_total`, durations are histograms in `_seconds`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from axo_tui.core.events.catalog import (
    AclMessageSent,
    AgentActivated,
    AgentCompleted,
    AgentFailed,
    AgentSkipped,
    ApprovalDecided,
    ApprovalRequested,
    BudgetExceeded,
    BusQueueDepths,
    Event,
    JournalCommitted,
    LatticeSignal,
    LlmCallCompleted,
    ProviderRetried,
    RemoteCallCompleted,
    RunCompleted,
    ToolResult,
    WasmEvent,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST
"""The exposition's content type (text format 1.0.0)."""
WASM_FUEL = "wasm.fuel"
"""The `WasmEvent.what` whose `detail` carries `{"fuel": <units consumed>}`."""
WASM_FAILED = "wasm.failed"
"""A failed handler call; its `detail.cause` is `trap`, `fuel` or `deadline` for a crash,
`error` when the handler reported the failure itself (not a trap)."""
TRAP_CAUSES = frozenset({"trap", "fuel", "deadline"})

_SHORT = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_LONG = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class RuntimeMetrics:
    """Every axo metric, in a registry of its own (several runtimes in one process, as in
    the tests, do not share counts)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.runs = Counter("axo_runs", "Runs ended, by status.", ["status"], registry=r)
        self.activations = Counter(
            "axo_activations",
            "Activations ended, by agent and outcome.",
            ["agent", "outcome"],
            registry=r,
        )
        self.activation_seconds = Histogram(
            "axo_activation_duration_seconds",
            "How long an activation took, by agent.",
            ["agent"],
            buckets=_LONG,
            registry=r,
        )
        self.llm_calls = Counter(
            "axo_llm_calls",
            "Provider calls, by agent, model and outcome.",
            ["agent", "provider", "model", "outcome"],
            registry=r,
        )
        self.llm_seconds = Histogram(
            "axo_llm_call_duration_seconds",
            "How long a provider call took.",
            ["agent", "provider", "model"],
            buckets=_LONG,
            registry=r,
        )
        self.tokens = Counter(
            "axo_llm_tokens",
            "Tokens sent (input) and received (output), by agent and model.",
            ["agent", "model", "direction"],
            registry=r,
        )
        self.cost = Counter(
            "axo_llm_estimated_cost_usd",
            "Estimated cost in US dollars, where a price is known.",
            ["agent", "model"],
            registry=r,
        )
        self.retries = Counter(
            "axo_llm_retries",
            "Provider calls retried after a transient failure.",
            ["agent", "provider"],
            registry=r,
        )
        self.budget = Counter(
            "axo_budget_exceeded",
            "Budget checks that failed: `abort` refused the call, `warn` let it through.",
            ["agent", "limit", "policy"],
            registry=r,
        )
        self.approvals_pending = Gauge(
            "axo_approvals_pending", "Tool calls waiting for a human now.", registry=r
        )
        self.approvals_decided = Counter(
            "axo_approvals_decided",
            "Approvals answered, by decision and who decided.",
            ["tool", "decision", "decided_by"],
            registry=r,
        )
        self.tool_calls = Counter(
            "axo_tool_calls",
            "Tool calls, by tool and outcome.",
            ["tool", "outcome"],
            registry=r,
        )
        self.mcp_calls = Counter(
            "axo_mcp_calls",
            "MCP tool calls sent to a server, by server and outcome.",
            ["server", "outcome"],
            registry=r,
        )
        self.a2a_calls = Counter(
            "axo_a2a_calls",
            "A2A calls to remote agents, by target and outcome.",
            ["target", "outcome"],
            registry=r,
        )
        self.acl_messages = Counter(
            "axo_acl_messages",
            "FIPA-ACL messages sent, by performative.",
            ["performative"],
            registry=r,
        )
        self.wasm_fuel = Counter(
            "axo_wasm_fuel_consumed",
            "WASM fuel units consumed, by agent.",
            ["agent"],
            registry=r,
        )
        self.wasm_traps = Counter(
            "axo_wasm_traps",
            "WASM handler calls that crashed, by cause: trap, fuel (ran out) or deadline.",
            ["agent", "cause"],
            registry=r,
        )
        self.signal_level = Gauge(
            "axo_lattice_signal_level",
            "Latest pheromone intensity as a fraction of the agent's threshold (1 fires).",
            ["agent"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "axo_bus_queue_depth", "Events waiting in the fullest subscriber queue.", registry=r
        )
        self.queued = Gauge(
            "axo_bus_queued_events", "Events waiting in all subscriber queues.", registry=r
        )
        self.commit_seconds = Histogram(
            "axo_journal_commit_duration_seconds",
            "How long a journal group commit took.",
            buckets=_SHORT,
            registry=r,
        )
        self._started: dict[str, tuple[str, float]] = {}
        """Activation id -> (agent, start time) until it ends."""
        self._pending: set[str] = set()
        self._handlers: dict[str, Callable[[Event], None]] = {
            RunCompleted.kind: self._run,
            AgentActivated.kind: self._activated,
            AgentCompleted.kind: self._completed,
            AgentFailed.kind: self._failed,
            AgentSkipped.kind: self._skipped,
            LlmCallCompleted.kind: self._llm,
            ProviderRetried.kind: self._retry,
            BudgetExceeded.kind: self._budget,
            ApprovalRequested.kind: self._approval_asked,
            ApprovalDecided.kind: self._approval_decided,
            ToolResult.kind: self._tool,
            RemoteCallCompleted.kind: self._remote,
            AclMessageSent.kind: self._acl,
            WasmEvent.kind: self._wasm,
            LatticeSignal.kind: self._signal,
            BusQueueDepths.kind: self._queues,
            JournalCommitted.kind: self._commit,
        }
        self.kinds = frozenset(self._handlers)
        """The event kinds it reads: the bus need not build others for it."""

    def __call__(self, event: Event) -> None:
        handler = self._handlers.get(event.kind)
        if handler is not None:
            handler(event)

    def replay(self, events: Iterable[Event]) -> None:
        for event in events:
            self(event)

    def exposition(self) -> bytes:
        """The text exposition of every metric (serve it as `CONTENT_TYPE`)."""
        return generate_latest(self.registry)

    # ----------------------------------------------------------------- handlers
    def _run(self, event: Event) -> None:
        assert isinstance(event, RunCompleted)
        self.runs.labels(str(event.status)).inc()

    def _activated(self, event: Event) -> None:
        assert isinstance(event, AgentActivated)
        self._started[event.activation_id] = (event.agent_id or "", event.ts)

    def _ended(self, activation_id: str, agent: str, ts: float, outcome: str) -> None:
        self.activations.labels(agent, outcome).inc()
        started = self._started.pop(activation_id, None)
        if started is not None:
            self.activation_seconds.labels(agent).observe(max(0.0, ts - started[1]))

    def _completed(self, event: Event) -> None:
        assert isinstance(event, AgentCompleted)
        self._ended(event.activation_id, event.agent_id or "", event.ts, "completed")

    def _failed(self, event: Event) -> None:
        assert isinstance(event, AgentFailed)
        self._ended(event.activation_id, event.agent_id or "", event.ts, str(event.error_kind))

    def _skipped(self, event: Event) -> None:
        self.activations.labels(event.agent_id or "", "skipped").inc()

    def _llm(self, event: Event) -> None:
        assert isinstance(event, LlmCallCompleted)
        agent = event.agent_id or ""
        outcome = "ok" if event.ok else "error"
        self.llm_calls.labels(agent, event.provider, event.model, outcome).inc()
        self.llm_seconds.labels(agent, event.provider, event.model).observe(event.duration_s)
        self.tokens.labels(agent, event.model, "input").inc(event.prompt_tokens)
        self.tokens.labels(agent, event.model, "output").inc(event.completion_tokens)
        if event.cost_usd is not None:
            self.cost.labels(agent, event.model).inc(event.cost_usd)

    def _retry(self, event: Event) -> None:
        assert isinstance(event, ProviderRetried)
        self.retries.labels(event.agent_id or "", event.provider).inc()

    def _budget(self, event: Event) -> None:
        assert isinstance(event, BudgetExceeded)
        self.budget.labels(event.agent_id or "", event.limit, event.policy).inc()

    def _approval_asked(self, event: Event) -> None:
        assert isinstance(event, ApprovalRequested)
        self._pending.add(event.approval_id)  # a re-presented one is the same approval
        self.approvals_pending.set(len(self._pending))

    def _approval_decided(self, event: Event) -> None:
        assert isinstance(event, ApprovalDecided)
        self._pending.discard(event.approval_id)
        self.approvals_pending.set(len(self._pending))
        self.approvals_decided.labels(event.tool, event.decision, event.decided_by).inc()

    def _tool(self, event: Event) -> None:
        assert isinstance(event, ToolResult)
        outcome = "ok" if event.ok else "error"
        self.tool_calls.labels(event.tool, outcome).inc()

    def _remote(self, event: Event) -> None:
        assert isinstance(event, RemoteCallCompleted)
        outcome = "ok" if event.ok else "error"
        if event.protocol == "a2a":
            self.a2a_calls.labels(event.target, outcome).inc()
        elif event.protocol == "mcp":
            self.mcp_calls.labels(event.target, outcome).inc()

    def _acl(self, event: Event) -> None:
        assert isinstance(event, AclMessageSent)
        self.acl_messages.labels(event.performative).inc()

    def _wasm(self, event: Event) -> None:
        assert isinstance(event, WasmEvent)
        agent = event.agent_id or ""
        if event.what == WASM_FAILED:
            cause = _detail(event).get("cause")
            if isinstance(cause, str) and cause in TRAP_CAUSES:
                self.wasm_traps.labels(agent, cause).inc()
        elif event.what == WASM_FUEL:
            fuel = _detail(event).get("fuel")
            if isinstance(fuel, int | float) and fuel > 0:
                self.wasm_fuel.labels(agent).inc(fuel)

    def _signal(self, event: Event) -> None:
        assert isinstance(event, LatticeSignal)
        level = event.intensity / event.threshold if event.threshold > 0 else 0.0
        self.signal_level.labels(event.agent_id or "").set(0.0 if event.fired else level)

    def _queues(self, event: Event) -> None:
        assert isinstance(event, BusQueueDepths)
        self.queue_depth.set(max(event.depths, default=0))
        self.queued.set(sum(event.depths))

    def _commit(self, event: Event) -> None:
        assert isinstance(event, JournalCommitted)
        self.commit_seconds.observe(event.duration_s)


def _detail(event: WasmEvent) -> dict[str, object]:
    try:
        detail = json.loads(event.detail) if event.detail else {}
    except ValueError:
        return {}
    return detail if isinstance(detail, dict) else {}
