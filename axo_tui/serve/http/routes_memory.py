"""An agent's memory: show, search, edit, forget (axo memory)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request

from axo_tui.core.memory.core_blocks import CoreMemoryError
from axo_tui.core.memory.semantic import SemanticMemoryError
from axo_tui.serve.http import models
from axo_tui.serve.http.deps import FastJSON, agent_of, bodies, body, runtime_of
from axo_tui.serve.http.errors import ApiError, responses

router = APIRouter(tags=["memory"])


def _unavailable(exc: Exception) -> ApiError:
    return ApiError(503, "unavailable", str(exc))


@router.get(
    "/api/memory/{agent_id}",
    response_model=models.MemoryView,
    responses=responses(404),
    summary="Core blocks, recall counts, activity days and sessions (axo memory show)",
)
async def show_memory(request: Request, agent_id: str) -> FastJSON:
    runtime = runtime_of(request)
    return body(runtime.state.memory_of(agent_of(runtime, agent_id)))


@router.get(
    "/api/memory/{agent_id}/search",
    response_model=list[models.RecallMatch],
    responses=responses(404, 422, 503),
    summary="Long-term memories closest in meaning to q (axo memory search)",
)
async def search_memory(
    request: Request,
    agent_id: str,
    q: Annotated[str, Query(min_length=1, max_length=2000, description="What to look for")],
    k: Annotated[int, Query(ge=1, le=50, description="How many")] = 5,
) -> FastJSON:
    runtime = runtime_of(request)
    agent = agent_of(runtime, agent_id)
    try:
        matches = await runtime.state.search_memory(agent, q, k)
    except SemanticMemoryError as exc:
        raise _unavailable(exc) from None
    return bodies(matches)


@router.put(
    "/api/memory/{agent_id}/blocks/{block}",
    response_model=models.BlockEdit,
    responses=responses(400, 404, 422),
    summary="Replace a core block's text, within its limit (axo memory edit)",
)
async def edit_block(
    request: Request, agent_id: str, block: str, edit: models.BlockBody
) -> FastJSON:
    runtime = runtime_of(request)
    agent = agent_of(runtime, agent_id)
    try:
        runtime.state.memory_block(agent, block)
    except CoreMemoryError as exc:  # unknown: its message names the blocks there are
        raise ApiError(404, "not_found", str(exc)) from None
    try:
        return body(runtime.state.edit_memory(agent, block, edit.value))
    except CoreMemoryError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None


@router.post(
    "/api/memory/{agent_id}/forget",
    response_model=models.ForgetReport,
    responses=responses(400, 404, 422, 503),
    summary="Delete its activity log and recall memories, all or before a day (axo memory forget)",
)
async def forget_memory(request: Request, agent_id: str, forget: models.ForgetBody) -> FastJSON:
    runtime = runtime_of(request)
    agent = agent_of(runtime, agent_id)
    try:
        before = dt.date.fromisoformat(forget.before) if forget.before else None
        report = runtime.state.forget_memory(agent, before=before, core=forget.core)
    except ValueError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    except SemanticMemoryError as exc:
        raise _unavailable(exc) from None
    return body(report)
