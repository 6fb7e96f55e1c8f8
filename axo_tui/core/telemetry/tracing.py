"""OpenTelemetry spans from the runtime's events (docs/observability.md).

`EventTracer` is an event subscriber. One span per run, per activation (`invoke_agent`),
per provider call (`chat`), per tool call (`execute_tool`), per A2A/MCP call and per ACL
message, with the GenAI semantic-convention attributes. A run's trace id and an
activation's span id are derived from axo's ids (`ids`), so JSON log lines name them even
when read back from the journal.

Cheap on the event loop's thread by construction: no SDK span is made there. As events
arrive the tracer keeps the few facts a span needs in a small record (`spans`), with the
ids and the traceparent outgoing calls carry at once; a record that has ended is queued,
and the export thread (`span_export`) makes its spans in a batch, warm.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.trace import SpanContext, SpanKind, Status

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
from axo_tui.core.telemetry.ids import span_id_of
from axo_tui.core.telemetry.span_export import SpanSink, span_sink
from axo_tui.core.telemetry.spans import (
    NOT_SAMPLED,
    SAMPLED,
    UNSET,
    ActivationRecord,
    OrphanCall,
    RunRecord,
    ToolRecord,
    child_context,
    failure,
    new_trace_id,
    ns,
    random_span_id,
    span_event,
)

__all__ = ["EventTracer", "SpanSink", "otlp_tracer", "span_sink"]


def otlp_tracer(endpoint: str) -> EventTracer:
    """A tracer exporting over OTLP HTTP/protobuf to `endpoint` (its `/v1/traces` is added
    unless given)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from axo_tui.core.telemetry.endpoints import otlp_traces_url

    exporter: SpanExporter = OTLPSpanExporter(endpoint=otlp_traces_url(endpoint), timeout=5)
    return EventTracer(span_sink(exporter))


