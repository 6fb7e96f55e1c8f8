"""Skills and signals: the ambient lattice (axo skills, axo emit)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from axo_tui.core.runtime.api import SkillInfo
from axo_tui.core.runtime.runs import unknown_name
from axo_tui.serve.http import models
from axo_tui.serve.http.deps import FastJSON, act, bodies, body, host_of, runtime_of
from axo_tui.serve.http.errors import ApiError, responses

router = APIRouter(tags=["skills"])


@router.get(
    "/api/skills",
    response_model=list[models.Skill],
    responses=responses(),
    summary="The skills the config declares (axo skills list)",
)
async def list_skills(request: Request) -> FastJSON:
    return bodies([SkillInfo.of(skill) for skill in runtime_of(request).config.skills])


@router.post(
    "/api/skills/{skill_id}/fire",
    response_model=models.RunResult,
    responses=responses(400, 404, 409, 422, 503),
    summary="Fire a skill; what it emits cascades in the same run (axo skills fire)",
)
async def fire_skill(request: Request, skill_id: str, fire: models.InputBody) -> FastJSON:
    host = host_of(request)
    known = [skill.id for skill in host.runtime.config.skills]
    if skill_id not in known:  # in the words `axo skills fire` uses: "did you mean"
        raise ApiError(404, "not_found", unknown_name("skill", skill_id, known))
    return body(await act(host, host.runtime.fire_skill(skill_id, fire.input)))


@router.post(
    "/api/signals",
    response_model=models.RunResult,
    responses=responses(400, 409, 422, 503),
    summary="Emit a named signal into the lattice (axo emit)",
)
async def emit_signal(request: Request, signal: models.SignalBody) -> FastJSON:
    host = host_of(request)
    return body(await act(host, host.runtime.emit_signal(signal.name, signal.payload)))
