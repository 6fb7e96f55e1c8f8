"""Log lines: one schema for events and `logging` records; one filter rule for every reader."""

from __future__ import annotations

import io
import json
import logging

from axo_tui.core.telemetry.ids import span_hex, trace_hex
from axo_tui.core.telemetry.logs import LogSelection, event_line, use_json_logging

SCHEMA = {"ts", "level", "kind", "run_id", "agent_id", "trace_id", "span_id", "message"}


def test_an_event_line_names_its_run_agent_trace_and_span() -> None:
    line = event_line(
        seq=7,
        ts=1.5,
        kind="agent.failed",
        run_id="r1",
        agent_id="a",
        fields={"activation_id": "act1", "error": "boom\nagain"},
    )
    assert set(line) >= SCHEMA
    assert line["level"] == "error" and line["message"] == "boom again"
    assert line["trace_id"] == trace_hex("r1") and len(line["trace_id"]) == 32
    assert line["span_id"] == span_hex("act1") and len(line["span_id"]) == 16
    json.dumps(line)


def test_logging_records_share_the_schema() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        use_json_logging(stream)
        logging.getLogger("axo.test").warning("disk %s", "full", extra={"run_id": "r1"})
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    line = json.loads(stream.getvalue())
    assert set(line) >= SCHEMA
    assert (line["level"], line["message"], line["trace_id"]) == (
        "warning",
        "disk full",
        trace_hex("r1"),
    )


def test_the_filter_keeps_run_framing_lines_but_not_other_runs() -> None:
    selection = LogSelection.of(["a", "b"], "r1")
    assert selection.admits("a", "r1") and selection.admits(None, "r1")
    assert not selection.admits("c", "r1") and not selection.admits("a", "r2")
    assert LogSelection.of().admits("anyone", None)
