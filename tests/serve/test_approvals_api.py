"""Tool approvals over a real socket: a run waits until `POST /api/approvals/{id}` answers;
only issued ids are accepted, bodies are strict, a decision is bound to the arguments."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.served_project import served, write_scripted

PROJECT = """\
name: approvals
agents:
  - id: ops
    provider: scripted
    tools: [shell]
    memory: {recall: {passive_inject: false}}
providers:
  scripted:
    kind: scripted
    replies:
      ops:
        - tool_calls: [{name: shell, arguments: {command: "echo ran >> out.txt"}}]
        - done
"""
ARGUMENTS = {"command": "echo ran >> out.txt"}
HASH = hashlib.sha256(json.dumps(ARGUMENTS, separators=(",", ":")).encode()).hexdigest()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_scripted(tmp_path, PROJECT)


@pytest.fixture
def api(project: Path) -> Iterator[httpx.Client]:
    with served(project) as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client


def execute_in_background(api: httpx.Client) -> tuple[threading.Thread, list[httpx.Response]]:
    answers: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: answers.append(
            api.post("/api/agents/ops/execute", json={"input": "check the disk"})
        )
    )
    thread.start()
    return thread, answers


def wait_pending(api: httpx.Client) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pending = api.get("/api/approvals").json()
        if pending:
            (approval,) = pending
            assert isinstance(approval, dict)
            return approval
        time.sleep(0.05)
    raise AssertionError("no approval appeared")


def error_code(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"} and "Traceback" not in response.text
    code: str = response.json()["error"]["code"]
    return code


def test_a_run_waits_for_an_answer_through_the_api(api: httpx.Client, project: Path) -> None:
    thread, answers = execute_in_background(api)
    approval = wait_pending(api)
    assert approval["tool"] == "shell" and approval["arguments"] == ARGUMENTS
    assert approval["args_hash"] == HASH and approval["status"] == "pending"
    assert not (project.parent / "out.txt").exists() and thread.is_alive()

    url = f"/api/approvals/{approval['id']}"
    assert error_code(api.post("/api/approvals/0123456789", json={"decision": "approve"}), 404) == (
        "not_found"
    )
    prefix = f"/api/approvals/{approval['id'][:10]}"  # only issued ids, never a prefix
    assert error_code(api.post(prefix, json={"decision": "approve"}), 404) == "not_found"
    assert error_code(api.post(url, json={"decision": "yes"}), 422) == "invalid_request"
    assert error_code(api.post(url, json={"decision": "approve", "extra": 1}), 422)
    assert (
        error_code(
            api.post(url, content=b"{not json", headers={"content-type": "application/json"}), 400
        )
        == "bad_request"
    )
    other = {"decision": "approve", "args_hash": "0" * 64}
    assert error_code(api.post(url, json=other), 409) == "conflict"

    decided = api.post(url, json={"decision": "approve", "args_hash": HASH})
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved" and decided.json()["decided_by"] == "user"
    thread.join(60)
    (result,) = answers
    assert result.json()["status"] == "completed" and result.json()["output"] == "done"
    assert (project.parent / "out.txt").read_text() == "ran\n"
    assert error_code(api.post(url, json={"decision": "deny"}), 409) == "conflict"
    assert api.get("/api/approvals").json() == []
    (past,) = api.get("/api/approvals", params={"all": "true"}).json()
    assert past["executed"] is True


def test_always_becomes_a_rule_that_can_be_revoked(api: httpx.Client, project: Path) -> None:
    thread, _ = execute_in_background(api)
    approval = wait_pending(api)
    body = {"decision": "approve", "remember": "always"}
    assert api.post(f"/api/approvals/{approval['id']}", json=body).status_code == 200
    thread.join(60)
    (rule,) = api.get("/api/approval-rules").json()
    assert (rule["agent_id"], rule["tool"], rule["decision"]) == ("ops", "shell", "approve")
    ran = api.post("/api/agents/ops/execute", json={"input": "again"}).json()  # no one asked
    assert ran["status"] == "completed"
    assert (project.parent / "out.txt").read_text() == "ran\nran\n"
    assert api.delete("/api/approval-rules/ops/shell").json()["tool"] == "shell"
    assert error_code(api.delete("/api/approval-rules/ops/shell"), 404) == "not_found"
    assert api.get("/api/approval-rules").json() == []


def test_the_routes_are_in_the_openapi_document(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    decide = paths["/api/approvals/{approval_id}"]["post"]
    assert {"200", "404", "409", "422"} <= set(decide["responses"])
    assert set(paths["/api/approval-rules/{agent_id}/{tool}"]) == {"delete"}
