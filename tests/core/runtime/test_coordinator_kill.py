"""A coordinator pass killed with kill -9 resumes by run id in a new process: the plan and
the finished subtasks are kept, and their providers receive nothing again."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from axo_tui.core.runtime.build import open_state
from tests.support.cli import clean_env
from tests.support.coordinator_project import ScriptedModels, write_project
from tests.support.model_server import ModelServer

DRIVER = Path(__file__).with_name("coordinator_driver.py")
WORKERS = {"w1": "[read_file]", "w2": "[calculator]", "w3": "[write_file]"}
PLAN = (
    '{"subtasks": [{"name": "read", "tools": ["read_file"]}, '
    '{"name": "count", "tools": ["calculator"]}, {"name": "write", "tools": ["write_file"]}]}'
)


def driver(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(DRIVER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )


def finished_workers(data_dir: Path, run_id: str) -> set[str]:
    state = open_state(data_dir)
    try:
        detail = state.run(run_id)
        if detail is None:
            return set()
        return {a.agent_id for a in detail.activations if a.status == "completed"}
    finally:
        state.close()


def test_a_pass_killed_mid_work_resumes_by_run_id_without_redoing_anything(
    tmp_path: Path,
) -> None:
    with ModelServer() as server:
        models = ScriptedModels(server)
        models.queue("lead", PLAN, "The synthesis.")
        held = {"w3"}
        server.hold_while(lambda request: request.json().get("model") in held)
        config = write_project(tmp_path, server.url, workers=WORKERS)
        data_dir = tmp_path / ".axo"
        run_id = "pass-under-test"

        first = driver("run", str(config), str(data_dir), run_id, "ship the release")
        deadline = time.monotonic() + 60
        # w1 and w2 finish; w3 hangs in its model call: then the process dies.
        while not (models.sent_to("w3") and {"w1", "w2"} <= finished_workers(data_dir, run_id)):
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the pass never got to the point of the kill"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
        held.clear()
        server.wake()
        sent_before = {m: len(models.sent_to(m)) for m in ("lead", "w1", "w2", "w3")}
        assert sent_before == {"lead": 1, "w1": 1, "w2": 1, "w3": 1}

        second = driver("resume", str(config), str(data_dir), run_id)
        out, err = second.communicate(timeout=90)
        assert second.returncode == 0, err
        result = json.loads(out)

        sent_after = {m: len(models.sent_to(m)) for m in ("lead", "w1", "w2", "w3")}
    assert result["run_id"] == run_id and result["kind"] == "coordinator"
    assert result["status"] == "completed", result
    assert result["output"] == "The synthesis."
    assert result["outputs"] == {"s1": "w1 did: read", "s2": "w2 did: count", "s3": "w3 did: write"}
    # Nothing finished was sent again: no new plan, no w1 or w2; w3 again; one synthesis.
    assert sent_after == {"lead": 2, "w1": 1, "w2": 1, "w3": 2}
    state = open_state(data_dir)
    try:
        plans = [e for e in state.events(run_id=run_id) if e.kind == "coordinator.plan"]
        statuses = [(a.agent_id, a.status) for a in state.run(run_id).activations]  # type: ignore[union-attr]
    finally:
        state.close()
    assert len(plans) == 1
    assert ("w3", "interrupted") in statuses and statuses.count(("w3", "completed")) == 1
