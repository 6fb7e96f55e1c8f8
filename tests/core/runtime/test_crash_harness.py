"""Crash harness: kill -9 a workflow run at random moments, resume it, check every promise.

Each trial runs the five-agent workflow (tests/support/crash_project.py) in a subprocess
against the fake OpenAI-compatible server, SIGKILLs it at a seeded random moment (while the
run is being created, or a random time after the k-th provider request arrived: mid-call,
between calls, between an activation's journal row and its checkpoint...), then resumes in a
new subprocess. The run and the resume talk to the server under different tags, so the
server's counts say exactly which process sent which request. For every trial:

* the run completes, under its own id, with the same outputs as a crash-free run;
* an activation completed before the kill is never sent to the provider again;
* the journal is consistent: one completed activation per agent, the run completed, no
  activation left `running` (the interrupted attempt is `interrupted`), each run session
  holds exactly one user message and one reply, no usage row lost or duplicated;
* every checkpoint left behind reads back without a warning.

Reproduce a failure with the seed and trial number printed in the assertion message.
Trials run four at a time: each is mostly waiting (the fake's delays, fsyncs), not computing.
On an idle 2-core machine the harness takes about a minute; a busy disk (every turn fsyncs its
checkpoint) can double that, hence its own timeout.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.store.checkpoints import CheckpointStore
from tests.support.crash_project import AGENTS, write_project
from tests.support.echo_openai import FakeOpenAI, running_fake

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SEED = 20_26_11_21
TRIALS = 32
MIN_KILLS = 30
PARALLEL = 4
DELAY = 0.12
"""Seconds the fake takes per reply (half before the headers, half mid-stream)."""
DRIVER = Path(__file__).with_name("crash_driver.py")
REPO = Path(__file__).resolve().parents[3]


@dataclass
class Outcome:
    trial: int
    plan: str
    killed: bool = False
    completed_at_kill: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _driver(mode: str, config: Path, data: Path, run_id: str) -> list[str]:
    return [sys.executable, str(DRIVER), mode, str(config), str(data), run_id]


def _query(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    # mode=rw: never create the file while the child is about to.
    db = sqlite3.connect(f"file:{db_path}?mode=rw", uri=True, timeout=10)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def _wait_for_run(db_path: Path, run_id: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _query(db_path, "SELECT 1 FROM runs WHERE id=?", (run_id,)):
                return True
        except sqlite3.Error:
            pass  # not created yet, or its schema is not
        time.sleep(0.005)
    return False


def _crash_free(fake: FakeOpenAI, root: Path) -> dict[str, str]:
    """Outputs of an uninterrupted run: the reference every trial must reproduce."""
    project = root / "baseline"
    config = write_project(project, fake.base_url("baseline"))
    done = subprocess.run(
        _driver("run", config, project / ".axo", "baseline"),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)
    assert result["status"] == "completed", result
    assert all(fake.count("baseline", agent) == 1 for agent in AGENTS)
    return {"": result["output"], **result["outputs"]}


def _trial(fake: FakeOpenAI, root: Path, baseline: dict[str, str], index: int) -> Outcome:
    rng = random.Random(SEED * 1000 + index)
    after_requests = rng.randint(0, 5)
    pause = rng.uniform(0, 1.2 * DELAY) if after_requests else rng.uniform(0, 0.02)
    plan = (
        f"kill {pause * 1000:.0f}ms after request #{after_requests}"
        if after_requests
        else f"kill {pause * 1000:.0f}ms after the run row was created"
    )
    outcome = Outcome(index, plan)
    started = time.monotonic()
    run_tag, resume_tag = f"t{index}-run", f"t{index}-resume"
    run_id = f"trial{index}"
    project = root / f"t{index}"
    data = project / ".axo"
    db_path = data / "axo.db"
    config = write_project(project, fake.base_url(run_tag))
    child = subprocess.Popen(
        _driver("run", config, data, run_id),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    try:
        if after_requests:
            reached = fake.wait_arrivals(run_tag, after_requests, timeout=60)
        else:
            reached = _wait_for_run(db_path, run_id, timeout=60)
        if not reached:
            outcome.problems.append("the run never got to the kill point")
        time.sleep(pause)
        process_killed = child.poll() is None
        child.kill()  # SIGKILL: no finally blocks, no atexit, no flush
    finally:
        _, stderr = child.communicate(timeout=30)
    if not process_killed and child.returncode != 0:
        outcome.problems.append(f"the run failed on its own: {stderr.decode()[-2000:]}")
    # A kill can land after the run finished, while the process is still shutting down: that
    # run is complete and there is nothing to resume. "Killed mid-run" is what the journal
    # says, not whether the process was still alive.
    status_at_kill = _query(db_path, "SELECT status FROM runs WHERE id=?", (run_id,))
    outcome.killed = process_killed and status_at_kill != [("completed",)]

    completed_at_kill = dict(
        _query(
            db_path,
            "SELECT agent_id, id FROM activations WHERE run_id=? AND status='completed'",
            (run_id,),
        )
    )
    outcome.completed_at_kill = tuple(sorted(completed_at_kill))
    usage_at_kill = {row[0] for row in _query(db_path, "SELECT id FROM usage")}

    write_project(project, fake.base_url(resume_tag))
    resumed = subprocess.run(
        _driver("resume", config, data, run_id),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    outcome.seconds = time.monotonic() - started
    problems = outcome.problems
    if resumed.returncode != 0 or "Traceback" in resumed.stderr:
        problems.append(f"resume failed: {resumed.stderr[-2000:]}")
        return outcome
    results = json.loads(resumed.stdout)
    if outcome.killed and [r["run_id"] for r in results] != [run_id]:
        problems.append(f"resume returned {[r['run_id'] for r in results]}, not [{run_id}]")

    # The run completed with the crash-free outputs.
    [(status, output)] = _query(db_path, "SELECT status, output FROM runs WHERE id=?", (run_id,))
    if status != "completed" or output != baseline[""]:
        problems.append(f"run ended {status} with output {output!r}")
    rows = _query(
        db_path,
        "SELECT id, agent_id, status, output FROM activations WHERE run_id=?",
        (run_id,),
    )
    statuses = {row[2] for row in rows}
    if not statuses <= {"completed", "interrupted"}:
        problems.append(f"activation statuses {sorted(statuses)} (orphan running rows?)")
    for agent in AGENTS:
        completed = [row for row in rows if row[1] == agent and row[2] == "completed"]
        if len(completed) != 1:
            problems.append(f"{agent}: {len(completed)} completed activations")
        elif completed[0][3] != baseline[agent]:
            problems.append(f"{agent}: output {completed[0][3]!r} != {baseline[agent]!r}")
        interrupted = [row for row in rows if row[1] == agent and row[2] == "interrupted"]
        if agent in completed_at_kill:
            if interrupted:
                problems.append(f"{agent}: completed before the kill, yet interrupted")
            if completed and completed[0][0] != completed_at_kill[agent]:
                problems.append(f"{agent}: its completed activation was replaced")
            if fake.count(resume_tag, agent):
                problems.append(f"{agent}: completed before the kill but sent again")
        elif fake.count(resume_tag, agent) != 1:
            problems.append(f"{agent}: sent {fake.count(resume_tag, agent)}x on resume, not 1x")
        roles = [
            role
            for (role,) in _query(
                db_path,
                "SELECT role FROM session_messages WHERE session_id=? ORDER BY idx",
                (f"run:{run_id}:{agent}",),
            )
        ]
        if roles != ["user", "assistant"]:
            problems.append(f"{agent}: session holds {roles}")

    # The ledger: nothing recorded before the kill lost, nothing counted twice.
    usage = _query(db_path, "SELECT id, activation_id FROM usage WHERE run_id=?", (run_id,))
    if not usage_at_kill <= {row[0] for row in usage}:
        problems.append("usage rows recorded before the kill were lost")
    per_activation = [row[1] for row in usage]
    if len(per_activation) != len(set(per_activation)):
        problems.append("an activation has two usage rows")
    completed_ids = {row[0] for row in rows if row[2] == "completed"}
    if not completed_ids <= set(per_activation):
        problems.append("a completed activation has no usage row")

    store = CheckpointStore(data / "checkpoints")
    for agent in AGENTS:
        loaded = store.load(agent)
        if loaded.warnings or len(store.files(agent)) > 3:
            problems.append(f"{agent}: checkpoints {loaded.warnings} {store.files(agent)}")
    return outcome


def test_kill_nine_at_random_moments_then_resume(tmp_path: Path) -> None:
    started = time.monotonic()
    with running_fake(delay=DELAY) as fake:
        baseline = _crash_free(fake, tmp_path)
        with ThreadPoolExecutor(PARALLEL) as pool:
            outcomes = list(pool.map(lambda i: _trial(fake, tmp_path, baseline, i), range(TRIALS)))
    took = time.monotonic() - started
    failed = [o for o in outcomes if o.problems]
    report = "\n".join(
        f"seed {SEED} trial {o.trial} ({o.plan}; completed at kill: "
        f"{','.join(o.completed_at_kill) or '-'}): {'; '.join(o.problems)}"
        for o in failed
    )
    assert not failed, report
    kills = sum(o.killed for o in outcomes)
    assert kills >= MIN_KILLS, f"only {kills} of {TRIALS} trials were killed mid-run"
    # Kills must land at varied points, not all before (or after) the work.
    depths = {len(o.completed_at_kill) for o in outcomes if o.killed}
    assert len(depths) >= 4, f"kills landed at too few depths: {sorted(depths)}"
    print(f"\ncrash harness: {kills} kills in {TRIALS} trials, {took:.1f}s")
