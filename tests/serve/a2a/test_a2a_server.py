"""axo's A2A server, called by the a2a-sdk's own client over 127.0.0.1: cards from the YAML,
SendMessage and SendStreamingMessage, GetTask (after a restart too), CancelTask, the 0.3
compat switch, bearer auth, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from a2a.client import ClientConfig, create_client
from a2a.types import a2a_pb2 as pb
from a2a.utils.errors import A2AError

from axo_tui.core.config.schema import A2ASettings, SkillConfig, WorkflowConfig
from tests.serve.a2a.served_a2a import serve_a2a
from tests.support.builders import agent, make_config

EXPOSED = A2ASettings(expose=True)


def project(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_config(
        tmp_path,
        [
            agent("helper", description="answers questions", tools=("read_file",), a2a=EXPOSED),
            agent("asker", a2a=A2ASettings(expose=True, multi_turn=True)),
            agent("writer", "helper"),
            agent("hidden"),
        ],
        workflows=[
            WorkflowConfig(id="flow", agents=("helper", "writer"), a2a=EXPOSED),
        ],
        skills=[SkillConfig(id="review", name="Review", description="reviews", agents=("helper",))],
    )


def message(text: str, **ids: str) -> pb.SendMessageRequest:
    return pb.SendMessageRequest(
        message=pb.Message(
            message_id=f"m-{text}", role=pb.Role.ROLE_USER, parts=[pb.Part(text=text)], **ids
        )
    )


async def last_task(client, request: pb.SendMessageRequest) -> tuple[pb.Task, list[str]]:  # type: ignore[no-untyped-def]
    chunks: list[str] = []
    task = None
    async for event in client.send_message(request):
        kind = event.WhichOneof("payload")
        if kind == "task":
            task = event.task
        elif kind == "artifact_update" and event.artifact_update.append:
            chunks.extend(p.text for p in event.artifact_update.artifact.parts)
        elif kind == "status_update":
            task_id = event.status_update.task_id
    assert task is not None or task_id
    got = await client.get_task(pb.GetTaskRequest(id=task.id if task else task_id))
    return got, chunks


async def test_the_card_comes_from_the_yaml(tmp_path: Path) -> None:
    async with (
        serve_a2a(project(tmp_path), tmp_path / "data") as served,
        httpx.AsyncClient() as http,
    ):
        card = (await http.get(served.url("helper") + "/.well-known/agent-card.json")).json()
        listing = (await http.get(served.base + "/a2a")).json()
        hidden = await http.get(served.url("hidden") + "/.well-known/agent-card.json")
    assert card["name"] == "helper" and card["description"] == "answers questions"
    assert card["capabilities"]["streaming"] is True
    assert {s["id"] for s in card["skills"]} == {"review", "tool:read_file"}
    bindings = {(i["protocolBinding"], i["protocolVersion"]) for i in card["supportedInterfaces"]}
    assert bindings == {
        ("JSONRPC", "1.0"),
        ("HTTP+JSON", "1.0"),
        ("JSONRPC", "0.3"),
        ("HTTP+JSON", "0.3"),
    }
    assert "securitySchemes" not in card  # no token: no auth to declare
    assert [a["id"] for a in listing["agents"]] == ["helper", "asker", "flow"]
    assert hidden.status_code == 404  # not exposed


async def test_the_sdk_client_streams_a_task_that_is_an_axo_run(tmp_path: Path) -> None:
    async with (
        serve_a2a(project(tmp_path), tmp_path / "data") as served,
        httpx.AsyncClient() as http,
    ):
        client = await create_client(served.url("helper"), ClientConfig(httpx_client=http))
        task, chunks = await last_task(client, message("what is axo"))
        run = served.runtime.state.find_run(task.id)
    assert pb.TaskState.Name(task.status.state) == "TASK_STATE_COMPLETED"
    assert len(chunks) > 1  # it streamed, token by token
    output = "".join(p.text for p in task.artifacts[0].parts)
    assert output == "[helper] what is axo" and "".join(chunks).endswith("what is axo")
    assert run is not None and run.output == output and run.target == "helper"
    assert task.metadata["usage"]["completion_tokens"] > 0


async def test_a_workflow_over_http_json_and_get_task_after_a_restart(tmp_path: Path) -> None:
    config = project(tmp_path)
    rest = ClientConfig(streaming=False, supported_protocol_bindings=["HTTP+JSON"])
    async with serve_a2a(config, tmp_path / "data") as served, httpx.AsyncClient() as http:
        rest.httpx_client = http
        client = await create_client(served.url("flow"), rest)
        task, _ = await last_task(client, message("go"))
    expected = "[writer] go\n\nContext from upstream agents:\n[helper]\n[helper] go"
    assert "".join(p.text for p in task.artifacts[0].parts) == expected
    # A new runtime and server over the same journal: what a restarted `axo serve` sees.
    async with serve_a2a(config, tmp_path / "data") as served, httpx.AsyncClient() as http:
        client = await create_client(served.url("flow"), ClientConfig(httpx_client=http))
        again = await client.get_task(pb.GetTaskRequest(id=task.id))
        helper = await create_client(served.url("helper"), ClientConfig(httpx_client=http))
        with pytest.raises(A2AError, match=r"(?i)not found"):  # another target's task
            await helper.get_task(pb.GetTaskRequest(id=task.id))
    assert again.status.state == pb.TaskState.TASK_STATE_COMPLETED
    assert again.artifacts[0].parts[0].text == expected


async def test_input_required_resumes_under_the_same_task_and_cancel_ends_it(
    tmp_path: Path,
) -> None:
    async with (
        serve_a2a(project(tmp_path), tmp_path / "data") as served,
        httpx.AsyncClient() as http,
    ):
        client = await create_client(served.url("asker"), ClientConfig(httpx_client=http))
        first, _ = await last_task(client, message("hi"))
        assert first.status.state == pb.TaskState.TASK_STATE_INPUT_REQUIRED
        second, _ = await last_task(
            client, message("more", task_id=first.id, context_id=first.context_id)
        )
        assert second.id == first.id
        assert second.status.state == pb.TaskState.TASK_STATE_INPUT_REQUIRED
        assert served.runtime.session_length(f"a2a:{first.id}") == 4  # two turns, one session
        cancelled = await client.cancel_task(pb.CancelTaskRequest(id=first.id))
        assert cancelled.status.state == pb.TaskState.TASK_STATE_CANCELED
        with pytest.raises(A2AError):  # a canceled task takes no more messages
            await last_task(client, message("again", task_id=first.id))


async def test_bad_input_gets_clear_errors(tmp_path: Path) -> None:
    async with (
        serve_a2a(project(tmp_path), tmp_path / "data") as served,
        httpx.AsyncClient() as http,
    ):
        client = await create_client(served.url("helper"), ClientConfig(httpx_client=http))
        with pytest.raises(A2AError) as unknown:
            await client.get_task(pb.GetTaskRequest(id="no-such-task"))
        data = pb.SendMessageRequest(
            message=pb.Message(
                message_id="d",
                role=pb.Role.ROLE_USER,
                parts=[pb.Part(url="https://example.com/a.png", media_type="image/png")],
            )
        )
        with pytest.raises(A2AError) as parts:
            async for _ in client.send_message(data):
                pass
    assert "not found" in str(unknown.value).lower()
    assert "text parts only" in str(parts.value) and "url" in str(parts.value)


async def test_a_0_3_client_is_answered_by_the_compat_switch(tmp_path: Path) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "message/send",
        "params": {
            "message": {
                "kind": "message",
                "messageId": "m1",
                "role": "user",
                "parts": [{"kind": "text", "text": "old client"}],
            }
        },
    }
    async with (
        serve_a2a(project(tmp_path), tmp_path / "data") as served,
        httpx.AsyncClient() as http,
    ):
        reply = (await http.post(served.url("helper"), json=body)).json()
    result = reply["result"]
    assert result["kind"] == "task" and result["status"]["state"] == "completed"
    assert result["artifacts"][0]["parts"][0]["text"] == "[helper] old client"


async def test_with_a_token_the_card_declares_bearer_and_calls_need_it(tmp_path: Path) -> None:
    async with serve_a2a(project(tmp_path), tmp_path / "data", tokens=("s3cret",)) as served:
        async with httpx.AsyncClient() as http:
            card = (await http.get(served.url("helper") + "/.well-known/agent-card.json")).json()
            refused = await http.post(served.url("helper"), json={"jsonrpc": "2.0", "id": 1})
        async with httpx.AsyncClient(headers={"Authorization": "Bearer s3cret"}) as http:
            client = await create_client(served.url("helper"), ClientConfig(httpx_client=http))
            task, _ = await last_task(client, message("with token"))
    assert card["securitySchemes"]["bearer"]["httpAuthSecurityScheme"]["scheme"] == "bearer"
    assert refused.status_code == 401
    assert task.status.state == pb.TaskState.TASK_STATE_COMPLETED


async def test_axo_a2a_card_shows_a_served_card(tmp_path: Path) -> None:
    import asyncio

    from tests.support.cli import axo_command, clean_env

    async with serve_a2a(project(tmp_path), tmp_path / "data") as served:
        shown = await asyncio.create_subprocess_exec(
            *axo_command(),
            "a2a",
            "card",
            served.url("helper"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=clean_env(),
        )
        out, err = await shown.communicate()
        missing = await asyncio.create_subprocess_exec(
            *axo_command(),
            "a2a",
            "card",
            served.url("hidden"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=clean_env(),
        )
        _, missing_err = await missing.communicate()
    assert shown.returncode == 0, err.decode()
    text = out.decode()
    assert "helper" in text and "streaming: yes" in text and "skill review" in text
    assert missing.returncode == 1
    assert served.url("hidden") in missing_err.decode() and "404" in missing_err.decode()
    assert "Traceback" not in missing_err.decode()
