"""Log lines: one schema for the events as a log stream and for axo's own `logging` records.

A line (docs/observability.md) is a JSON object with `ts` (Unix seconds), `level`, `kind`,
`run_id`, `agent_id`, `trace_id`, `span_id`, `message` and, for an event, its `seq` and
`fields`. `axo logs` prints this stream; the workbench's log panel filters the same events
with the same rule (`LogSelection`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from axo_tui.core.telemetry.ids import span_hex, trace_hex

LOG_FORMATS = ("text", "json")
LOG_FORMAT_ENV = "AXO_LOG_FORMAT"
_ERROR_KINDS = frozenset({"agent.failed", "budget.exceeded"})
_WARNING_KINDS = frozenset({"runtime.warning", "llm.retry", "agent.skipped"})
_QUIET_WASM = frozenset({"wasm.log", "wasm.fuel"})
"""WASM events that are routine, not warnings (a fuel report comes every second)."""
_MESSAGE_FIELDS = ("message", "error", "output", "text", "result", "input", "reason", "summary")


@dataclass(frozen=True)
class LogSelection:
    """Which lines a reader shows: those of `agents` (lines of no agent, such as a run's
    start and end, frame them and stay) in run `run_id`."""

    agents: frozenset[str] | None = None
    run_id: str | None = None

    @classmethod
    def of(cls, agents: Iterable[str] | None = None, run_id: str | None = None) -> LogSelection:
        return cls(frozenset(agents) if agents else None, run_id)

    def admits(self, agent_id: str | None, run_id: str | None) -> bool:
        if self.run_id is not None and run_id != self.run_id:
            return False
        return self.agents is None or agent_id is None or agent_id in self.agents


def level_of(kind: str, fields: Mapping[str, Any]) -> str:
    if kind in _ERROR_KINDS or fields.get("ok") is False or fields.get("status") == "failed":
        return "error"
    if kind in _WARNING_KINDS or (kind == "wasm.event" and fields.get("what") not in _QUIET_WASM):
        return "warning"
    return "info"


def message_of(kind: str, fields: Mapping[str, Any]) -> str:
    """A one-line summary: the tool or model and the event's main text."""
    head = fields.get("tool") or fields.get("model") or fields.get("performative") or ""
    body = next((str(fields[name]) for name in _MESSAGE_FIELDS if fields.get(name)), "")
    text = f"{head} {body}".strip() if head else body
    return " ".join(text.split())[:300]


def log_line(
    *,
    ts: float,
    level: str,
    kind: str,
    message: str,
    run_id: str | None = None,
    agent_id: str | None = None,
    activation_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One line of the schema (`extra` follows the schema's fields)."""
    return {
        "ts": ts,
        "level": level,
        "kind": kind,
        "run_id": run_id,
        "agent_id": agent_id,
        "trace_id": trace_hex(run_id),
        "span_id": span_hex(activation_id),
        "message": message,
        **extra,
    }


def event_line(
    *,
    seq: int,
    ts: float,
    kind: str,
    run_id: str | None,
    agent_id: str | None,
    fields: Mapping[str, Any],
) -> dict[str, Any]:
    """The log line of one event (live, or read back from the journal)."""
    activation = fields.get("activation_id")
    return log_line(
        ts=round(ts, 6),
        level=level_of(kind, fields),
        kind=kind,
        message=message_of(kind, fields),
        run_id=run_id,
        agent_id=agent_id,
        activation_id=activation if isinstance(activation, str) else None,
        seq=seq,
        fields=dict(fields),
    )


class JsonLogFormatter(logging.Formatter):
    """axo's own `logging` records as lines of the same schema (`kind` is `log`; `run_id`
    and `agent_id` come from the record's `extra`, when given)."""

    def format(self, record: logging.LogRecord) -> str:
        run_id = getattr(record, "run_id", None)
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        line = log_line(
            ts=round(record.created, 6),
            level=record.levelname.lower(),
            kind="log",
            message=message,
            run_id=run_id,
            agent_id=getattr(record, "agent_id", None),
            logger=record.name,
        )
        return json.dumps(line, ensure_ascii=False)


def use_json_logging(stream: Any = None) -> None:
    """Send every `logging` record to stderr (or `stream`) as one JSON line."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
