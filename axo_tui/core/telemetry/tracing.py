"""OpenTelemetry spans from the runtime's events (docs/observability.md).

`EventTracer` is an event subscriber. One span per run, per activation (`invoke_agent`),
per provider call (`chat`), per tool call (`execute_tool`), per A2A/MCP call and per ACL
message, with the GenAI semantic-convention attributes. A run's trace id and an
activation's span id are derived from axo's ids (`ids`), so JSON log lines name them even
when read back from the journal.

Cheap by construction: the SDK's live `Span` (locks, bounded attributes, processor hooks at
start and end: ~35 µs each) is never made. While a run or an activation is open the tracer
keeps its start, attributes and span events in a small record; when it ends, or when a
call that carries its own start and duration ends (`llm.call`, `remote.call`), one
finished `ReadableSpan` (~3 µs) goes to the span processor, which batches the export off
the event loop's thread.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event as SpanEvent
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from axo_tui import __version__
from axo_tui.core.events.catalog import (
    AclMessageSent,
    AgentActivated,
    AgentCompleted,
    AgentFailed,
    ApprovalDecided,
    ApprovalRequested,
    BudgetExceeded,
    Event,
    LatticeSignal,
    LlmCallCompleted,
    ProviderRetried,
    RemoteCallCompleted,
    RunCompleted,
    RunStarted,
    SignalEmitted,
    ToolCalled,
    ToolResult,
)
from axo_tui.core.telemetry import propagation
from axo_tui.core.telemetry.ids import span_id_of, trace_id_of

SAMPLED = TraceFlags(TraceFlags.SAMPLED)
NOT_SAMPLED = TraceFlags(TraceFlags.DEFAULT)
UNSET = Status(StatusCode.UNSET)


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


def _random_span_id() -> int:
    return random.getrandbits(64) or 1


@dataclass(frozen=True)
class SpanSink:
    """Where finished spans go: a span processor (batching to an exporter), with the
    resource and instrumentation scope every span carries."""

    processor: SpanProcessor
    resource: Resource
    scope: InstrumentationScope

    def shutdown(self) -> None:
        self.processor.shutdown()  # flushes what is batched


def span_sink(exporter: SpanExporter, *, batch: bool = True) -> SpanSink:
    """Spans to `exporter`: batched off the loop's thread, or one by one (tests)."""
    return SpanSink(
        BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter),
        Resource.create({"service.name": "axo", "service.version": __version__}),
        InstrumentationScope("axo_tui", __version__),
    )


