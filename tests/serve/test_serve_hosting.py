"""`axo serve` hosts a project as `axo dev` does, as a real process with no terminal: its
schedules and proactive timers run, a run a `kill -9` cut short is resumed by the next
start, and SIGTERM leaves the runs in flight `interrupted` (resumable), never half-written."""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path
from typing import Any

import httpx

from axo_tui.core.runtime.build import open_state
from tests.support.crash_project import write_project
from tests.support.echo_openai import FakeOpenAI, running_fake
from tests.support.serve_process import serve_process
from tests.support.served_project import write_scripted

TICKING = """\
name: ticking
agents:
  - id: planner
    provider: scripted
  - id: writer
    provider: scripted
    depends_on: [planner]
  - id: watcher
    provider: scripted
workflows:
  - id: draft
    agents: [planner, writer]
    entry_point: planner
schedules:
  - id: often
    workflow: draft
    every: 1s
    input: tick
proactive:
  - id: wake
    agent: watcher
    trigger: {type: schedule, every: 1s}
    input: look around
providers:
  scripted:
    replies:
      planner: ["Plan."]
      writer: ["Draft."]
      watcher: ["All quiet."]
"""


def _completed(runs: list[dict[str, Any]], kind: str, target: str) -> list[dict[str, Any]]:
    return [
        run
        for run in runs
        if run["kind"] == kind and run["target"] == target and run["status"] == "completed"
    ]


def test_schedules_and_proactive_timers_run_with_no_terminal(tmp_path: Path) -> None:
    project = write_scripted(tmp_path / "p", TICKING)
    with serve_process(project) as serve:

        def ticked() -> list[dict[str, Any]] | None:
            runs: list[dict[str, Any]] = serve.get("/api/runs?limit=100")
            enough = (
                len(_completed(runs, "workflow", "draft")) >= 2
                and len(_completed(runs, "proactive", "watcher")) >= 2
            )
            return runs if enough else None

        runs = serve.wait_for(ticked, 30, "two ticks of the schedule and of the trigger")
        serve.process.send_signal(signal.SIGTERM)
        assert serve.exit_code() == 0, serve.log
    drafts = _completed(runs, "workflow", "draft")
    assert {run["input"] for run in drafts} == {"tick"}
    assert {run["output"] for run in drafts} == {"Draft."}
    wakes = _completed(runs, "proactive", "watcher")
    assert {(run["input"], run["output"]) for run in wakes} == {("look around", "All quiet.")}
    # Nobody asked for a run: every one came from a timer.
    assert {run["kind"] for run in runs} == {"workflow", "proactive"}


def _post_in_background(url: str, body: dict[str, str]) -> threading.Thread:
    """POST that may never be answered (its server is killed): the test does not wait."""

    def post() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server was killed under it
            httpx.post(url, json=body, timeout=60)

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread


def test_a_run_cut_by_kill_9_is_resumed_by_the_next_start(tmp_path: Path) -> None:
    with running_fake() as fake:
        project = write_project(tmp_path / "p", fake.base_url("t"))
        fake.held.add(("t", "c"))  # the run stops at c: a, b and d have completed
        with serve_process(project) as first:
            _post_in_background(f"{first.url}/api/workflows/crash/execute", {"input": "go"})
            first.wait_for(lambda: fake.count("t", "c") == 1, 60, "c's call to the model")
            first.process.send_signal(signal.SIGKILL)
            assert first.exit_code() == -signal.SIGKILL
        state = open_state(tmp_path / "p" / ".axo")
        [cut] = state.runs(limit=10)
        state.close()
        assert cut.status == "running"  # a kill -9 records nothing more

        fake.release("t", "c")
        with serve_process(project) as second:

            def finished() -> dict[str, Any] | None:
                run: dict[str, Any] = second.get(f"/api/runs/{cut.id}")
                return run if run["status"] != "running" else None

            run = second.wait_for(finished, 60, f"run {cut.id} resumed")
            assert [r["id"] for r in second.get("/api/runs")] == [cut.id]  # not a new run
            second.process.send_signal(signal.SIGTERM)
            assert second.exit_code() == 0, second.log
        assert run["status"] == "completed", run
        assert run["output"].startswith("e says ")
        # The log says so (with no terminal it is all a user sees), after the start-up line.
        assert "listening on" in second.lines[0]
        assert "axo serve: resuming 1 run a crash left unfinished" in second.log
        # The steps finished before the kill were kept, not asked again; c was re-asked.
        assert [fake.count("t", agent) for agent in ("a", "b", "c", "d", "e")] == [1, 1, 2, 1, 1]


SCHEDULED_AND_WOKEN = """\
schedules:
  - id: often
    workflow: crash
    every: 1s
    input: tick
proactive:
  - id: wake
    agent: e
    trigger: {type: schedule, every: 1s}
    input: look around
"""


def test_sigterm_leaves_timer_runs_in_flight_interrupted_not_half_written(
    tmp_path: Path,
) -> None:
    fake = FakeOpenAI().start()
    try:
        project = write_project(tmp_path / "p", fake.base_url("t"))
        project.write_text(project.read_text() + SCHEDULED_AND_WOKEN)
        # The scheduled run stops at c, the proactive one in e's call: both are mid-flight.
        fake.held.update({("t", "c"), ("t", "e")})
        with serve_process(project) as serve:
            serve.wait_for(
                lambda: fake.count("t", "c") == 1 and fake.count("t", "e") == 1,
                60,
                "both timer runs at the model",
            )
            serve.process.send_signal(signal.SIGTERM)
            assert serve.exit_code() == 0, serve.log
        state = open_state(tmp_path / "p" / ".axo")
        runs = state.runs(limit=10)
        details = {run.kind: state.run(run.id) for run in runs}
        state.close()
        assert sorted(run.kind for run in runs) == ["proactive", "workflow"]
        assert {run.status for run in runs} == {"interrupted"}
        for run in runs:
            assert f"run {run.id[:12]} interrupted; `axo runs resume {run.id[:12]}`" in serve.log
        scheduled, woken = details["workflow"], details["proactive"]
        assert scheduled is not None and woken is not None
        steps = {a.agent_id: (a.status, bool(a.output)) for a in scheduled.activations}
        # Finished steps keep their output; the one cut is `interrupted`, none left running.
        assert steps == {
            "a": ("completed", True),
            "b": ("completed", True),
            "d": ("completed", True),
            "c": ("interrupted", False),
        }
        assert [(a.agent_id, a.status) for a in woken.activations] == [("e", "interrupted")]
    finally:
        fake.stop()
