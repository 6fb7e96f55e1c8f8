"""What every route needs: the host, an agent or run by id (404 otherwise), a body from
`to_dict()`, and actions run so that a client going away never kills a run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse

from axo_tui.core.base import jsonfast
from axo_tui.core.config.schema import AgentConfig, WorkflowConfig
from axo_tui.core.runtime.api import RunRecord
from axo_tui.core.runtime.runtime import RunError, Runtime
from axo_tui.serve.http.errors import ApiError, not_found
from axo_tui.serve.http.host import ServeHost

T = TypeVar("T")


class Serializable(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class FastJSON(JSONResponse):
    """orjson, as the journal writes: listing 1,000 runs is a hot path of a dashboard."""

    def render(self, content: Any) -> bytes:
        return jsonfast.dumps_bytes(content)


def body(result: Serializable) -> FastJSON:
    return FastJSON(result.to_dict())


def bodies(results: list[Any]) -> FastJSON:
    return FastJSON([result.to_dict() for result in results])


def host_of(request: Request) -> ServeHost:
    host: ServeHost = request.app.state.host
    return host


def runtime_of(request: Request) -> Runtime:
    return host_of(request).runtime


def agent_of(runtime: Runtime, agent_id: str) -> AgentConfig:
    return _declared("agent", runtime.config.agent, agent_id)


def workflow_of(runtime: Runtime, workflow_id: str) -> WorkflowConfig:
    return _declared("workflow", runtime.config.workflow, workflow_id)


def _declared(kind: str, find: Callable[[str], T], item_id: str) -> T:
    try:
        return find(item_id)
    except KeyError:
        raise not_found(kind, item_id) from None


def run_of(runtime: Runtime, run_id: str) -> RunRecord:
    record = runtime.state.find_run(run_id)
    if record is None:
        raise not_found("run", run_id)
    return record


SHUTTING_DOWN = "the server is shutting down; runs in flight are interrupted (`axo runs resume`)"


async def act(host: ServeHost, action: Coroutine[Any, Any, T]) -> T:
    """Run an action in a task the runtime owns: the client going away does not stop it,
    and a shutdown (which stops it) answers 503 instead of dropping the connection."""
    if not host.accepting:
        action.close()
        raise ApiError(503, "shutting_down", SHUTTING_DOWN)
    task: asyncio.Task[T] = host.runtime.spawn(action)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.cancelled():
            raise  # this request was cancelled; the run goes on
        if not host.accepting:
            raise ApiError(503, "shutting_down", SHUTTING_DOWN) from None
        raise ApiError(409, "cancelled", "the run was cancelled while it ran") from None
    except RunError as exc:
        raise ApiError(409, "conflict", str(exc)) from None