class EventTracer:
    """Spans from events. Call `shutdown()` when the runtime closes (flushes the export)."""

    def __init__(self, sink: SpanSink) -> None:
        self.sink = sink
        self._runs: dict[str, RunRecord] = {}
        self._activations: dict[str, ActivationRecord] = {}
        self._by_agent: dict[tuple[str | None, str], ActivationRecord] = {}
        """(run id, agent) -> its activation in flight: what budget and remote events join."""
        self._tools: dict[tuple[str, str], ToolRecord] = {}
        self._approvals: dict[str, ActivationRecord] = {}
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
            SignalEmitted.kind: self._signal,
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
        records: list[ToolRecord | ActivationRecord | RunRecord] = [
            *self._tools.values(),
            *self._activations.values(),
            *self._runs.values(),
        ]
        for record in records:
            record.end = now
            self.sink.put(record)
        self._tools.clear()
        self._activations.clear()
        self._by_agent.clear()
        self._runs.clear()
        self.sink.shutdown()

    def _export_now(
        self,
        name: str,
        parent: ActivationRecord | SpanContext | None,
        run_id: str | None,
        start: float,
        end: float,
        attributes: dict[str, Any],
        *,
        kind: SpanKind,
        status: Status = UNSET,
    ) -> SpanContext:
        """A span that is over as it is seen (a remote call, an ACL message); its context."""
        if isinstance(parent, ActivationRecord):
            parent = parent.context
        context = child_context(parent, run_id)
        if context.trace_flags.sampled:  # a caller that records nothing: neither do we
            sink = self.sink
            sink.put(
                ReadableSpan(
                    name=name,
                    context=context,
                    parent=parent,
                    resource=sink.resource,
                    attributes=attributes,
                    kind=kind,
                    status=status,
                    start_time=ns(start),
                    end_time=ns(end),
                    instrumentation_scope=sink.scope,
                )
            )
        return context

    # -------------------------------------------------------------- handlers
    def _run_started(self, event: RunStarted) -> None:
        run_id = event.run_id or ""
        parent: SpanContext | None = None
        adopted = propagation.INCOMING.get()
        incoming = propagation.parse_traceparent(adopted) if adopted else None
        if incoming is not None:  # a caller's trace (A2A, MCP, ACL): this run joins it
            trace_id, span_id, sampled = incoming
            parent = SpanContext(trace_id, span_id, True, SAMPLED if sampled else NOT_SAMPLED)
            propagation.INCOMING.set(None)
            flags = parent.trace_flags
        else:
            trace_id, flags = new_trace_id(run_id), SAMPLED
        span_id = random_span_id()
        prefix, suffix = f"00-{trace_id:032x}-", "-01" if flags.sampled else "-00"
        record = RunRecord(
            run_id,
            f"run {event.target}",
            {"axo.run.id": run_id, "axo.run.kind": event.run_kind, "axo.run.target": event.target},
            event.ts,
            SpanContext(trace_id, span_id, False, flags),
            trace_id,
            flags.sampled,
            parent,
            f"{prefix}{span_id:016x}{suffix}",
            prefix,
            suffix,
        )
        self._runs[run_id] = record
        propagation.ACTIVE.set(record.traceparent)

    def _run_completed(self, event: RunCompleted) -> None:
        record = self._runs.pop(event.run_id or "", None)
        if record is None:
            return
        record.attributes["axo.run.status"] = str(event.status)
        if event.error:
            record.status = failure(event.error)
        record.end = event.ts
        self.sink.put(record)
        propagation.ACTIVE.set(None)

    def _activated(self, event: AgentActivated) -> None:
        agent = event.agent_id or ""
        run_id = event.run_id
        run = self._runs.get(run_id or "")
        span_id = span_id_of(event.activation_id)
        if run is not None:
            parent: SpanContext | None = run.context
            trace_id, sampled = run.trace_id, run.sampled
            traceparent = f"{run.prefix}{span_id:016x}{run.suffix}"
        else:
            parent, trace_id, sampled = None, new_trace_id(run_id), True
            traceparent = propagation.format_traceparent(trace_id, span_id)
        record = ActivationRecord(
            event.activation_id,
            agent,
            event.trigger,
            run_id,
            event.ts,
            trace_id,
            span_id,
            sampled,
            parent,
            traceparent,
        )
        self._activations[event.activation_id] = record
        self._by_agent[(run_id, agent)] = record
        propagation.ACTIVE.set(traceparent)

    def _ended(self, event: AgentCompleted | AgentFailed) -> ActivationRecord | None:
        record = self._activations.pop(event.activation_id, None)
        key = (event.run_id, event.agent_id or "")
        if self._by_agent.get(key) is record:
            del self._by_agent[key]
        run = self._runs.get(event.run_id or "")
        propagation.ACTIVE.set(run.traceparent if run is not None else None)
        if record is not None:
            record.end = event.ts
        return record

    def _completed(self, event: AgentCompleted) -> None:
        record = self._ended(event)
        if record is not None:
            record.tokens = (event.prompt_tokens, event.completion_tokens)
            self.sink.put(record)

    def _failed(self, event: AgentFailed) -> None:
        record = self._ended(event)
        if record is not None:
            record.error_kind, record.error = str(event.error_kind), event.error[:500]
            self.sink.put(record)

    def _llm(self, event: LlmCallCompleted) -> None:
        parent = self._activations.get(event.activation_id)
        if parent is not None:
            parent.calls.append(event)
        else:
            self.sink.put(OrphanCall(event))

    def _tool_called(self, event: ToolCalled) -> None:
        parent = self._activations.get(event.activation_id)
        if parent is not None:
            trace_id, sampled = parent.trace_id, parent.sampled
        else:
            trace_id, sampled = new_trace_id(event.run_id), True
        span_id = random_span_id()
        traceparent = propagation.format_traceparent(trace_id, span_id, sampled=sampled)
        self._tools[(event.activation_id, event.call_id)] = ToolRecord(
            event.call_id, event.tool, event.ts, trace_id, span_id, sampled, parent, traceparent
        )
        propagation.ACTIVE.set(traceparent)

    def _tool_result(self, event: ToolResult) -> None:
        record = self._tools.pop((event.activation_id, event.call_id), None)
        if record is None:
            return
        record.end = event.ts
        if not event.ok:
            record.error = event.result[:500]
        activation = self._activations.get(event.activation_id)
        if activation is not None and record.parent is activation:
            activation.add_tool(record)  # its span is made with its activation's
        else:
            self.sink.put(record)
        propagation.ACTIVE.set(activation.traceparent if activation is not None else None)

    def _approval_asked(self, event: ApprovalRequested) -> None:
        record = self._activations.get(event.activation_id)
        if record is not None:
            self._approvals[event.approval_id] = record
            record.note(span_event(event))

    def _approval_decided(self, event: ApprovalDecided) -> None:
        record = self._approvals.pop(event.approval_id, None)
        if record is not None and record is self._activations.get(record.activation_id):
            record.note(span_event(event))

    def _budget(self, event: BudgetExceeded) -> None:
        record = self._by_agent.get((event.run_id, event.agent_id or ""))
        if record is not None:
            record.note(span_event(event))

    def _retry(self, event: ProviderRetried) -> None:
        for (_, agent), record in self._by_agent.items():
            if agent == event.agent_id:
                record.note(span_event(event))
                return

    def _remote(self, event: RemoteCallCompleted) -> None:
        self._export_now(
            f"{event.protocol} {event.operation}",
            self._by_agent.get((event.run_id, event.agent_id or "")),
            event.run_id,
            event.ts - event.duration_s,
            event.ts,
            {"rpc.system": event.protocol, "server.address": event.target},
            kind=SpanKind.CLIENT,
            status=UNSET if event.ok else failure(event.error),
        )

    def _acl_message(self, event: AclMessageSent) -> None:
        parent: ActivationRecord | SpanContext | None = None
        if event.in_reply_to and event.in_reply_to in self._acl:
            parent = self._acl[event.in_reply_to]
        else:
            parent = next(
                (s for (_, agent), s in self._by_agent.items() if agent == event.sender), None
            )
        context = self._export_now(
            f"acl {event.performative}",
            parent,
            event.run_id,
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

    def _signal(self, event: LatticeSignal | SignalEmitted) -> None:
        record = self._runs.get(event.run_id or "")
        if record is not None:
            record.events.append(span_event(event))
