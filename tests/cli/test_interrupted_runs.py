"""Ctrl+C and kill -9 leave different runs behind, and `axo` treats them differently.

Real `axo` processes against a fake OpenAI-compatible server on 127.0.0.1 whose agent `c`
holds its request: the process is certainly mid-run when it gets SIGINT or SIGKILL.

* Ctrl+C: exit 130, the run is `interrupted` (its running activation too), and a later
  `axo runs resume` without ID leaves it alone; `axo runs resume ID` finishes it without
  running its completed agents again.
* kill -9: the run stays `running` with a dead owner, and `axo runs resume` finishes it.
* `axo runs cancel ID|--all`: interrupted and crashed runs end `cancelled`, never resumed.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import axo_command, clean_env
from tests.support.crash_project import signal_mid_call, write_project
from tests.support.echo_openai import FakeOpenAI, running_fake

pytestmark = pytest.mark.timeout(180)

TAG = "t"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with running_fake(delay=0.0) as server:
        yield server


@pytest.fixture
def project(tmp_path: Path, fake: FakeOpenAI) -> Path:
    write_project(tmp_path, fake.base_url(TAG))
    return tmp_path


def axo(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*axo_command(), *args],
        cwd=project,
        env=clean_env(NO_COLOR="1"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def stop_mid_run(project: Path, fake: FakeOpenAI, how: signal.Signals) -> tuple[int, str]:
    """Start `axo workflow run crash`, wait until agent `c` (a and b have completed) is stuck
    at the server, then send `how`. Returns (exit code, stderr)."""
    fake.held.add((TAG, "c"))
    before = fake.count(TAG, "c")
    process = subprocess.Popen(
        [*axo_command(), "workflow", "run", "crash", "-i", "q"],
        cwd=project,
        env=clean_env(NO_COLOR="1"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        signal_mid_call(process, fake, TAG, "c", how, before=before, output=process.communicate)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        fake.release(TAG, "c")
    return process.returncode, err


def runs(project: Path) -> list[dict[str, object]]:
    done = axo(project, "runs", "list", "--json")
    assert done.returncode == 0, done.stderr
    result: list[dict[str, object]] = json.loads(done.stdout)
    return result


def activations(project: Path, run_id: str) -> list[dict[str, object]]:
    done = axo(project, "runs", "show", run_id, "--json")
    assert done.returncode == 0, done.stderr
    result: list[dict[str, object]] = json.loads(done.stdout)["activations"]
    return result


def test_ctrl_c_records_the_run_interrupted_and_only_an_explicit_resume_continues_it(
    project: Path, fake: FakeOpenAI
) -> None:
    code, err = stop_mid_run(project, fake, signal.SIGINT)
    assert code == 130, err
    assert "Traceback" not in err
    [run] = runs(project)
    run_id = str(run["id"])
    assert run["status"] == "interrupted"
    assert f"axo runs resume {run_id[:12]}" in err
    statuses = {a["agent_id"]: a["status"] for a in activations(project, run_id)}
    assert statuses["c"] == "interrupted"
    assert statuses["a"] == statuses["b"] == "completed"

    calls = {agent: fake.count(TAG, agent) for agent in "abcde"}
    left = axo(project, "runs", "resume")  # what `axo dev` does at start-up: crashed runs only
    assert left.returncode == 0, left.stderr
    assert "1 interrupted run is left alone" in left.stderr
    assert "nothing to resume" in left.stderr
    assert runs(project)[0]["status"] == "interrupted"
    assert {agent: fake.count(TAG, agent) for agent in "abcde"} == calls

    resumed = axo(project, "runs", "resume", run_id[:12], "--json")
    assert resumed.returncode == 0, resumed.stderr
    [result] = json.loads(resumed.stdout)
    assert result["run_id"] == run_id and result["status"] == "completed"
    assert runs(project)[0]["status"] == "completed"
    # a and b completed before the Ctrl+C: never sent again.
    assert fake.count(TAG, "a") == calls["a"] and fake.count(TAG, "b") == calls["b"]
    assert fake.count(TAG, "c") == calls["c"] + 1


def test_a_crash_leaves_the_run_running_and_a_plain_resume_finishes_it(
    project: Path, fake: FakeOpenAI
) -> None:
    code, _ = stop_mid_run(project, fake, signal.SIGKILL)
    assert code == -signal.SIGKILL
    [run] = runs(project)
    assert run["status"] == "running"
    resumed = axo(project, "runs", "resume", "--json")
    assert resumed.returncode == 0, resumed.stderr
    [result] = json.loads(resumed.stdout)
    assert result["run_id"] == run["id"] and result["status"] == "completed"


def test_resume_all_takes_interrupted_and_crashed_runs(project: Path, fake: FakeOpenAI) -> None:
    stop_mid_run(project, fake, signal.SIGINT)
    stop_mid_run(project, fake, signal.SIGKILL)
    assert sorted(str(r["status"]) for r in runs(project)) == ["interrupted", "running"]
    resumed = axo(project, "runs", "resume", "--all", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert [r["status"] for r in json.loads(resumed.stdout)] == ["completed", "completed"]
    assert [r["status"] for r in runs(project)] == ["completed", "completed"]


def test_cancel_ends_interrupted_and_crashed_runs_for_good(project: Path, fake: FakeOpenAI) -> None:
    stop_mid_run(project, fake, signal.SIGINT)
    stop_mid_run(project, fake, signal.SIGKILL)
    crashed, interrupted = runs(project)  # newest first
    cancelled = axo(project, "runs", "cancel", str(interrupted["id"])[:10])
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"{str(interrupted['id'])[:12]}  cancelled" in cancelled.stdout
    assert [r["status"] for r in runs(project)] == ["running", "cancelled"]

    rest = axo(project, "runs", "cancel", "--all", "--json")
    assert rest.returncode == 0, rest.stderr
    assert [(r["run_id"], r["status"]) for r in json.loads(rest.stdout)] == [
        (crashed["id"], "cancelled")
    ]
    assert [r["status"] for r in runs(project)] == ["cancelled", "cancelled"]
    assert all(
        a["status"] != "running" for r in runs(project) for a in activations(project, str(r["id"]))
    )
    nothing = axo(project, "runs", "resume", "--all")
    assert "nothing to resume" in nothing.stderr
    again = axo(project, "runs", "cancel", "--all")
    assert again.returncode == 0 and "nothing to cancel" in again.stderr


def test_cancel_refuses_a_finished_run_and_a_missing_argument(project: Path) -> None:
    done = axo(project, "workflow", "run", "crash", "-i", "q", "--json")
    run_id = json.loads(done.stdout)["run_id"]
    finished = axo(project, "runs", "cancel", run_id)
    assert finished.returncode == 1
    assert "already ended (completed)" in finished.stderr and "Traceback" not in finished.stderr
    bare = axo(project, "runs", "cancel")
    assert bare.returncode == 2 and "give a run ID or --all" in bare.stderr
