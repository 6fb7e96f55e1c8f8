"""One process owns a project: while `axo serve` holds it, the CLI a user types talks to it
over the API and prints what it prints without one; `--remote` reaches a daemon elsewhere
with its token; a workbench that holds the project without serving is a clear refusal."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

from axo_tui.core.config import load_config
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.hosting import start_hosted, stop_hosted
from axo_tui.core.store.owner_lease import find_host
from tests.support.axo_daemon import axo, axo_serve, project, run_owners, serving
from tests.support.cli import APPROVAL_PROJECT, axo_command, clean_env

RUN_ID = re.compile(r"\brun [0-9a-f]{12}\b")


def without_ids(result: str) -> dict[str, object]:
    body = json.loads(result)
    assert isinstance(body, dict)
    body["run_id"] = "-"
    return body


def test_run_and_workflow_run_go_through_the_daemon_and_print_as_locally(
    tmp_path: Path,
) -> None:
    here = project(tmp_path / "local")  # twins: the same first runs on each
    served = project(tmp_path / "served")
    local = [
        axo(here, "workflow", "run", "research", "-i", "photosynthesis", "--json"),
        axo(here, "workflow", "run", "research", "-i", "leaves", "--stream"),
        axo(here, "run", "writer", "-i", "a title"),
    ]
    with serving(served):
        host = find_host(served / ".axo")
        assert host is not None and host.holder == "axo serve" and host.url
        remote = [
            axo(served, "workflow", "run", "research", "-i", "photosynthesis", "--json"),
            axo(served, "workflow", "run", "research", "-i", "leaves", "--stream"),
            axo(served, "run", "writer", "-i", "a title"),
        ]
        # Only the daemon ran them: every run is its, and no other process took a lease.
        assert run_owners(served) == {host.owner}
        assert [p.name for p in (served / ".axo" / "owners").glob("*.lock")] == [
            f"{host.owner}.lock"
        ]
    assert [r.returncode for r in local] == [r.returncode for r in remote] == [0, 0, 0]
    assert without_ids(remote[0].stdout) == without_ids(local[0].stdout)
    assert remote[0].stdout.count("\n") == local[0].stdout.count("\n")  # the same layout
    # The streamed text, token for token; researcher and critic run in parallel, so their
    # blocks may come in either order on either side.
    assert sorted(remote[1].stdout.splitlines()) == sorted(local[1].stdout.splitlines())
    assert "[researcher] Found 42." in remote[1].stdout and "▸ calculator" in remote[1].stdout
    assert RUN_ID.sub("run -", remote[1].stderr) == RUN_ID.sub("run -", local[1].stderr)
    assert remote[2].stdout == local[2].stdout == "Final answer.\n"
    # The daemon's end removed its announcement: the next command runs here again.
    assert find_host(served / ".axo") is None
    again = axo(served, "run", "writer", "-i", "offline")
    assert again.returncode == 0 and len(run_owners(served)) == 2


def test_errors_come_back_as_the_cli_error_line_and_exit_code(tmp_path: Path) -> None:
    served = project(tmp_path / "p")
    with serving(served):
        unknown = axo(served, "workflow", "run", "nope", "-i", "x")
        assert unknown.returncode == 1
        assert unknown.stderr.startswith("error: no workflow 'nope'"), unknown.stderr
        assert "Traceback" not in unknown.stderr


def test_events_and_approvals_read_through_the_daemon_the_same_as_locally(
    tmp_path: Path,
) -> None:
    served = project(tmp_path / "p")
    with serving(served) as url:
        assert axo(served, "workflow", "run", "research", "-i", "x").returncode == 0
        events = axo(served, "events", "-n", "12", "--json")
        text = axo(served, "events", "-n", "12", "--agents", "writer,critic")
        approvals = axo(served, "approvals", "list", "--all", "--json")
        host = find_host(served / ".axo")
        assert host is not None and host.url == url
    local_events = axo(served, "events", "-n", "12", "--json")
    local_text = axo(served, "events", "-n", "12", "--agents", "writer,critic")
    local_approvals = axo(served, "approvals", "list", "--all", "--json")
    assert events.returncode == text.returncode == approvals.returncode == 0
    assert len(events.stdout.splitlines()) == 12
    assert events.stdout == local_events.stdout
    assert text.stdout == local_text.stdout and "writer" in text.stdout
    assert approvals.stdout == local_approvals.stdout == "[]\n"


def test_a_waiting_tool_call_is_announced_and_approved_through_the_daemon(
    tmp_path: Path,
) -> None:
    served = project(tmp_path / "p", APPROVAL_PROJECT)
    with serving(served):
        run = subprocess.Popen(
            [*axo_command(), "run", "ops", "-i", "check the disk on this box"],
            cwd=served,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            pending = wait_for_pending(served, run)
            assert not (served / "disk.txt").exists()
            approved = axo(served, "approvals", "approve", str(pending["id"])[:8])
            assert approved.returncode == 0, approved.stderr
            assert approved.stdout.startswith(f"approved: shell for agent ops ({pending['id']})")
            out, err = run.communicate(timeout=60)
        finally:
            if run.poll() is None:
                run.kill()
        assert run.returncode == 0, err
        assert out == "done\n"
        assert f"axo approvals approve {pending['id']}" in err  # the wait was announced
        assert (served / "disk.txt").exists()  # the tool ran, in the daemon
        host = find_host(served / ".axo")
        assert host is not None and run_owners(served) == {host.owner}


def wait_for_pending(directory: Path, run: subprocess.Popen[str]) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = axo(directory, "approvals", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        if json.loads(listed.stdout):
            (pending,) = json.loads(listed.stdout)
            assert isinstance(pending, dict)
            return pending
        assert run.poll() is None, run.communicate()
        time.sleep(0.1)
    raise AssertionError("no approval appeared")


def test_remote_reaches_a_token_protected_daemon_from_anywhere(tmp_path: Path) -> None:
    served = project(tmp_path / "p")
    elsewhere = tmp_path / "elsewhere"  # no project here: --remote needs none
    elsewhere.mkdir()
    with serving(served, AXO_API_TOKEN="s3cret") as url:
        ran = axo(elsewhere, "--remote", url, "run", "writer", "-i", "hi", AXO_API_TOKEN="s3cret")
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout == "Final answer.\n"
        by_env = axo(
            elsewhere, "events", "-n", "1", "--json", AXO_REMOTE=url, AXO_API_TOKEN="s3cret"
        )
        assert json.loads(by_env.stdout)["kind"] == "run.completed"
        wrong = axo(elsewhere, "--remote", url, "run", "writer", "-i", "hi", AXO_API_TOKEN="no")
        assert wrong.returncode == 1
        assert f"the axo daemon at {url} refused the request: the token is wrong" in wrong.stderr
        assert "AXO_API_TOKEN is not one of the daemon's tokens" in wrong.stderr
        missing = axo(elsewhere, "--remote", url, "approvals", "list")
        assert missing.returncode == 1 and "set AXO_API_TOKEN" in missing.stderr
    gone = axo(elsewhere, "--remote", url, "run", "writer", "-i", "hi")
    assert gone.returncode == 1
    assert gone.stderr.startswith(f"error: cannot reach the axo daemon at {url}"), gone.stderr
    assert "Traceback" not in gone.stderr


def test_a_killed_daemons_announcement_is_stale_at_once(tmp_path: Path) -> None:
    served = project(tmp_path / "p")
    with axo_serve(served / "axo.yaml") as (process, _url):
        assert find_host(served / ".axo") is not None
        process.kill()
        process.wait(30)
    ran = axo(served, "run", "writer", "-i", "after the crash")
    assert ran.returncode == 0, ran.stderr
    assert not list((served / ".axo" / "owners").glob("*.host.json"))


async def test_a_workbench_that_does_not_serve_is_not_joined_by_a_second_runtime(
    tmp_path: Path,
) -> None:
    held = project(tmp_path / "p")
    runtime = build_runtime(load_config(held / "axo.yaml"), background=True)
    start_hosted(runtime)  # as `axo dev` without --serve does
    try:
        refused = axo(held, "workflow", "run", "research", "-i", "x")
        read = axo(held, "approvals", "list", "--json")  # the journal, as beside any process
    finally:
        await stop_hosted(runtime)
    assert refused.returncode == 1
    assert "axo dev (pid " in refused.stderr and "holds this project" in refused.stderr
    assert "axo dev --serve" in refused.stderr and "server:" in refused.stderr
    assert run_owners(held) == set()  # nothing ran beside it
    assert read.returncode == 0 and read.stdout == "[]\n"


def test_chat_in_line_mode_goes_through_the_daemon_and_reads_as_locally(
    tmp_path: Path,
) -> None:
    here = project(tmp_path / "local")
    served = project(tmp_path / "served")
    lines = "what is 6*7?\n/quit\n"

    def chat(directory: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*axo_command(), "chat", "-a", "researcher", "-s", "maths"],
            cwd=directory,
            env=clean_env(),
            input=lines,
            capture_output=True,
            text=True,
            timeout=120,
        )

    local = chat(here)
    with serving(served):
        remote = chat(served)
        host = find_host(served / ".axo")
        assert host is not None and run_owners(served) == {host.owner}
    assert remote.returncode == local.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout == "Found 42.\nbye\n"
    assert remote.stderr == local.stderr
    assert '▸ tool calculator {"expression": "6*7"}' in remote.stderr
