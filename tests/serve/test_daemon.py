"""`axo serve` as a user runs it: a real process, a start-up line with the URL, hot reload,
a clear error for a busy port or an exposed address, and SIGTERM leaving the run in flight
interrupted and resumable (its finished steps kept)."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from axo_tui.core.runtime.build import open_state
from tests.support.axo_daemon import axo_serve
from tests.support.cli import axo_command, clean_env
from tests.support.crash_project import write_project
from tests.support.echo_openai import FakeOpenAI
from tests.support.served_project import write_scripted


def test_sigterm_leaves_the_run_in_flight_interrupted_and_resumable(tmp_path: Path) -> None:
    fake = FakeOpenAI().start()
    try:
        project = write_project(tmp_path / "p", fake.base_url("t"))
        fake.held.add(("t", "c"))  # the run stops at c: a, b and d have completed
        answers: list[httpx.Response] = []
        with axo_serve(project) as (process, url):
            caller = threading.Thread(
                target=lambda: answers.append(
                    httpx.post(
                        f"{url}/api/workflows/crash/execute", json={"input": "go"}, timeout=60
                    )
                )
            )
            caller.start()
            assert fake.server.wait_for(
                lambda got: any(r.json()["model"] == "c" for r in got), timeout=30
            )
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
            caller.join(30)
            log = process.stderr.read() if process.stderr else ""
        assert answers and answers[0].status_code == 503
        assert answers[0].json()["error"]["code"] == "shutting_down"
        assert "interrupted; `axo runs resume" in log and "stopped" in log
        state = open_state(tmp_path / "p" / ".axo")
        run = state.runs(limit=1)[0]
        detail = state.run(run.id)
        state.close()
        assert run.status == "interrupted"
        assert detail is not None
        statuses = {a.agent_id: a.status for a in detail.activations}
        assert statuses["a"] == "completed" and statuses["c"] == "interrupted"
        # Resumed later, it finishes without asking for a again.
        fake.held.clear()
        fake.server.wake()
        before = len([r for r in fake.server.requests if r.json()["model"] == "a"])
        resumed = subprocess.run(
            [*axo_command(), "--config", str(project), "runs", "resume", run.id, "--json"],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=60,
        )
        assert resumed.returncode == 0, resumed.stderr
        assert '"status": "completed"' in resumed.stdout
        assert len([r for r in fake.server.requests if r.json()["model"] == "a"]) == before
    finally:
        fake.stop()


def test_hot_reload_changes_what_the_api_serves(tmp_path: Path) -> None:
    project = write_scripted(tmp_path)
    with axo_serve(project) as (process, url):
        assert [a["id"] for a in httpx.get(f"{url}/api/agents").json()] == ["planner", "writer"]
        text = project.read_text().replace(
            "workflows:", "  - id: editor\n    provider: scripted\nworkflows:"
        )
        project.write_text(text, encoding="utf-8")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            agents = [a["id"] for a in httpx.get(f"{url}/api/agents").json()]
            if "editor" in agents:
                break
            time.sleep(0.1)
        assert agents == ["planner", "writer", "editor"]
        project.write_text(text.replace("depends_on: [planner]", "depends_on: [nobody]"))
        time.sleep(1.5)  # a broken save is refused: the served config stays
        assert [a["id"] for a in httpx.get(f"{url}/api/agents").json()][-1] == "editor"
        process.send_signal(signal.SIGINT)  # Ctrl+C stops it gracefully too
        assert process.wait(30) == 0
        log = process.stderr.read() if process.stderr else ""
    assert "config reloaded" in log and "config not reloaded" in log and "nobody" in log


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    project = write_scripted(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*axo_command(), "--config", str(project), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=60,
        )
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_exposed_address_without_a_token_does_not_start(tmp_path: Path) -> None:
    project = write_scripted(tmp_path)
    done = subprocess.run(
        [*axo_command(), "--config", str(project), "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        env={k: v for k, v in clean_env().items() if k != "AXO_API_TOKEN"},
        timeout=60,
    )
    assert done.returncode == 1
    assert "refusing to serve on 0.0.0.0 without a token" in done.stderr
    assert "AXO_API_TOKEN" in done.stderr


LOG_SCHEMA = {"ts", "level", "kind", "run_id", "agent_id", "trace_id", "span_id", "message"}


@pytest.mark.parametrize(
    ("args", "log_env"),
    [
        (["serve", "--port", "0", "--json"], None),
        (["--log-format", "json", "serve", "--port", "0"], None),
        (["serve", "--port", "0"], "json"),
    ],
)
def test_json_logs_are_one_object_per_line(
    tmp_path: Path, args: list[str], log_env: str | None
) -> None:
    import json

    project = write_scripted(tmp_path)
    env = clean_env()
    if log_env is not None:
        env["AXO_LOG_FORMAT"] = log_env
    process = subprocess.Popen(
        [*axo_command(), "--config", str(project), *args],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    with process:
        first = json.loads(process.stderr.readline())
        assert first["event"] == "listening" and first["url"].startswith("http://127.0.0.1:")
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        rest = [json.loads(line) for line in process.stderr.read().splitlines()]
    assert [r["event"] for r in rest] == ["stopping", "stopped"]
    # The one schema of axo's JSON logs (docs/observability.md), kind `serve.<event>`.
    assert all(set(line) >= LOG_SCHEMA for line in [first, *rest])
    assert first["kind"] == "serve.listening" and first["level"] == "info"
