"""The runtime commands driven as a user would: a real `axo` process and Typer's runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from axo_tui.cli.app import app
from tests.support.cli import RESEARCH

REPO = Path(__file__).resolve().parents[2]
AXO = Path(sys.executable).with_name("axo")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "axo.yaml").write_text(RESEARCH)
    return tmp_path


def axo(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("AXO_DATA_DIR", None)
    return subprocess.run(
        [str(AXO), *args], cwd=project, capture_output=True, text=True, env=env, timeout=60
    )


def invoke(project: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["--config", str(project / "axo.yaml"), *args])


def test_workflow_run_prints_the_sink_output_and_journals_it(project: Path) -> None:
    done = axo(project, "workflow", "run", "research", "-i", "What is 6*7?")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Final answer."
    assert "completed · 4 activation(s)" in done.stderr
    listed = json.loads(axo(project, "runs", "list", "--json").stdout)
    assert [(r["kind"], r["target"], r["status"]) for r in listed] == [
        ("workflow", "research", "completed")
    ]
    shown = json.loads(axo(project, "runs", "show", listed[0]["id"][:8], "--json").stdout)
    assert shown["activations"][0]["agent_id"] == "planner"
    assert {a["agent_id"] for a in shown["activations"]} == {
        "planner",
        "researcher",
        "critic",
        "writer",
    }
    assert shown["activations"][-1]["output"] == "Final answer."


def test_workflow_run_json_shape(project: Path) -> None:
    result = invoke(project, "workflow", "run", "research", "-i", "q", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {
        "run_id",
        "kind",
        "target",
        "status",
        "output",
        "outputs",
        "failed",
        "skipped",
        "errors",
        "usage",
        "activations",
    }
    assert data["outputs"]["researcher"] == "Found 42."
    assert data["usage"]["total_tokens"] > 0


def test_stream_shows_each_agent_and_tool_calls(project: Path) -> None:
    done = axo(project, "workflow", "run", "research", "-i", "q", "--stream")
    assert done.returncode == 0, done.stderr
    assert "[planner] Plan: look it up." in done.stdout
    assert '▸ calculator {"expression": "6*7"}' in done.stdout
    assert "[writer] Final answer." in done.stdout


def test_unknown_ids_are_clear_errors_without_traceback(project: Path) -> None:
    done = axo(project, "workflow", "run", "reserch", "-i", "q")
    assert done.returncode == 1
    assert "no workflow named 'reserch'; did you mean 'research'?" in done.stderr
    assert "Traceback" not in done.stderr
    done = axo(project, "run", "writr", "-i", "q")
    assert done.returncode == 1 and "did you mean 'writer'" in done.stderr
    done = axo(project, "runs", "show", "nope")
    assert done.returncode == 1 and "no run 'nope'" in done.stderr


def test_invalid_config_is_reported_by_every_command(project: Path) -> None:
    (project / "axo.yaml").write_text("agents:\n  - id: a\n    depends_on: [ghost]\n")
    done = axo(project, "workflow", "list")
    assert done.returncode == 1
    assert "axo.yaml:3" in done.stderr and "ghost" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_one_agent_in_a_named_session(project: Path) -> None:
    first = invoke(project, "run", "critic", "-i", "hello", "--session", "s1")
    assert first.exit_code == 0 and first.stdout.strip() == "Looks right."
    invoke(project, "run", "critic", "-i", "again", "--session", "s1")
    from axo_tui.core.store.journal import Journal

    journal = Journal(project / ".axo" / "axo.db")
    users = [m.content for m in journal.load_session("chat:critic:s1") if m.role == "user"]
    journal.close()
    assert users == ["hello", "again"]


def test_skills_list_fire_and_emit(project: Path) -> None:
    listed = json.loads(invoke(project, "skills", "list", "--json").stdout)
    assert [s["id"] for s in listed] == ["review", "publish"]
    fired = invoke(project, "skills", "fire", "review", "-i", "draft", "--json")
    assert fired.exit_code == 0, fired.output
    data = json.loads(fired.stdout)
    assert data["outputs"] == {"critic": "Looks right.", "writer": "Final answer."}
    emitted = invoke(project, "emit", "Reviewed", "-p", "ok")
    assert emitted.exit_code == 0 and "Final answer." in emitted.stdout
    nothing = invoke(project, "emit", "Unheard")
    assert nothing.exit_code == 0 and "nothing reacts to 'Unheard'" in nothing.stderr


def test_tokens_report_groups_and_filters(project: Path) -> None:
    invoke(project, "workflow", "run", "research", "-i", "q")
    report = json.loads(invoke(project, "tokens", "report", "--json").stdout)
    assert [row["key"] for row in report["rows"]] == ["critic", "planner", "researcher", "writer"]
    researcher = next(r for r in report["rows"] if r["key"] == "researcher")
    assert researcher["calls"] == 2  # the tool round is a second call
    assert report["total"]["total_tokens"] == sum(r["total_tokens"] for r in report["rows"])
    by_day = json.loads(invoke(project, "tokens", "report", "--json", "--by", "day").stdout)
    assert len(by_day["rows"]) == 1
    future = json.loads(
        invoke(project, "tokens", "report", "--json", "--since", "2999-01-01").stdout
    )
    assert future["rows"] == []
    bad = invoke(project, "tokens", "report", "--since", "yesterday")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr


def test_agents_list_and_status(project: Path) -> None:
    invoke(project, "workflow", "run", "research", "-i", "q")
    agents = json.loads(invoke(project, "agents", "list", "--json").stdout)
    assert [a["id"] for a in agents] == ["planner", "researcher", "critic", "writer"]
    assert agents[3]["per_execution"] == 8000
    status = json.loads(invoke(project, "agents", "status", "--json").stdout)
    assert {s["id"]: s["activations"] for s in status} == {
        "planner": 1,
        "researcher": 1,
        "critic": 1,
        "writer": 1,
    }
    assert all(s["tokens_today"] > 0 for s in status)


def test_events_filters_and_follow(project: Path) -> None:
    invoke(project, "workflow", "run", "research", "-i", "q")
    lines = invoke(project, "events", "--json", "--agents", "writer", "-n", "100").stdout
    events = [json.loads(line) for line in lines.splitlines()]
    assert events and {e["agent_id"] for e in events} == {"writer"}
    assert events[0]["kind"] == "agent.activated"
    # --follow sees events another process records. It first prints the last past event,
    # which also tells us it is up before the second process starts writing.
    with subprocess.Popen(  # `with` closes the pipe too
        [str(AXO), "events", "--follow", "--json", "-n", "1"],
        cwd=project,
        stdout=subprocess.PIPE,
        text=True,
    ) as follower:
        try:
            assert follower.stdout is not None
            assert json.loads(follower.stdout.readline())["kind"] == "run.completed"
            assert axo(project, "run", "critic", "-i", "x").returncode == 0
            seen = []
            for line in follower.stdout:
                seen.append(json.loads(line)["kind"])
                if seen[-1] == "run.completed":
                    break
        finally:
            follower.terminate()
            follower.wait(10)
    assert seen[0] == "run.started" and "agent.completed" in seen


def test_no_runs_yet_is_explained(project: Path) -> None:
    done = axo(project, "runs", "list")
    assert done.returncode == 1 and "no runs recorded yet" in done.stderr


def test_hello_example_runs_offline(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(AXO), "--data-dir", str(tmp_path), "workflow", "run", "hello", "-i", "hi"],
        cwd=REPO / "examples" / "hello",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "axo.db").exists()
    assert done.stdout.strip()
