"""Runs and events: the journal, read and acted on (axo runs, axo events)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from axo_tui.core.base.enums import RunStatus
from axo_tui.serve.http import models
from axo_tui.serve.http.deps import FastJSON, act, bodies, body, host_of, run_of, runtime_of
from axo_tui.serve.http.errors import ApiError, responses

router = APIRouter(tags=["runs"])

Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many")]
After = Annotated[int, Query(ge=0, description="Only events after this sequence number")]


@router.get(
    "/api/runs",
    response_model=list[models.Run],
    responses=responses(422),
    summary="Recent runs, newest first (axo runs list)",
)
async def list_runs(
    request: Request, limit: Limit = 20, status: RunStatus | None = None
) -> FastJSON:
    return bodies(runtime_of(request).state.runs(limit=limit, status=status))


@router.get(
    "/api/runs/{run_id}",
    response_model=models.RunDetail,
    responses=responses(404),
    summary="One run (id or unique prefix) with its activations and usage (axo runs show)",
)
async def show_run(request: Request, run_id: str) -> FastJSON:
    detail = runtime_of(request).state.run(run_id)
    if detail is None:
        raise ApiError(404, "not_found", f"no run '{run_id}'")
    return body(detail)


@router.post(
    "/api/runs/{run_id}/cancel",
    response_model=models.RunResult,
    responses=responses(404, 409, 503),
    summary="Cancel a running, interrupted or crashed run (axo runs cancel)",
)
async def cancel_run(request: Request, run_id: str) -> FastJSON:
    host = host_of(request)
    record = run_of(host.runtime, run_id)
    return body(await act(host, host.runtime.cancel_run(record.id)))


@router.post(
    "/api/runs/{run_id}/resume",
    response_model=models.RunResult,
    responses=responses(404, 409, 503),
    summary="Resume an interrupted or crashed run to its end (axo runs resume ID)",
)
async def resume_run(request: Request, run_id: str) -> FastJSON:
    host = host_of(request)
    record = run_of(host.runtime, run_id)
    return body(await act(host, host.runtime.resume_run(record.id)))


@router.get(
    "/api/runs/{run_id}/events",
    response_model=list[models.EventRecord],
    responses=responses(404, 422),
    summary="A run's journaled events, oldest first",
)
async def run_events(
    request: Request, run_id: str, after: After = 0, limit: Limit = 1000
) -> FastJSON:
    runtime = runtime_of(request)
    record = run_of(runtime, run_id)
    return bodies(runtime.state.events(after_seq=after, run_id=record.id, limit=limit))


@router.get(
    "/api/events",
    response_model=list[models.EventRecord],
    responses=responses(404, 422),
    tags=["events"],
    summary="Journaled events, oldest first: after a sequence number, or the newest (axo events)",
)
async def query_events(
    request: Request,
    after: After = 0,
    run: Annotated[str | None, Query(min_length=1, description="A run id or prefix")] = None,
    agent: Annotated[list[str], Query(description="Only these agents' events")] = [],  # noqa: B006
    limit: Limit = 100,
    newest: Annotated[
        bool, Query(description="The last `limit` events instead of the first")
    ] = False,
) -> FastJSON:
    runtime = runtime_of(request)
    run_id = run_of(runtime, run).id if run is not None else None
    events = runtime.state.events(
        after_seq=after, run_id=run_id, agents=agent or None, limit=limit, newest=newest
    )
    return bodies(events)
