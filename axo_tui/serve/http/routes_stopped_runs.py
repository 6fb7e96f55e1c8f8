"""The runs no live process drives, all at once: `axo runs resume [--all]` and
`axo runs cancel --all` (one run at a time: `routes_runs`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import Field

from axo_tui.core.runtime.runs import RunResult
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.serve.http import models
from axo_tui.serve.http.deps import FastJSON, act, bodies, host_of
from axo_tui.serve.http.errors import responses

router = APIRouter(tags=["runs"])


class ResumeReport(models.Out):
    """`axo runs resume [--all] --json` prints `runs`; `left_alone` is its note on stderr."""

    runs: list[models.RunResult] = Field(description="The runs resumed, each to its end")
    left_alone: list[str] = Field(
        description="Ids of interrupted runs not resumed (all=true resumes them too)"
    )


@router.post(
    "/api/stopped-runs/resume",
    response_model=ResumeReport,
    responses=responses(409, 422, 503),
    summary="Resume the crashed runs, with all=true the interrupted ones too (axo runs resume)",
)
async def resume_stopped(
    request: Request,
    every: Annotated[
        bool, Query(alias="all", description="Also the interrupted runs (stopped on purpose)")
    ] = False,
) -> FastJSON:
    host = host_of(request)
    left = [] if every else [run.id for run in host.runtime.stopped_runs().interrupted]
    results = await act(host, host.runtime.resume_unfinished(include_interrupted=every))
    return FastJSON({"runs": [result.to_dict() for result in results], "left_alone": left})


@router.post(
    "/api/stopped-runs/cancel",
    response_model=list[models.RunResult],
    responses=responses(409, 503),
    summary="Cancel every interrupted or crashed run (axo runs cancel --all)",
)
async def cancel_stopped(request: Request) -> FastJSON:
    host = host_of(request)
    return bodies(await act(host, _cancel_stopped(host.runtime)))


async def _cancel_stopped(runtime: Runtime) -> list[RunResult]:
    stopped = runtime.stopped_runs()
    return [await runtime.cancel_run(run.id) for run in stopped.crashed + stopped.interrupted]
