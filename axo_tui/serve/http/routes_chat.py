"""Chat sessions: list, a turn streamed as Server-Sent Events, clear (axo chat)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import StreamingResponse

from axo_tui.core.base import jsonfast
from axo_tui.core.events.catalog import Event, RunStarted, TokenStreamed
from axo_tui.core.runtime.runs import RunResult, chat_session_id
from axo_tui.core.runtime.runtime import RunError
from axo_tui.serve.http import models
from axo_tui.serve.http.deps import SHUTTING_DOWN, FastJSON, agent_of, bodies, host_of, runtime_of
from axo_tui.serve.http.errors import ApiError, responses

router = APIRouter(tags=["chat"])

SessionName = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")]
TURN_STREAM = {
    "description": (
        'Server-Sent Events: `token` events (`{"text"}`) as the reply streams, then one '
        "`result` event (the run result, as POST /api/agents/{id}/execute returns) or one "
        '`error` event (`{"error": {"code", "message"}}`)'
    ),
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


@router.get(
    "/api/chat/{agent_id}/sessions",
    response_model=list[models.Session],
    responses=responses(404),
    summary="An agent's sessions, newest first (axo memory sessions)",
)
async def list_sessions(request: Request, agent_id: str) -> FastJSON:
    runtime = runtime_of(request)
    agent_of(runtime, agent_id)
    return bodies(runtime.state.sessions(agent_id))


@router.post(
    "/api/chat/{agent_id}/sessions/{name}/turns",
    response_class=StreamingResponse,
    responses={200: TURN_STREAM, **responses(400, 404, 422, 503)},
    summary="Send a message in a chat session; the reply streams back (axo chat)",
)
async def chat_turn(
    request: Request, agent_id: str, name: SessionName, turn: models.TurnBody
) -> StreamingResponse:
    host = host_of(request)
    runtime = host.runtime
    agent_of(runtime, agent_id)
    if not host.accepting:
        raise ApiError(503, "shutting_down", SHUTTING_DOWN)
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    claimed: list[str] = []
    task: asyncio.Task[RunResult] | None = None

    def follow(event: Event) -> None:
        # Inline on the bus: the turn's RunStarted comes from its own task, first.
        if isinstance(event, RunStarted) and not claimed and asyncio.current_task() is task:
            claimed.append(event.run_id or "")
        elif isinstance(event, TokenStreamed) and claimed and event.run_id == claimed[0]:
            queue.put_nowait(("token", {"text": event.text}))

    stop = runtime.watch(follow)
    task = runtime.spawn(
        runtime.run_agent(
            agent_id,
            turn.input,
            session_id=chat_session_id(agent_id, name),
            run_kind="chat",
            trigger="chat",
        )
    )
    task.add_done_callback(lambda _task: queue.put_nowait(("done", None)))

    async def stream() -> AsyncIterator[bytes]:
        try:
            while True:
                kind, data = await queue.get()
                if kind != "done":
                    yield _sse(kind, data)
                    continue
                assert task is not None
                yield _ending(task, host.accepting)
                return
        finally:
            stop()  # the run goes on if the client left; its reply is in the session

    return StreamingResponse(stream(), media_type="text/event-stream")


def _ending(task: asyncio.Task[RunResult], accepting: bool) -> bytes:
    if task.cancelled():
        message = SHUTTING_DOWN if not accepting else "the turn was cancelled"
        return _sse("error", {"error": {"code": "cancelled", "message": message}})
    error = task.exception()
    if isinstance(error, RunError):
        return _sse("error", {"error": {"code": "conflict", "message": str(error)}})
    if error is not None:
        return _sse("error", {"error": {"code": "internal", "message": "internal error"}})
    return _sse("result", task.result().to_dict())


def _sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + jsonfast.dumps_bytes(data) + b"\n\n"


@router.delete(
    "/api/chat/{agent_id}/sessions/{name}",
    status_code=204,
    response_class=Response,
    responses=responses(404, 422),
    summary="Clear a chat session's transcript: its next turn starts afresh",
)
async def clear_session(request: Request, agent_id: str, name: SessionName) -> Response:
    runtime = runtime_of(request)
    agent_of(runtime, agent_id)
    runtime.clear_session(chat_session_id(agent_id, name))
    return Response(status_code=204)
