"""Approvals across kill -9: a pending approval survives the crash and a restart (it is
re-presented, not re-created), and the approved tool runs once, whichever side of the
crash the answer comes. A call killed while it ran is never run a second time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.runtime.build import open_state
from axo_tui.core.store.approvals import ApprovalRecord

ROOT = Path(__file__).resolve().parents[3]
DRIVER = Path(__file__).with_name("approval_driver.py")


def write_project(directory: Path, command: str) -> Path:
    path = directory / "axo.yaml"
    path.write_text(
        "approvals: {timeout_secs: 600}\n"
        "agents:\n"
        "  - id: ops\n"
        "    provider: scripted\n"
        "    tools: [shell]\n"
        "providers:\n"
        "  scripted:\n"
        "    kind: scripted\n"
        "    replies:\n"
        "      ops:\n"
        f"        - tool_calls: [{{name: shell, arguments: {{command: {json.dumps(command)}}}}}]\n"
        "        - done\n"
    )
    return path


def start(mode: str, config: Path, data: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(DRIVER), mode, str(config), str(data)],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(what: Callable[[], Any], process: subprocess.Popen[str], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        if process.poll() is not None:
            raise AssertionError(f"the driver exited early: {process.communicate()}")
        time.sleep(0.05)
    raise AssertionError("timed out")


def approvals(data: Path) -> list[ApprovalRecord]:
    state = open_state(data)
    try:
        return state.recent_approvals()
    finally:
        state.close()


def presented(data: Path, approval_id: str) -> int:
    state = open_state(data)
    try:
        events = state.events(limit=1000)
    finally:
        state.close()
    return sum(
        1
        for e in events
        if e.kind == "approval.requested" and e.fields["approval_id"] == approval_id
    )


def approve(data: Path, approval_id: str) -> None:
    state = open_state(data)  # another process, as `axo approvals approve` is
    try:
        state.decide_approval(approval_id, "approve")
    finally:
        state.close()


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)  # reaps it and closes its pipes


def finish(process: subprocess.Popen[str]) -> list[dict[str, Any]]:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    results: list[dict[str, Any]] = json.loads(out)
    return results


@pytest.mark.parametrize("approved_while_down", [False, True])
def test_a_pending_approval_survives_kill_9_and_the_tool_runs_once(
    tmp_path: Path, approved_while_down: bool
) -> None:
    config, data = write_project(tmp_path, "echo ran >> out.txt"), tmp_path / "state"
    out = tmp_path / "out.txt"
    first = start("run", config, data)
    try:
        (pending,) = wait_for(lambda: approvals(data), first)
        assert pending.status == "pending" and not out.exists()
    finally:
        kill(first)
    if approved_while_down:
        approve(data, pending.id)
    second = start("resume", config, data)
    try:
        if not approved_while_down:
            # Re-presented (announced again) under the same id, not re-created.
            wait_for(lambda: presented(data, pending.id) == 2, second)
            assert [a.id for a in approvals(data)] == [pending.id] and not out.exists()
            approve(data, pending.id)
        (result,) = finish(second)
    finally:
        if second.poll() is None:
            kill(second)
    assert result["status"] == "completed" and result["output"] == "done"
    assert out.read_text() == "ran\n"
    (record,) = approvals(data)
    assert record.id == pending.id and record.status == "approved" and record.ok


def test_a_call_killed_while_it_ran_is_not_run_again(tmp_path: Path) -> None:
    command = "echo $$ > shell.pid; echo ran >> out.txt; exec sleep 60"
    config, data = write_project(tmp_path, command), tmp_path / "state"
    out, pid_file = tmp_path / "out.txt", tmp_path / "shell.pid"
    first = start("run", config, data)
    try:
        (pending,) = wait_for(lambda: approvals(data), first)
        approve(data, pending.id)
        wait_for(lambda: out.exists() and pid_file.exists() and pid_file.read_text(), first)
        assert approvals(data)[0].started_at is not None
    finally:
        kill(first)
        if pid_file.exists() and pid_file.read_text().strip():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)  # the orphaned command
    (result,) = finish(start("resume", config, data))
    assert result["status"] == "completed"
    assert out.read_text() == "ran\n"  # once: the rerun did not start it again
    state = open_state(data)
    try:
        results = [e.fields["result"] for e in state.events(limit=1000) if e.kind == "tool.result"]
    finally:
        state.close()
    assert len(results) == 1 and "is not run a second time" in results[0]
