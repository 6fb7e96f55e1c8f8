"""Tool approvals over HTTP (axo approvals): list what waits, answer it, remembered rules.

`POST /api/approvals/{id}` answers only ids the server issued (exactly, no prefixes: 404
otherwise); a decision may carry the `args_hash` its sender saw, and is refused (409) when
the call's arguments are not those. Bodies are `ApprovalRecord.to_dict()` and
`ApprovalRule.to_dict()`, the CLI's `--json` shapes.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field

from axo_tui.core.runtime.approvals import ApprovalError
from axo_tui.serve.http.deps import FastJSON, bodies, body, runtime_of
from axo_tui.serve.http.errors import ApiError, responses
from axo_tui.serve.http.models import Out, Strict

router = APIRouter(tags=["approvals"])

_STATUS = {"not_found": 404, "conflict": 409, "gone": 409, "invalid": 422}


class DecisionBody(Strict):
    decision: Literal["approve", "deny"] = Field(description="Let the call run, or refuse it.")
    remember: Literal["once", "always"] = Field(
        default="once", description="`always`: the same for this agent and tool from now on."
    )
    args_hash: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="The `args_hash` you decided on; refused (409) if the call's differs.",
    )


class Approval(Out):
    id: str
    run_id: str | None
    activation_id: str
    agent_id: str
    tool: str
    arguments: dict[str, Any]
    args_hash: str
    status: Literal["pending", "approved", "denied"]
    created_at: float
    expires_at: float
    decided_at: float | None
    decided_by: str | None
    remember: str | None
    executed: bool


class ApprovalRule(Out):
    agent_id: str
    tool: str
    decision: Literal["approve", "deny"]
    created_at: float
    approval_id: str | None


def _refused(exc: ApprovalError) -> ApiError:
    return ApiError(_STATUS.get(exc.code, 409), exc.code, str(exc))


@router.get(
    "/api/approvals",
    response_model=list[Approval],
    responses=responses(422),
    summary="Tool calls waiting for a human, oldest first (axo approvals list)",
)
async def list_approvals(
    request: Request,
    every: bool = Query(False, alias="all", description="Recent ones of any status, newest first."),
) -> FastJSON:
    state = runtime_of(request).state
    return bodies(state.recent_approvals() if every else state.pending_approvals())


@router.post(
    "/api/approvals/{approval_id}",
    response_model=Approval,
    responses=responses(400, 404, 409, 422),
    summary="Approve or deny a waiting tool call (axo approvals approve|deny)",
)
async def decide(request: Request, approval_id: str, decision: DecisionBody) -> FastJSON:
    runtime = runtime_of(request)
    try:
        record = await runtime.decide_approval(
            approval_id, decision.decision, decision.remember, args_hash=decision.args_hash
        )
    except ApprovalError as exc:
        raise _refused(exc) from None
    return body(record)


@router.get(
    "/api/approval-rules",
    response_model=list[ApprovalRule],
    responses=responses(),
    summary="Remembered decisions (axo approvals rules)",
)
async def list_rules(request: Request) -> FastJSON:
    return bodies(runtime_of(request).state.approval_rules())


@router.delete(
    "/api/approval-rules/{agent_id}/{tool}",
    response_model=ApprovalRule,
    responses=responses(404),
    summary="Forget a remembered decision (axo approvals revoke)",
)
async def revoke_rule(request: Request, agent_id: str, tool: str) -> FastJSON:
    try:
        rule = await runtime_of(request).revoke_approval_rule(agent_id, tool)
    except ApprovalError as exc:
        raise _refused(exc) from None
    return body(rule)
