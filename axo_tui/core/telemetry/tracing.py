"""OpenTelemetry spans from the runtime's events (docs/observability.md).

`EventTracer` is an event subscriber. One span per run, per activation (`invoke_agent`),
per provider call (`chat`), per tool call (`execute_tool`), per A2A/MCP call and per ACL
message, with the GenAI semantic-convention attributes. Spans are made from the events'
own times, so a span is exact even though it is built after the fact (`llm.call` carries
its start and duration). A run's trace id and an activation's span id are derived from
axo's ids (`ids`), so JSON log lines name them even when read back from the journal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.trace import SpanKind, Status, StatusCode

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

Span = trace_api.Span


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


class AxoIdGenerator(IdGenerator):
    """Random ids, unless the tracer asked for a derived one for the span it starts now."""

    def __init__(self) -> None:
        self._random = RandomIdGenerator()
        self._local = threading.local()

    def pin(self, trace_id: int | None, span_id: int | None) -> None:
        self._local.ids = (trace_id, span_id)

    def _take(self, index: int) -> int | None:
        ids: tuple[int | None, int | None] | None = getattr(self._local, "ids", None)
        if ids is None:
            return None
        value = ids[index]
        self._local.ids = (None, ids[1]) if index == 0 else None
        return value

    def generate_trace_id(self) -> int:
        pinned = self._take(0)
        return pinned if pinned else self._random.generate_trace_id()

    def generate_span_id(self) -> int:
        pinned = self._take(1)
        return pinned if pinned else self._random.generate_span_id()

    def is_trace_id_random(self) -> bool:
        return False  # derived from run ids


def tracer_provider(exporter: SpanExporter, *, batch: bool = True) -> TracerProvider:
    """A provider whose spans go to `exporter` (batched off the loop's thread, or one by
    one for tests); it carries axo's id generator."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": "axo", "service.version": __version__}),
        id_generator=AxoIdGenerator(),
    )
    processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    return provider


