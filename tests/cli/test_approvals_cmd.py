"""`axo approvals`: answer a waiting `axo run` from a second terminal; rules; clear errors."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tests.support.cli import APPROVAL_PROJECT, Invoke, axo_command, clean_env


def wait_for_pending(invoke: Invoke, process: subprocess.Popen[str]) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = invoke("approvals", "list", "--json")
        if listed.exit_code == 0 and json.loads(listed.stdout):
            (pending,) = json.loads(listed.stdout)
            assert isinstance(pending, dict)
            return pending
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    raise AssertionError("no approval appeared")


def test_a_waiting_run_is_approved_from_another_terminal(in_tmp: Path, invoke: Invoke) -> None:
    (in_tmp / "axo.yaml").write_text(APPROVAL_PROJECT)
    run = subprocess.Popen(
        [*axo_command(), "run", "ops", "-i", "check the disk on this box"],
        cwd=in_tmp,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pending = wait_for_pending(invoke, run)
        assert pending["tool"] == "shell" and pending["status"] == "pending"
        assert not (in_tmp / "disk.txt").exists()
        shown = invoke("approvals", "list")
        assert str(pending["id"]) in shown.stdout and "\x1b" not in shown.stdout
        assert "\\u001b]0;x" in shown.stdout  # the arguments' escape, spelled out
        approved = invoke("approvals", "approve", str(pending["id"])[:8], "--always")
        assert approved.exit_code == 0, approved.stderr
        assert approved.stdout.startswith(f"approved: shell for agent ops ({pending['id']})")
        assert "axo approvals revoke ops shell" in approved.stderr
        out, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 0, err
    assert "approval needed: agent ops wants to run shell" in err
    assert f"axo approvals approve {pending['id']}" in err
    assert "Filesystem" in (in_tmp / "disk.txt").read_text()
    assert out.strip() == "done"
    rules = json.loads(invoke("approvals", "rules", "--json").stdout)
    assert [(r["agent_id"], r["tool"], r["decision"]) for r in rules] == [
        ("ops", "shell", "approve")
    ]
    revoked = invoke("approvals", "revoke", "ops", "shell")
    assert revoked.exit_code == 0 and "asks again" in revoked.stdout
    assert json.loads(invoke("approvals", "rules", "--json").stdout) == []
    (past,) = json.loads(invoke("approvals", "list", "--all", "--json").stdout)
    assert past["status"] == "approved" and past["executed"] is True


def test_unknown_ids_and_rules_are_clear_errors(in_tmp: Path, invoke: Invoke) -> None:
    (in_tmp / "axo.yaml").write_text(APPROVAL_PROJECT)
    empty = invoke("approvals", "list")
    assert empty.exit_code == 0 and "no tool calls are waiting" in empty.stderr
    unknown = invoke("approvals", "deny", "0123456789")
    assert unknown.exit_code == 1
    assert "error: no approval '0123456789'" in unknown.stderr
    assert "Traceback" not in unknown.stderr + unknown.stdout
    no_rule = invoke("approvals", "revoke", "ops", "shell")
    assert no_rule.exit_code == 1 and "no remembered decision for agent 'ops'" in no_rule.stderr
