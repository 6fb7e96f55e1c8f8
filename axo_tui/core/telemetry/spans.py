"""What the tracer keeps while a run, activation or tool call is open, and the finished
OpenTelemetry spans made from it once it has ended (`tracing.EventTracer`).

On the event loop's thread a record takes only ids, a few fields copied from the bus's
events (not their texts: a queued record must stay small) and the traceparent that
outgoing calls carry; attribute dicts, span contexts and `ReadableSpan`s are made by
`spans()`, which the export thread calls (`span_export`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event as SpanEvent
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.semconv._incubating.attributes.gen_ai_attributes import (
    GEN_AI_AGENT_ID,
    GEN_AI_AGENT_NAME,
    GEN_AI_OPERATION_NAME,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_TOOL_CALL_ID,
    GEN_AI_TOOL_NAME,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
)
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from axo_tui.core.events.catalog import (
    ApprovalDecided,
    ApprovalRequested,
    BudgetExceeded,
    Event,
    LatticeSignal,
    LlmCallCompleted,
    ProviderRetried,
    SignalEmitted,
)
from axo_tui.core.telemetry.ids import trace_id_of

SAMPLED = TraceFlags(TraceFlags.SAMPLED)
NOT_SAMPLED = TraceFlags(TraceFlags.DEFAULT)
UNSET = Status(StatusCode.UNSET)


def ns(seconds: float) -> int:
    return int(seconds * 1e9)


def random_span_id() -> int:
    return random.getrandbits(64) or 1


def new_trace_id(run_id: str | None) -> int:
    """A run's trace id (derived from its id, so log lines can name it), else a new one."""
    return trace_id_of(run_id) if run_id else random.getrandbits(128) or 1


def failure(message: str) -> Status:
    return Status(StatusCode.ERROR, message[:500])


def child_context(parent: SpanContext | None, run_id: str | None) -> SpanContext:
    """The context of a new span under `parent` (a new trace when there is none)."""
    if parent is not None:
        return SpanContext(parent.trace_id, random_span_id(), False, parent.trace_flags)
    return SpanContext(new_trace_id(run_id), random_span_id(), False, SAMPLED)


@dataclass(slots=True, eq=False)
class RunRecord:
    """A run in flight; `parent` is a remote caller's span when it joined its trace."""

    run_id: str
    name: str
    attributes: dict[str, Any]
    start: float
    context: SpanContext
    trace_id: int
    sampled: bool
    """Its context's, as plain fields: every activation reads them."""
    parent: SpanContext | None
    traceparent: str
    prefix: str
    """`00-<trace id>-`, and `suffix` `-01` (sampled) or `-00`: its children's traceparents
    are `prefix + span id + suffix`."""
    suffix: str
    events: list[SpanEvent] = field(default_factory=list)
    end: float = 0.0
    status: Status = UNSET

    def spans(self, resource: Resource, scope: InstrumentationScope) -> list[ReadableSpan]:
        if not self.sampled:  # a caller that records nothing
            return []
        return [
            ReadableSpan(
                name=self.name,
                context=self.context,
                parent=self.parent,
                resource=resource,
                attributes=self.attributes,
                events=self.events,
                status=self.status,
                start_time=ns(self.start),
                end_time=ns(self.end),
                instrumentation_scope=scope,
            )
        ]


@dataclass(slots=True, eq=False)
class ActivationRecord:
    """An activation, with the model and tool calls made inside it."""

    def note(self, event: SpanEvent) -> None:
        if self.events is None:
            self.events = []
        self.events.append(event)

    def add_tool(self, tool: ToolRecord) -> None:
        if self.tools is None:
            self.tools = []
        self.tools.append(tool)

    activation_id: str
    agent: str
    trigger: str
    run_id: str | None
    start: float
    trace_id: int
    span_id: int
    sampled: bool
    parent: SpanContext | None
    traceparent: str
    calls: list[LlmCallCompleted] = field(default_factory=list)
    tools: list[ToolRecord] | None = None
    events: list[SpanEvent] | None = None
    """Approvals, budget refusals, retries (made when they happen: they are rare)."""
    end: float = 0.0
    tokens: tuple[int, int] | None = None
    """(input, output) when it completed; else `error_kind` and `error` say why not."""
    error_kind: str = ""
    error: str = ""
    _context: SpanContext | None = None

    @property
    def context(self) -> SpanContext:
        if self._context is None:  # made once, by whichever thread asks first: same value
            flags = SAMPLED if self.sampled else NOT_SAMPLED
            self._context = SpanContext(self.trace_id, self.span_id, False, flags)
        return self._context

    def spans(self, resource: Resource, scope: InstrumentationScope) -> list[ReadableSpan]:
        """Its span and its model and tool calls' (none when its trace is not sampled)."""
        if not self.sampled:
            return []
        context = self.context
        spans = [chat_span(call, context, resource, scope) for call in self.calls]
        for tool in self.tools or ():
            spans += tool.spans(resource, scope)
        attributes: dict[str, Any] = {
            GEN_AI_OPERATION_NAME: "invoke_agent",
            GEN_AI_AGENT_NAME: self.agent,
            GEN_AI_AGENT_ID: self.agent,
            "axo.activation.id": self.activation_id,
            "axo.trigger": self.trigger,
            "axo.run.id": self.run_id or "",
        }
        status = UNSET
        if self.tokens is not None:
            attributes[GEN_AI_USAGE_INPUT_TOKENS] = self.tokens[0]
            attributes[GEN_AI_USAGE_OUTPUT_TOKENS] = self.tokens[1]
        elif self.error_kind:
            attributes["error.type"] = self.error_kind
            status = failure(self.error)
        spans.append(
            ReadableSpan(
                name=f"invoke_agent {self.agent}",
                context=context,
                parent=self.parent,
                resource=resource,
                attributes=attributes,
                events=self.events or (),
                status=status,
                start_time=ns(self.start),
                end_time=ns(self.end),
                instrumentation_scope=scope,
            )
        )
        return spans