def otlp_tracer(endpoint: str) -> EventTracer:
    """A tracer exporting over OTLP HTTP/protobuf to `endpoint` (its `/v1/traces` is added
    unless given)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from axo_tui.core.telemetry.wiring import otlp_traces_url

    exporter = OTLPSpanExporter(endpoint=otlp_traces_url(endpoint), timeout=5)
    return EventTracer(tracer_provider(exporter))


class EventTracer:
    """Spans from events. Call `shutdown()` when the runtime closes (flushes the export)."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer("axo_tui", __version__)
        ids = provider.id_generator
        self._ids = ids if isinstance(ids, AxoIdGenerator) else None
        self._runs: dict[str, Span] = {}
        self._activations: dict[str, Span] = {}
        self._by_agent: dict[tuple[str | None, str], Span] = {}
        """(run id, agent) -> its activation in flight: what budget and remote events join."""
        self._tools: dict[tuple[str, str], Span] = {}
        self._approvals: dict[str, Span] = {}
        self._acl: dict[str, trace_api.SpanContext] = {}
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

    def __call__(self, event: Event) -> None:
        handler = self._handlers.get(event.kind)
        if handler is not None:
            handler(event)

    def shutdown(self) -> None:
        for span in [*self._tools.values(), *self._activations.values(), *self._runs.values()]:
            span.end()
        self._tools.clear()
        self._activations.clear()
        self._runs.clear()
        self.provider.shutdown()

    # --------------------------------------------------------------- helpers
    def _start(
        self,
        name: str,
        parent: Span | trace_api.SpanContext | None,
        start: float,
        attributes: dict[str, Any],
        *,
        kind: SpanKind = SpanKind.INTERNAL,
        trace_id: int | None = None,
        span_id: int | None = None,
    ) -> Span:
        if isinstance(parent, trace_api.SpanContext):
            parent = trace_api.NonRecordingSpan(parent)
        context = trace_api.set_span_in_context(parent) if parent is not None else None
        if self._ids is not None:
            self._ids.pin(trace_id, span_id)
        try:
            return self._tracer.start_span(
                name, context, kind=kind, attributes=attributes, start_time=_ns(start)
            )
        finally:
            if self._ids is not None:
                self._ids.pin(None, None)

    @staticmethod
    def _activate(span: Span | None) -> None:
        """Make `span` the one outgoing calls of this task carry (`propagation`)."""
        if span is None:
            propagation.ACTIVE.set(None)
            return
        ctx = span.get_span_context()
        propagation.ACTIVE.set(
            propagation.format_traceparent(
                ctx.trace_id, ctx.span_id, sampled=ctx.trace_flags.sampled
            )
        )

    @staticmethod
    def _fail(span: Span, message: str) -> None:
        span.set_status(Status(StatusCode.ERROR, message[:500]))

    # -------------------------------------------------------------- handlers
    def _run_started(self, event: RunStarted) -> None:
        run_id = event.run_id or ""
        parent: trace_api.SpanContext | None = None
        incoming = propagation.parse_traceparent(propagation.INCOMING.get())
        if incoming is not None:  # a caller's trace (A2A, MCP): this run joins it
            trace_id, span_id, sampled = incoming
            flags = trace_api.TraceFlags(1 if sampled else 0)
            parent = trace_api.SpanContext(trace_id, span_id, is_remote=True, trace_flags=flags)
            propagation.INCOMING.set(None)
        span = self._start(
            f"run {event.target}",
            parent,
            event.ts,
            {"axo.run.id": run_id, "axo.run.kind": event.run_kind, "axo.run.target": event.target},
            trace_id=trace_id_of(run_id),
        )
        self._runs[run_id] = span
        self._activate(span)

    def _run_completed(self, event: RunCompleted) -> None:
        span = self._runs.pop(event.run_id or "", None)
        if span is None:
            return
        span.set_attribute("axo.run.status", str(event.status))
        if event.error:
            self._fail(span, event.error)
        span.end(_ns(event.ts))
        self._activate(None)

    def _activated(self, event: AgentActivated) -> None:
        agent = event.agent_id or ""
        parent = self._runs.get(event.run_id or "")
        span = self._start(
            f"invoke_agent {agent}",
            parent,
            event.ts,
            {
                gen_ai.GEN_AI_OPERATION_NAME: "invoke_agent",
                gen_ai.GEN_AI_AGENT_NAME: agent,
                gen_ai.GEN_AI_AGENT_ID: agent,
                "axo.activation.id": event.activation_id,
                "axo.trigger": event.trigger,
                "axo.run.id": event.run_id or "",
            },
            trace_id=trace_id_of(event.run_id) if event.run_id else None,
            span_id=span_id_of(event.activation_id),
        )
        self._activations[event.activation_id] = span
        self._by_agent[(event.run_id, agent)] = span
        self._activate(span)

    def _ended(self, event: AgentCompleted | AgentFailed) -> Span | None:
        span = self._activations.pop(event.activation_id, None)
        key = (event.run_id, event.agent_id or "")
        if self._by_agent.get(key) is span:
            del self._by_agent[key]
        self._activate(self._runs.get(event.run_id or ""))
        return span

    def _completed(self, event: AgentCompleted) -> None:
        span = self._ended(event)
        if span is not None:
            span.set_attribute(gen_ai.GEN_AI_USAGE_INPUT_TOKENS, event.prompt_tokens)
            span.set_attribute(gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS, event.completion_tokens)
            span.end(_ns(event.ts))

    def _failed(self, event: AgentFailed) -> None:
        span = self._ended(event)
        if span is not None:
            span.set_attribute("error.type", str(event.error_kind))
            self._fail(span, event.error)
            span.end(_ns(event.ts))

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
        parent = self._activations.get(event.activation_id)
        span = self._start(
            f"chat {event.model}", parent, event.started, attributes, kind=SpanKind.CLIENT
        )
        if not event.ok:
            span.set_attribute("error.type", "provider_error")
            self._fail(span, event.error)
        span.end(_ns(event.started + event.duration_s))

    def _tool_called(self, event: ToolCalled) -> None:
        parent = self._activations.get(event.activation_id)
        span = self._start(
            f"execute_tool {event.tool}",
            parent,
            event.ts,
            {
                gen_ai.GEN_AI_OPERATION_NAME: "execute_tool",
                gen_ai.GEN_AI_TOOL_NAME: event.tool,
                gen_ai.GEN_AI_TOOL_CALL_ID: event.call_id,
            },
        )
        self._tools[(event.activation_id, event.call_id)] = span
        self._activate(span)

    def _tool_result(self, event: ToolResult) -> None:
        span = self._tools.pop((event.activation_id, event.call_id), None)
        if span is None:
            return
        if not event.ok:
            span.set_attribute("error.type", "tool_error")
            self._fail(span, event.result)
        span.end(_ns(event.ts))
        self._activate(self._activations.get(event.activation_id))

    def _approval_asked(self, event: ApprovalRequested) -> None:
        span = self._activations.get(event.activation_id)
        if span is not None:
            self._approvals[event.approval_id] = span
            span.add_event(
                "approval.requested",
                {"axo.approval.id": event.approval_id, gen_ai.GEN_AI_TOOL_NAME: event.tool},
                _ns(event.ts),
            )

    def _approval_decided(self, event: ApprovalDecided) -> None:
        span = self._approvals.pop(event.approval_id, None)
        if span is not None and span.is_recording():
            span.add_event(
                "approval.decided",
                {
                    "axo.approval.id": event.approval_id,
                    "axo.approval.decision": event.decision,
                    "axo.approval.decided_by": event.decided_by,
                },
                _ns(event.ts),
            )

    def _budget(self, event: BudgetExceeded) -> None:
        span = self._by_agent.get((event.run_id, event.agent_id or ""))
        if span is not None:
            span.add_event(
                "budget.exceeded",
                {
                    "axo.budget.limit": event.limit,
                    "axo.budget.allowed": event.allowed,
                    "axo.budget.requested": event.requested,
                    "axo.budget.policy": event.policy,
                },
                _ns(event.ts),
            )

    def _retry(self, event: ProviderRetried) -> None:
        for (_, agent), span in self._by_agent.items():
            if agent == event.agent_id:
                span.add_event(
                    "llm.retry",
                    {"axo.attempt": event.attempt, "axo.retry.delay_s": event.delay_s},
                    _ns(event.ts),
                )
                return

    def _remote(self, event: RemoteCallCompleted) -> None:
        parent = self._by_agent.get((event.run_id, event.agent_id or ""))
        span = self._start(
            f"{event.protocol} {event.operation}",
            parent,
            event.ts - event.duration_s,
            {"rpc.system": event.protocol, "server.address": event.target},
            kind=SpanKind.CLIENT,
        )
        if not event.ok:
            self._fail(span, event.error)
        span.end(_ns(event.ts))

    def _acl_message(self, event: AclMessageSent) -> None:
        parent: Span | trace_api.SpanContext | None = None
        if event.in_reply_to and event.in_reply_to in self._acl:
            parent = self._acl[event.in_reply_to]
        else:
            parent = next(
                (s for (_, agent), s in self._by_agent.items() if agent == event.sender), None
            )
        span = self._start(
            f"acl {event.performative}",
            parent,
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
        span.end(_ns(event.ts))
        if event.reply_with:
            if len(self._acl) > 10_000:  # replies come soon or never: keep the newest
                self._acl.pop(next(iter(self._acl)))
            self._acl[event.reply_with] = span.get_span_context()

    def _signal(self, event: LatticeSignal) -> None:
        span = self._runs.get(event.run_id or "")
        if span is not None:
            span.add_event(
                "lattice.signal",
                {
                    "axo.agent": event.agent_id or "",
                    "axo.signal": event.signal,
                    "axo.intensity": event.intensity,
                    "axo.fired": event.fired,
                },
                _ns(event.ts),
            )

    def _signal_emitted(self, event: SignalEmitted) -> None:
        span = self._runs.get(event.run_id or "")
        if span is not None:
            span.add_event(
                "signal.emitted",
                {"axo.signal": event.name, "axo.source": event.source},
                _ns(event.ts),
            )
