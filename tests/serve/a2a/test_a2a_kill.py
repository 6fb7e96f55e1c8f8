"""A task waiting for input survives `kill -9` of `axo serve` between the two turns: the
next message, to a new process, resumes it under the same task id and the same session."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import httpx

from axo_tui.core.runtime.build import open_state
from tests.support.cli import axo_command, clean_env

URL = re.compile(r"listening on (http://\S+)")
PROJECT = """\
name: kill
agents:
  - id: asker
    provider: scripted
    memory: {recall: {passive_inject: false}}
    a2a: {expose: true, multi_turn: true}
"""


def send(url: str, text: str, task_id: str = "") -> dict:  # type: ignore[type-arg]
    message = {"messageId": f"m-{text}", "role": "ROLE_USER", "parts": [{"text": text}]}
    if task_id:
        message["taskId"] = task_id
    body = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": message}}
    reply = httpx.post(url, json=body, headers={"A2A-Version": "1.0"}, timeout=60).json()
    assert "result" in reply, reply
    return reply["result"]["task"]  # type: ignore[no-any-return]


def serve(project: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [*axo_command(), "--config", str(project), "serve", "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=clean_env(),
    )
    assert process.stderr is not None
    found = URL.search(process.stderr.readline())
    assert found, "axo serve did not start"
    return process, found.group(1)


def test_input_required_resumes_after_kill_9(tmp_path: Path) -> None:
    project = tmp_path / "axo.yaml"
    project.write_text(PROJECT, encoding="utf-8")
    first, url = serve(project)
    try:
        task = send(f"{url}/a2a/asker", "my name is Ada")
        assert task["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
        assert first.stderr is not None
        first.stderr.close()
    second, url = serve(project)
    try:
        resumed = send(f"{url}/a2a/asker", "and yours?", task["id"])
        fetched = httpx.post(
            f"{url}/a2a/asker",
            json={"jsonrpc": "2.0", "id": 2, "method": "GetTask", "params": {"id": task["id"]}},
            headers={"A2A-Version": "1.0"},
        ).json()["result"]
    finally:
        second.terminate()
        second.wait(30)
        assert second.stderr is not None
        second.stderr.close()
    assert resumed["id"] == task["id"]
    assert resumed["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
    assert resumed["artifacts"][0]["parts"][0]["text"] == "[asker] and yours?"
    assert fetched["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
    state = open_state(tmp_path / ".axo")
    try:
        history = [m.content for m in state.session_history(f"a2a:{task['id']}")]
    finally:
        state.close()
    # One session across both processes: the second turn saw the first.
    assert history == [
        "my name is Ada",
        "[asker] my name is Ada",
        "and yours?",
        "[asker] and yours?",
    ]