def otlp_tracer(endpoint: str) -> EventTracer:
    """A tracer exporting over OTLP HTTP/protobuf to `endpoint` (its `/v1/traces` is added
    unless given)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from axo_tui.core.telemetry.endpoints import otlp_traces_url

    exporter = OTLPSpanExporter(endpoint=otlp_traces_url(endpoint), timeout=5)
    return EventTracer(span_sink(exporter))


@dataclass(slots=True)
class _Open:
    """A run, activation or tool call whose end has not been seen yet."""

    name: str
    context: SpanContext
    parent: SpanContext | None
    start: float
    attributes: dict[str, Any]
    kind: SpanKind = SpanKind.INTERNAL
    events: list[SpanEvent] = field(default_factory=list)
    status: Status = UNSET
    _traceparent: str = ""

    @property
    def traceparent(self) -> str:
        """Its W3C traceparent (made once: a run's is set again after each activation)."""
        if not self._traceparent:
            ctx = self.context
            self._traceparent = propagation.format_traceparent(
                ctx.trace_id, ctx.span_id, sampled=ctx.trace_flags.sampled
            )
        return self._traceparent


class EventTracer:
    """Spans from events. Call `shutdown()` when the runtime closes (flushes the export)."""

    def __init__(self, sink: SpanSink) -> None:
        self.sink = sink
        self._runs: dict[str, _Open] = {}
        self._activations: dict[str, _Open] = {}
        self._by_agent: dict[tuple[str | None, str], _Open] = {}
        """(run id, agent) -> its activation in flight: what budget and remote events join."""
        self._tools: dict[tuple[str, str], _Open] = {}
        self._approvals: dict[str, _Open] = {}
        self._acl: dict[str, SpanContext] = {}
        """An ACL message's reply_with -> its span: a reply is a child of what it answers."""
        self._handlers: dict[str, Callable[[Any], None]] = {
            RunStarted.kind: self._run_started,
            RunCompleted.kind: self._run_completed,
            AgentActivated.kind: self._activated,
            AgentCompleted.kind: self._completed,
            AgentFailed.kind: self._failed,
            LlmCallCompleted.kind: self._llm,
            ToolCalled.kind: self._tool_called,
            ToolResult.kind: self._tool_result,
            ApprovalRequested.kind: self._approval_asked,
            ApprovalDecided.kind: self._approval_decided,
            BudgetExceeded.kind: self._budget,
            ProviderRetried.kind: self._retry,
            RemoteCallCompleted.kind: self._remote,
            AclMessageSent.kind: self._acl_message,
            LatticeSignal.kind: self._signal,
            SignalEmitted.kind: self._signal_emitted,
        }
        self.kinds = frozenset(self._handlers)
        """The event kinds it reads: the bus need not build others for it."""

    def __call__(self, event: Event) -> None:
        handler = self._handlers.get(event.kind)
        if handler is not None:
            handler(event)

    def shutdown(self) -> None:
        """End what is still open (now) and flush the export."""
        now = time.time()
        for record in [*self._tools.values(), *self._activations.values(), *self._runs.values()]:
            self._finish(record, now)
        self._tools.clear()
        self._activations.clear()
        self._by_agent.clear()
        self._runs.clear()
        self.sink.shutdown()

    # --------------------------------------------------------------- helpers
    @staticmethod
    def _child_of(
        parent: _Open | SpanContext | None, span_id: int, run_id: str | None
    ) -> SpanContext:
        """The context of a new span under `parent` (a new trace when there is none)."""
        if isinstance(parent, _Open):
            parent = parent.context
        if parent is not None:
            return SpanContext(parent.trace_id, span_id, False, parent.trace_flags)
        trace_id = trace_id_of(run_id) if run_id else random.getrandbits(128) or 1
        return SpanContext(trace_id, span_id, False, SAMPLED)

    def _finish(self, record: _Open, end: float) -> None:
        self._export(
            record.name,
            record.context,
            record.parent,
            record.start,
            end,
            record.attributes,
            kind=record.kind,
            events=record.events,
            status=record.status,
        )

    def _export(
        self,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        start: float,
        end: float,
        attributes: dict[str, Any],
        *,
        kind: SpanKind = SpanKind.INTERNAL,
        events: list[SpanEvent] | None = None,
        status: Status = UNSET,
    ) -> None:
        if not context.trace_flags.sampled:  # a caller that records nothing: neither do we
            return
        self.sink.processor.on_end(
            ReadableSpan(
                name=name,
                context=context,
                parent=parent,
                resource=self.sink.resource,
                attributes=attributes,
                events=events or (),
                kind=kind,
                status=status,
                start_time=_ns(start),
                end_time=_ns(end),
                instrumentation_scope=self.sink.scope,
            )
        )

    @staticmethod
    def _failure(message: str) -> Status:
        return Status(StatusCode.ERROR, message[:500])

    # -------------------------------------------------------------- handlers
    def _run_started(self, event: RunStarted) -> None:
        run_id = event.run_id or ""
        parent: SpanContext | None = None
        incoming = propagation.parse_traceparent(propagation.INCOMING.get())
        if incoming is not None:  # a caller's trace (A2A, MCP, ACL): this run joins it
            trace_id, span_id, sampled = incoming
            flags = SAMPLED if sampled else NOT_SAMPLED
            parent = SpanContext(trace_id, span_id, True, flags)
            propagation.INCOMING.set(None)
        record = _Open(
            f"run {event.target}",
            self._child_of(parent, _random_span_id(), run_id),
            parent,
            event.ts,
            {"axo.run.id": run_id, "axo.run.kind": event.run_kind, "axo.run.target": event.target},
        )
        self._runs[run_id] = record
        propagation.ACTIVE.set(record.traceparent)

    def _run_completed(self, event: RunCompleted) -> None:
        record = self._runs.pop(event.run_id or "", None)
        if record is None:
            return
        record.attributes["axo.run.status"] = str(event.status)
        if event.error:
            record.status = self._failure(event.error)
        self._finish(record, event.ts)
        propagation.ACTIVE.set(None)

    def _activated(self, event: AgentActivated) -> None:
        agent = event.agent_id or ""
        run = self._runs.get(event.run_id or "")
        record = _Open(
            f"invoke_agent {agent}",
            self._child_of(run, span_id_of(event.activation_id), event.run_id),
            run.context if run is not None else None,
            event.ts,
            {
                gen_ai.GEN_AI_OPERATION_NAME: "invoke_agent",
                gen_ai.GEN_AI_AGENT_NAME: agent,
                gen_ai.GEN_AI_AGENT_ID: agent,
                "axo.activation.id": event.activation_id,
                "axo.trigger": event.trigger,
                "axo.run.id": event.run_id or "",
            },
        )
        self._activations[event.activation_id] = record
        self._by_agent[(event.run_id, agent)] = record
        propagation.ACTIVE.set(record.traceparent)

    def _ended(self, event: AgentCompleted | AgentFailed) -> _Open | None:
        record = self._activations.pop(event.activation_id, None)
        key = (event.run_id, event.agent_id or "")
        if self._by_agent.get(key) is record:
            del self._by_agent[key]
        run = self._runs.get(event.run_id or "")
        propagation.ACTIVE.set(run.traceparent if run is not None else None)
        return record

    def _completed(self, event: AgentCompleted) -> None:
        record = self._ended(event)
        if record is not None:
            record.attributes[gen_ai.GEN_AI_USAGE_INPUT_TOKENS] = event.prompt_tokens
            record.attributes[gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS] = event.completion_tokens
            self._finish(record, event.ts)

    def _failed(self, event: AgentFailed) -> None:
        record = self._ended(event)
        if record is not None:
            record.attributes["error.type"] = str(event.error_kind)
            record.status = self._failure(event.error)
            self._finish(record, event.ts)

    def _llm(self, event: LlmCallCompleted) -> None:
        attributes: dict[str, Any] = {
            gen_ai.GEN_AI_OPERATION_NAME: "chat",
            gen_ai.GEN_AI_PROVIDER_NAME: event.provider_kind,
            gen_ai.GEN_AI_REQUEST_MODEL: event.model,
            gen_ai.GEN_AI_RESPONSE_MODEL: event.model,
            gen_ai.GEN_AI_USAGE_INPUT_TOKENS: event.prompt_tokens,
            gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS: event.completion_tokens,
            "axo.provider": event.provider,
        }
        if event.cost_usd is not None:
            attributes["axo.cost_usd"] = event.cost_usd
        if event.purpose:
            attributes["axo.purpose"] = event.purpose
        status = UNSET
        if not event.ok:
            attributes["error.type"] = "provider_error"
            status = self._failure(event.error)
        parent = self._activations.get(event.activation_id)
        self._export(
            f"chat {event.model}",
            self._child_of(parent, _random_span_id(), event.run_id),
            parent.context if parent is not None else None,
            event.started,
            event.started + event.duration_s,
            attributes,
            kind=SpanKind.CLIENT,
            status=status,
        )

    def _tool_called(self, event: ToolCalled) -> None:
        parent = self._activations.get(event.activation_id)
        record = _Open(
            f"execute_tool {event.tool}",
            self._child_of(parent, _random_span_id(), event.run_id),
            parent.context if parent is not None else None,
            event.ts,
            {
                gen_ai.GEN_AI_OPERATION_NAME: "execute_tool",
                gen_ai.GEN_AI_TOOL_NAME: event.tool,
                gen_ai.GEN_AI_TOOL_CALL_ID: event.call_id,
            },
        )
        self._tools[(event.activation_id, event.call_id)] = record
        propagation.ACTIVE.set(record.traceparent)

    def _tool_result(self, event: ToolResult) -> None:
        record = self._tools.pop((event.activation_id, event.call_id), None)
        if record is None:
            return
        if not event.ok:
            record.attributes["error.type"] = "tool_error"
            record.status = self._failure(event.result)
        self._finish(record, event.ts)
        activation = self._activations.get(event.activation_id)
        propagation.ACTIVE.set(activation.traceparent if activation is not None else None)

    def _approval_asked(self, event: ApprovalRequested) -> None:
        record = self._activations.get(event.activation_id)
        if record is not None:
            self._approvals[event.approval_id] = record
            record.events.append(
                SpanEvent(
                    "approval.requested",
                    {"axo.approval.id": event.approval_id, gen_ai.GEN_AI_TOOL_NAME: event.tool},
                    _ns(event.ts),
                )
            )

    def _approval_decided(self, event: ApprovalDecided) -> None:
        record = self._approvals.pop(event.approval_id, None)
        if record is not None and record is self._activations.get(
            str(record.attributes.get("axo.activation.id"))
        ):
            record.events.append(
                SpanEvent(
                    "approval.decided",
                    {
                        "axo.approval.id": event.approval_id,
                        "axo.approval.decision": event.decision,
                        "axo.approval.decided_by": event.decided_by,
                    },
                    _ns(event.ts),
                )
            )

    def _budget(self, event: BudgetExceeded) -> None:
        record = self._by_agent.get((event.run_id, event.agent_id or ""))
        if record is not None:
            record.events.append(
                SpanEvent(
                    "budget.exceeded",
                    {
                        "axo.budget.limit": event.limit,
                        "axo.budget.allowed": event.allowed,
                        "axo.budget.requested": event.requested,
                        "axo.budget.policy": event.policy,
                    },
                    _ns(event.ts),
                )
            )

    def _retry(self, event: ProviderRetried) -> None:
        for (_, agent), record in self._by_agent.items():
            if agent == event.agent_id:
                record.events.append(
                    SpanEvent(
                        "llm.retry",
                        {"axo.attempt": event.attempt, "axo.retry.delay_s": event.delay_s},
                        _ns(event.ts),
                    )
                )
                return

    def _remote(self, event: RemoteCallCompleted) -> None:
        parent = self._by_agent.get((event.run_id, event.agent_id or ""))
        self._export(
            f"{event.protocol} {event.operation}",
            self._child_of(parent, _random_span_id(), event.run_id),
            parent.context if parent is not None else None,
            event.ts - event.duration_s,
            event.ts,
            {"rpc.system": event.protocol, "server.address": event.target},
            kind=SpanKind.CLIENT,
            status=UNSET if event.ok else self._failure(event.error),
        )

    def _acl_message(self, event: AclMessageSent) -> None:
        parent: _Open | SpanContext | None = None
        if event.in_reply_to and event.in_reply_to in self._acl:
            parent = self._acl[event.in_reply_to]
        else:
            parent = next(
                (s for (_, agent), s in self._by_agent.items() if agent == event.sender), None
            )
        context = self._child_of(parent, _random_span_id(), event.run_id)
        self._export(
            f"acl {event.performative}",
            context,
            parent.context if isinstance(parent, _Open) else parent,
            event.ts,
            event.ts,
            {
                "messaging.system": "fipa-acl",
                "messaging.operation.name": "send",
                "messaging.destination.name": ",".join(event.receivers),
                "messaging.message.conversation_id": event.conversation_id,
                "axo.acl.performative": event.performative,
                "axo.acl.sender": event.sender,
                "axo.acl.protocol": event.protocol or "",
            },
            kind=SpanKind.PRODUCER,
        )
        if event.reply_with:
            if len(self._acl) > 10_000:  # replies come soon or never: keep the newest
                self._acl.pop(next(iter(self._acl)))
            self._acl[event.reply_with] = context

    def _signal(self, event: LatticeSignal) -> None:
        record = self._runs.get(event.run_id or "")
        if record is not None:
            record.events.append(
                SpanEvent(
                    "lattice.signal",
                    {
                        "axo.agent": event.agent_id or "",
                        "axo.signal": event.signal,
                        "axo.intensity": event.intensity,
                        "axo.fired": event.fired,
                    },
                    _ns(event.ts),
                )
            )

    def _signal_emitted(self, event: SignalEmitted) -> None:
        record = self._runs.get(event.run_id or "")
        if record is not None:
            record.events.append(
                SpanEvent(
                    "signal.emitted",
                    {"axo.signal": event.name, "axo.source": event.source},
                    _ns(event.ts),
                )
            )
