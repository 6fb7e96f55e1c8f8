"""A coordinator pass from the command line: `axo workflow run` starts it (run kind
`coordinator`), `axo runs show` shows its subtasks, auctions and Contract Net messages."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.audit_project import write_audit_project
from tests.support.cli import Invoke


def test_workflow_run_starts_a_pass_and_runs_show_tells_its_auctions(
    invoke: Invoke, tmp_path: Path
) -> None:
    config = write_audit_project(tmp_path)
    ran = invoke(
        "--config", str(config), "workflow", "run", "audit", "-i", "audit the log", "--json"
    )
    assert ran.exit_code == 0, ran.output
    result = json.loads(ran.stdout)
    assert (result["kind"], result["target"], result["status"]) == (
        "coordinator",
        "audit",
        "completed",
    )
    assert result["output"] == "Two errors, both in the log."
    assert result["outputs"] == {"s1": "the log says: error, error", "s2": "2"}

    shown = invoke("--config", str(config), "runs", "show", result["run_id"], "--json")
    assert shown.exit_code == 0, shown.output
    board = json.loads(shown.stdout)["coordination"]
    assert board["goal"] == "audit the log"
    first = board["subtasks"][0]
    assert (first["id"], first["worker"], first["status"]) == ("s1", "reader", "done")
    assert first["refusals"] == [{"bidder": "counter", "reason": "lacks the tools: read_file"}]
    said = [(m["performative"], m["sender"]) for m in board["messages"]]
    assert said[0] == ("cfp", "lead")
    assert ("accept-proposal", "lead") in said and ("inform", "reader") in said

    text = invoke("--config", str(config), "runs", "show", result["run_id"][:10])
    assert text.exit_code == 0, text.output
    assert "s1 read the log [read_file] → reader  done" in text.stdout
    assert "refused: counter (lacks the tools: read_file)" in text.stdout
