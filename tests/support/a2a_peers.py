"""A2A peers built with the a2a-sdk inside the tests, on 127.0.0.1 (uvicorn, a free port):
an echo agent (streaming or not, reporting usage; `secured` wants a bearer token), and peers
that misbehave on purpose — a malformed card, a future protocol version, a stream cut
midway, a 503 before answering, a card that never arrives (`slow`)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers.default_request_handler_v2 import DefaultRequestHandlerV2
from a2a.server.request_handlers.response_helpers import agent_card_to_dict
from a2a.server.routes import create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import a2a_pb2 as pb
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support.builders import until

CARD = "/.well-known/agent-card.json"


class EchoExecutor(AgentExecutor):
    """Replies `echo: <text>` word by word; the second message of a task that asked for
    input (text `ask`) completes it. Reports usage in the task's metadata."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []
        """(text, task id, context id) of every message."""
        self.headers: list[dict[str, str]] = []

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        text = context.get_user_input()
        self.seen.append((text, context.task_id or "", context.context_id or ""))
        self.headers.append(dict(context.call_context.state.get("headers", {})))
        updater = TaskUpdater(event_queue, context.task_id or "", context.context_id or "")
        if context.current_task is None:
            await event_queue.enqueue_event(
                pb.Task(
                    id=context.task_id,
                    context_id=context.context_id,
                    status=pb.TaskStatus(state=pb.TaskState.TASK_STATE_SUBMITTED),
                )
            )
        if text == "fail":
            await updater.failed(updater.new_agent_message([pb.Part(text="it broke")]))
            return
        if text == "ask":
            question = updater.new_agent_message([pb.Part(text="which one?")])
            await updater.requires_input(question)
            return
        for index, word in enumerate(f"echo: {text}".split(" ")):
            await updater.add_artifact(
                [pb.Part(text=word if index == 0 else " " + word)],
                artifact_id="reply",
                append=index > 0,
            )
        await updater.update_status(
            pb.TaskState.TASK_STATE_COMPLETED,
            metadata={"usage": {"input_tokens": 7, "output_tokens": 3}},
        )

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        return None


def card(base: str, *, streaming: bool, version: str = "1.0", bearer: bool = False) -> pb.AgentCard:
    found = pb.AgentCard(
        name="echo",
        description="echoes",
        version="1",
        supported_interfaces=[
            pb.AgentInterface(url=base, protocol_binding="JSONRPC", protocol_version=version)
        ],
        capabilities=pb.AgentCapabilities(streaming=streaming),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[pb.AgentSkill(id="echo", name="echo", description="echoes", tags=["echo"])],
    )
    if bearer:  # as axo's own server declares it (serve/a2a/targets.py)
        found.security_schemes["bearer"].CopyFrom(
            pb.SecurityScheme(http_auth_security_scheme=pb.HTTPAuthSecurityScheme(scheme="bearer"))
        )
        found.security_requirements.add().schemes["bearer"].SetInParent()
    return found


class Peers:
    def __init__(self, port: int) -> None:
        self.port = port
        self.executor = EchoExecutor()
        self.failures_left = 0
        self.release = asyncio.Event()
        """Set when the peers stop: the `slow` card's requests end then."""

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@asynccontextmanager
async def sdk_peers(*, failures: int = 0, port: int = 0) -> AsyncIterator[Peers]:
    """The peers on `port` (0: a free one)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    peers = Peers(sock.getsockname()[1])
    peers.failures_left = failures
    routes: list[Route] = []
    for name, streaming in (("echo", True), ("plain", False), ("flaky", True), ("secured", True)):
        agent_card = card(peers.url(name), streaming=streaming, bearer=name == "secured")
        handler = DefaultRequestHandlerV2(peers.executor, InMemoryTaskStore(), agent_card)
        rpc = create_jsonrpc_routes(handler, f"/{name}")[0]
        routes.append(Route(f"/{name}{CARD}", _serve_card(agent_card)))
        routes.append(
            Route(
                f"/{name}",
                _flaky(peers, rpc.endpoint) if name == "flaky" else rpc.endpoint,
                methods=["POST"],
            )
        )
    routes += [
        Route(f"/broken{CARD}", lambda _: JSONResponse({"name": 5, "skills": "none"})),
        Route(
            f"/future{CARD}", _serve_card(card(peers.url("future"), streaming=True, version="2.0"))
        ),
        Route(f"/cut{CARD}", _serve_card(card(peers.url("cut"), streaming=True))),
        Route("/cut", _cut_stream, methods=["POST"]),
        Route(f"/slow{CARD}", _never(peers)),
    ]
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=routes), log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await until(lambda: server.started or serving.done(), timeout=20)
    try:
        yield peers
    finally:
        peers.release.set()
        server.should_exit = True
        await serving


def _serve_card(agent_card: pb.AgentCard):  # type: ignore[no-untyped-def]
    async def endpoint(_: Request) -> Response:
        return JSONResponse(agent_card_to_dict(agent_card))

    return endpoint


def _never(peers: Peers):  # type: ignore[no-untyped-def]
    async def endpoint(_: Request) -> Response:
        await peers.release.wait()
        return JSONResponse({}, status_code=503)

    return endpoint


def _flaky(peers: Peers, endpoint):  # type: ignore[no-untyped-def]
    async def flaky(request: Request) -> Response:
        if peers.failures_left > 0:
            peers.failures_left -= 1
            return JSONResponse({"error": "busy"}, status_code=503)
        return await endpoint(request)  # type: ignore[no-any-return]

    return flaky


async def _cut_stream(request: Request) -> Response:
    """Two events of a stream, then the connection ends without a terminal state."""
    body = await request.json()

    async def events() -> AsyncIterator[bytes]:
        for result in (
            {"task": {"id": "t1", "contextId": "c1", "status": {"state": "TASK_STATE_WORKING"}}},
            {
                "artifactUpdate": {
                    "taskId": "t1",
                    "contextId": "c1",
                    "artifact": {"artifactId": "a", "parts": [{"text": "half a"}]},
                }
            },
        ):
            payload = {"jsonrpc": "2.0", "id": body["id"], "result": result}
            yield f"data: {json.dumps(payload)}\n\n".encode()

    return StreamingResponse(events(), media_type="text/event-stream")