@dataclass(slots=True, eq=False)
class ToolRecord:
    """A tool call; its span id is known at once (its traceparent goes out with calls)."""

    call_id: str
    tool: str
    start: float
    trace_id: int
    span_id: int
    sampled: bool
    parent: ActivationRecord | None
    traceparent: str
    end: float = 0.0
    error: str | None = None
    """What a failed call returned."""

    def spans(self, resource: Resource, scope: InstrumentationScope) -> list[ReadableSpan]:
        if not self.sampled:
            return []
        attributes = {
            GEN_AI_OPERATION_NAME: "execute_tool",
            GEN_AI_TOOL_NAME: self.tool,
            GEN_AI_TOOL_CALL_ID: self.call_id,
        }
        status = UNSET
        if self.error is not None:
            attributes["error.type"] = "tool_error"
            status = failure(self.error)
        return [
            ReadableSpan(
                name=f"execute_tool {self.tool}",
                context=SpanContext(self.trace_id, self.span_id, False, SAMPLED),
                parent=self.parent.context if self.parent is not None else None,
                resource=resource,
                attributes=attributes,
                status=status,
                start_time=ns(self.start),
                end_time=ns(self.end),
                instrumentation_scope=scope,
            )
        ]


@dataclass(slots=True, eq=False)
class OrphanCall:
    """A model call outside any activation the tracer saw (a trace of its own)."""

    call: LlmCallCompleted

    def spans(self, resource: Resource, scope: InstrumentationScope) -> list[ReadableSpan]:
        return [chat_span(self.call, None, resource, scope)]


def chat_span(
    event: LlmCallCompleted,
    parent: SpanContext | None,
    resource: Resource,
    scope: InstrumentationScope,
) -> ReadableSpan:
    attributes: dict[str, Any] = {
        GEN_AI_OPERATION_NAME: "chat",
        GEN_AI_PROVIDER_NAME: event.provider_kind,
        GEN_AI_REQUEST_MODEL: event.model,
        GEN_AI_RESPONSE_MODEL: event.model,
        GEN_AI_USAGE_INPUT_TOKENS: event.prompt_tokens,
        GEN_AI_USAGE_OUTPUT_TOKENS: event.completion_tokens,
        "axo.provider": event.provider,
    }
    if event.cost_usd is not None:
        attributes["axo.cost_usd"] = event.cost_usd
    if event.purpose:
        attributes["axo.purpose"] = event.purpose
    status = UNSET
    if not event.ok:
        attributes["error.type"] = "provider_error"
        status = failure(event.error)
    return ReadableSpan(
        name=f"chat {event.model}",
        context=child_context(parent, event.run_id),
        parent=parent,
        resource=resource,
        attributes=attributes,
        kind=SpanKind.CLIENT,
        status=status,
        start_time=ns(event.started),
        end_time=ns(event.started + event.duration_s),
        instrumentation_scope=scope,
    )


def span_event(event: Event) -> SpanEvent:
    """The span event an approval, a budget refusal, a retry or a signal becomes."""
    attributes: dict[str, Any]
    if isinstance(event, ApprovalRequested):
        name = "approval.requested"
        attributes = {"axo.approval.id": event.approval_id, GEN_AI_TOOL_NAME: event.tool}
    elif isinstance(event, ApprovalDecided):
        name = "approval.decided"
        attributes = {
            "axo.approval.id": event.approval_id,
            "axo.approval.decision": event.decision,
            "axo.approval.decided_by": event.decided_by,
        }
    elif isinstance(event, BudgetExceeded):
        name = "budget.exceeded"
        attributes = {
            "axo.budget.limit": event.limit,
            "axo.budget.allowed": event.allowed,
            "axo.budget.requested": event.requested,
            "axo.budget.policy": event.policy,
        }
    elif isinstance(event, ProviderRetried):
        name = "llm.retry"
        attributes = {"axo.attempt": event.attempt, "axo.retry.delay_s": event.delay_s}
    elif isinstance(event, LatticeSignal):
        name = "lattice.signal"
        attributes = {
            "axo.agent": event.agent_id or "",
            "axo.signal": event.signal,
            "axo.intensity": event.intensity,
            "axo.fired": event.fired,
        }
    elif isinstance(event, SignalEmitted):
        name = "signal.emitted"
        attributes = {"axo.signal": event.name, "axo.source": event.source}
    else:  # pragma: no cover - the tracer keeps only the kinds above
        name, attributes = event.kind, {}
    return SpanEvent(name, attributes, ns(event.ts))
