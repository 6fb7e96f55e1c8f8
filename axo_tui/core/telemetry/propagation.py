"""W3C trace context across process boundaries, without importing opentelemetry here.

The tracer (a bus subscriber, `tracing.EventTracer`) runs inline in the task that emits an
event, so it records the span that is current for that task in `ACTIVE`: a tool call, an
A2A request or an ACL send made later in that task (or in tasks it starts) reads it with
`trace_headers()`. A server that receives a `traceparent` calls `adopt()` before starting a
run: the run's span then joins the caller's trace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextvars import ContextVar

TRACEPARENT = "traceparent"
ACTIVE: ContextVar[str | None] = ContextVar("axo_active_traceparent", default=None)
"""The traceparent of the span current in this task (set by the tracer)."""
INCOMING: ContextVar[str | None] = ContextVar("axo_incoming_traceparent", default=None)
"""A caller's traceparent adopted by a server for the run it starts next in this task."""

_FORMAT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def format_traceparent(trace_id: int, span_id: int, *, sampled: bool = True) -> str:
    return f"00-{trace_id:032x}-{span_id:016x}-{'01' if sampled else '00'}"


def parse_traceparent(value: str | None) -> tuple[int, int, bool] | None:
    """(trace id, span id, sampled) of a valid traceparent, else None (a bad one is ignored,
    as the W3C spec says: the callee starts a trace of its own)."""
    match = _FORMAT.match((value or "").strip().lower())
    if match is None:
        return None
    trace_id, span_id = int(match[1], 16), int(match[2], 16)
    if not trace_id or not span_id:
        return None
    return trace_id, span_id, int(match[3], 16) & 1 == 1


def trace_headers() -> dict[str, str]:
    """`{"traceparent": ...}` for an outgoing call when a span is current, else `{}`."""
    active = ACTIVE.get()
    return {TRACEPARENT: active} if active else {}


def adopt(carrier: Mapping[str, str] | None) -> None:
    """Take the caller's `traceparent` (from HTTP headers or an MCP `_meta`) as the parent
    of the next run this task starts."""
    value = None if carrier is None else carrier.get(TRACEPARENT)
    INCOMING.set(value if parse_traceparent(value) is not None else None)
