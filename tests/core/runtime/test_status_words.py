"""Statuses, agent states and error kinds are StrEnums whose values are the very words the
journal stores, `--json` prints and docs/cli.md lists: typing them changed no output."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from axo_tui.core.base.enums import ActivationStatus, AgentState, ErrorKind, RunStatus
from axo_tui.core.config.schema import WorkflowConfig
from axo_tui.core.runtime.build import build_runtime
from tests.support.builders import agent, make_config, scripted

CLI_DOC = Path(__file__).parents[3] / "docs" / "cli.md"


def test_the_values_are_the_documented_words() -> None:
    assert [s.value for s in RunStatus] == [
        "running",
        "completed",
        "failed",
        "cancelled",
        "interrupted",
    ]
    assert [s.value for s in ActivationStatus] == [s.value for s in RunStatus]
    assert [s.value for s in AgentState] == ["idle", "waiting", "running", "failed", "degraded"]
    assert [k.value for k in ErrorKind] == [
        "error",
        "cancelled",
        "circuit_open",
        "budget",
        "provider",
        "tool_loop",
        "journal",
        "internal",
    ]
    documented = set(re.findall(r"`([a-z_]+)`", CLI_DOC.read_text(encoding="utf-8")))
    every = {*RunStatus, *ActivationStatus, *AgentState, *ErrorKind}
    assert {word.value for word in every} - documented == set()


async def test_a_run_writes_the_same_words_to_json_and_the_journal(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        # `lost` names a provider that is not configured: it fails with a provider error.
        [agent("ok"), agent("lost", provider="nowhere")],
        workflows=[WorkflowConfig("w", ("ok", "lost"))],
        providers=[scripted({"ok": ["fine"]})],
    )
    async with build_runtime(config, data_dir=tmp_path / ".axo") as runtime:
        result = await runtime.run_workflow("w", "go")
        events = runtime.journal.events(limit=100)
        assert runtime.status("lost").state == AgentState.FAILED
        assert runtime.status("ok").state == AgentState.IDLE
    shown = json.loads(json.dumps(result.to_dict()))
    assert shown["status"] == "failed" and type(shown["status"]) is str
    # `axo events --json` prints these records.
    assert [e["error_kind"] for e in events if e["kind"] == "agent.failed"] == ["provider"]
    db = sqlite3.connect(tmp_path / ".axo" / "axo.db")
    try:
        runs = db.execute("SELECT status, typeof(status) FROM runs").fetchall()
        activations = db.execute(
            "SELECT agent_id, status, typeof(status) FROM activations ORDER BY agent_id"
        ).fetchall()
        journaled = db.execute("SELECT payload FROM events WHERE kind = 'agent.failed'").fetchall()
    finally:
        db.close()
    assert runs == [("failed", "text")]
    assert activations == [("lost", "failed", "text"), ("ok", "completed", "text")]
    assert [json.loads(row[0])["error_kind"] for row in journaled] == ["provider"]
