"""Every REST route over a real socket: the bodies are the CLI's `--json` shapes, and every
bad request is a 4xx `{"error": {"code", "message"}}` naming what is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.served_project import served, write_scripted


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    project = write_scripted(tmp_path_factory.mktemp("served"))
    with served(project) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def error_of(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert "Traceback" not in response.text
    error: dict[str, str] = body["error"]
    return error


def test_health_and_what_the_config_declares(api: httpx.Client) -> None:
    assert api.get("/health").json()["status"] == "ok"
    agents = api.get("/api/agents").json()
    assert [a["id"] for a in agents] == ["planner", "writer"]
    assert agents[1]["depends_on"] == ["planner"]
    assert api.get("/api/workflows").json()[0] == {
        "id": "draft",
        "name": "",
        "description": "",
        "agents": ["planner", "writer"],
        "entry_point": "planner",
    }
    assert [s["id"] for s in api.get("/api/skills").json()] == ["review"]
    assert api.get("/api/mcp/servers").json() == [] and api.get("/api/mcp/tools").json() == []


def test_a_workflow_run_through_the_api_is_in_the_journal(api: httpx.Client) -> None:
    result = api.post("/api/workflows/draft/execute", json={"input": "tea"}).json()
    assert result["status"] == "completed" and result["activations"] == 2
    assert set(result["outputs"]) == {"planner", "writer"}
    run_id = result["run_id"]
    assert api.get("/api/runs", params={"limit": 50}).json()[0]["id"] == run_id
    detail = api.get(f"/api/runs/{run_id[:10]}").json()  # a prefix is enough
    assert detail["id"] == run_id and detail["status"] == "completed"
    assert [a["agent_id"] for a in detail["activations"]] == ["planner", "writer"]
    kinds = [e["kind"] for e in api.get(f"/api/runs/{run_id}/events").json()]
    assert kinds[0] == "run.started" and kinds[-1] == "run.completed"
    newest = api.get("/api/events", params={"limit": 1, "newest": "true"}).json()
    assert newest[0]["kind"] == "run.completed" and newest[0]["run_id"] == run_id
    only_writer = api.get("/api/events", params={"run": run_id, "agent": "writer"}).json()
    assert only_writer and {e["agent_id"] for e in only_writer} == {"writer"}
    report = api.get("/api/tokens/report", params={"run": run_id}).json()
    assert {row["key"] for row in report["rows"]} == {"planner", "writer"}
    assert report["total"]["total_tokens"] == result["usage"]["total_tokens"]


def test_agents_execute_restart_and_status(api: httpx.Client) -> None:
    result = api.post("/api/agents/planner/execute", json={"input": "hi"}).json()
    assert result["kind"] == "agent" and result["status"] == "completed"
    status = api.get("/api/agents/planner/status").json()
    assert status["id"] == "planner" and status["activations"] >= 1
    assert api.post("/api/agents/planner/restart").json()["state"] == "idle"


def test_a_chat_turn_streams_its_reply_then_the_result(api: httpx.Client) -> None:
    with api.stream(
        "POST", "/api/chat/planner/sessions/kitchen/turns", json={"input": "hello there"}
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = [block.split("\n") for block in text.strip().split("\n\n")]
    names = [lines[0].removeprefix("event: ") for lines in events]
    assert names[-1] == "result" and names.count("token") >= 1
    streamed = "".join(
        httpx.Response(200, content=lines[1].removeprefix("data: ")).json()["text"]
        for lines in events
        if lines[0] == "event: token"
    )
    result = httpx.Response(200, content=events[-1][1].removeprefix("data: ")).json()
    assert result["kind"] == "chat" and result["output"] == streamed
    sessions = api.get("/api/chat/planner/sessions").json()
    assert "chat:planner:kitchen" in [s["id"] for s in sessions]
    # The same session through Axocoatl's execute route continues it.
    again = api.post("/api/agents/planner/execute", json={"input": "more", "session": "kitchen"})
    assert again.json()["kind"] == "chat"
    assert api.delete("/api/chat/planner/sessions/kitchen").status_code == 204


def test_memory_show_edit_and_forget(api: httpx.Client) -> None:
    edit = api.put("/api/memory/writer/blocks/persona", json={"value": "Terse."}).json()
    assert edit == {
        "agent": "writer",
        "block": "persona",
        "chars": 6,
        "limit": 2000,
        "changed": True,
    }
    shown = api.get("/api/memory/writer").json()
    assert {b["label"]: b["value"] for b in shown["core"]}["persona"] == "Terse."
    forgot = api.post("/api/memory/writer/forget", json={"core": True}).json()
    assert forgot["agent"] == "writer" and forgot["core_reset"] is True
    shown = api.get("/api/memory/writer").json()
    assert {b["label"]: b["value"] for b in shown["core"]}["persona"] == ""
    too_long = api.put("/api/memory/writer/blocks/persona", json={"value": "x" * 2001})
    assert "2000" in error_of(too_long, 422)["message"]


def test_skills_fire_and_signals_emit(api: httpx.Client) -> None:
    fired = api.post("/api/skills/review/fire", json={"input": "the draft"}).json()
    assert fired["kind"] == "skill" and fired["status"] == "completed"
    emitted = api.post("/api/signals", json={"name": "nobody.listens"}).json()
    assert emitted["kind"] == "signal"


def test_unknown_ids_are_404_naming_them(api: httpx.Client) -> None:
    assert "nobody" in error_of(api.get("/api/agents/nobody/status"), 404)["message"]
    for route in ("/api/agents/nobody/execute", "/api/agents/nobody/restart"):
        assert "no agent 'nobody'" in error_of(api.post(route, json={"input": "x"}), 404)["message"]
    missing = api.post("/api/workflows/nope/execute", json={"input": "x"})
    assert "nope" in error_of(missing, 404)["message"]
    assert error_of(api.get("/api/runs/zzzz"), 404)["code"] == "not_found"
    assert error_of(api.post("/api/skills/nope/fire", json={}), 404)["code"] == "not_found"
    assert error_of(api.get("/api/memory/nobody"), 404)["code"] == "not_found"
    block = api.put("/api/memory/writer/blocks/nope", json={"value": "x"})
    assert "nope" in error_of(block, 404)["message"]
    assert error_of(api.get("/no/such/route"), 404)["code"] == "not_found"


def test_bad_bodies_are_4xx_naming_the_field(api: httpx.Client) -> None:
    wrong_type = api.post("/api/agents/planner/execute", json={"input": 3})
    assert error_of(wrong_type, 422)["message"].startswith("input:")
    missing = api.post("/api/agents/planner/execute", json={})
    assert "input" in error_of(missing, 422)["message"]
    extra = api.post("/api/agents/planner/execute", json={"input": "x", "temperature": 2})
    assert "temperature" in error_of(extra, 422)["message"]
    not_json = api.post(
        "/api/agents/planner/execute",
        content=b"{nope",
        headers={"content-type": "application/json"},
    )
    assert "JSON" in error_of(not_json, 400)["message"]
    limit = api.get("/api/runs", params={"limit": "lots"})
    assert "limit" in error_of(limit, 422)["message"]
    bad_day = api.post("/api/memory/writer/forget", json={"before": "yesterday"})
    assert "before" in error_of(bad_day, 422)["message"]


def test_a_body_over_the_limit_is_413_before_it_is_read(api: httpx.Client) -> None:
    huge = b'{"input": "' + b"x" * (2 * 1024 * 1024 + 10) + b'"}'
    response = api.post(
        "/api/agents/planner/execute", content=huge, headers={"content-type": "application/json"}
    )
    assert error_of(response, 413)["code"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"input": "'
        for _ in range(600):
            yield b"x" * 4096
        yield b'"}'

    chunked = api.post(
        "/api/agents/planner/execute",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert error_of(chunked, 413)["code"] == "too_large"


def test_a_wrong_method_is_405_with_allow(api: httpx.Client) -> None:
    response = api.delete("/api/agents")
    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert response.headers["allow"] == "GET"


def test_runs_that_cannot_be_cancelled_or_resumed_are_409(api: httpx.Client) -> None:
    done = api.post("/api/agents/writer/execute", json={"input": "x"}).json()["run_id"]
    assert error_of(api.post(f"/api/runs/{done}/cancel"), 409)["code"] == "conflict"
    assert error_of(api.post(f"/api/runs/{done}/resume"), 409)["code"] == "conflict"


def test_openapi_declares_every_route(api: httpx.Client, tmp_path: Path) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for path, method in [
        ("/health", "get"),
        ("/api/agents/{agent_id}/execute", "post"),
        ("/api/workflows/{workflow_id}/execute", "post"),
        ("/api/tokens/report", "get"),
        ("/api/mcp/tools", "get"),
        ("/api/runs/{run_id}/resume", "post"),
        ("/api/chat/{agent_id}/sessions/{name}/turns", "post"),
        ("/api/memory/{agent_id}/forget", "post"),
        ("/api/signals", "post"),
    ]:
        responses = paths[path][method]["responses"]
        assert {"200", "401", "413", "500"} <= set(responses), path
    assert "422" in paths["/api/agents/{agent_id}/execute"]["post"]["responses"]
