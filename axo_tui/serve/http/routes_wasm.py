"""WASM agents and ACL messages over HTTP: what `axo deploy`, `axo undeploy`, `axo send` and
`axo agents list` use against a running `axo serve` (docs/http.md, docs/abi.md)."""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from axo_tui.core.acl.message import AclError, AclMessage, Performative
from axo_tui.core.runtime.messaging import USER, Messaging
from axo_tui.serve.http.deps import FastJSON, host_of
from axo_tui.serve.http.errors import ApiError, responses
from axo_tui.serve.http.host import MAX_MODULE_BASE64
from axo_tui.serve.http.models import WholeNumber

router = APIRouter(tags=["wasm"])

BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The agent's name")]


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    fuel: WholeNumber = Field(100_000_000, ge=1)
    memory_mb: WholeNumber = Field(64, ge=1, le=4096)
    timeout_ms: WholeNumber = Field(100, ge=1, le=3_600_000)
    sends_per_call: WholeNumber = Field(100, ge=1, le=100_000)


class DeployBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    module_base64: str = Field(
        max_length=MAX_MODULE_BASE64,
        pattern=BASE64,
        description="The .wasm file, base64 (standard alphabet, padded)",
    )
    limits: Limits = Field(default_factory=lambda: Limits.model_validate({}))


class Deployed(BaseModel):
    name: str
    sha256: str
    replaced: bool


class WasmAgent(BaseModel):
    name: str
    kind: Literal["wasm"]
    sha256: str
    status: str
    limits: Limits
    queued: int
    handled: int
    failed: int
    last_error: str | None


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    receiver: str = Field(min_length=1, max_length=200)
    performative: Annotated[Performative, Field(strict=False)]
    content: Any = None
    conversation_id: str | None = Field(None, max_length=200)
    protocol: str | None = Field(None, max_length=200)
    wait_secs: float | None = Field(None, ge=0, le=300, description="Wait for the reply")


class AclJson(BaseModel):
    performative: str
    sender: str
    receivers: list[str]
    content: Any = None
    language: str | None
    ontology: str | None
    protocol: str | None
    conversation_id: str
    reply_with: str | None
    in_reply_to: str | None
    reply_by: str | None


class Sent(BaseModel):
    sent: AclJson
    reply: AclJson | None


def _messaging(request: Request) -> Messaging:
    host = host_of(request)
    if not host.accepting or host.runtime.messaging is None:
        raise ApiError(503, "shutting_down", "the server is shutting down")
    return host.runtime.messaging


@router.get(
    "/api/wasm/agents",
    response_model=list[WasmAgent],
    responses=responses(503),
    summary="The WASM agents, deployed or from the config (axo agents list)",
)
async def list_wasm_agents(request: Request) -> FastJSON:
    return FastJSON([agent.to_dict() for agent in _messaging(request).agents()])


@router.put(
    "/api/wasm/agents/{name}",
    response_model=Deployed,
    responses=responses(400, 409, 422, 503),
    summary="Deploy a module as agent NAME, or replace it with a drain (axo deploy); 409 "
    "when the module is refused (malformed, unknown imports, missing exports, failing init)",
)
async def deploy(request: Request, name: Name, deploy: DeployBody) -> FastJSON:
    from axo_tui.core.wasm.abi import WasmDeployError
    from axo_tui.core.wasm.limits import WasmLimits

    messaging = _messaging(request)
    try:
        data = base64.b64decode(deploy.module_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "bad_request", "module_base64 is not base64") from None
    limits = WasmLimits(**deploy.limits.model_dump())
    try:  # compiling can take a while: not on the event loop
        result = await asyncio.to_thread(messaging.deploy, name, data, limits)
    except WasmDeployError as exc:  # well-formed request, module refused by ABI v1
        raise ApiError(409, "module_refused", str(exc)) from None
    return FastJSON(result.to_dict())


@router.post(
    "/api/wasm/agents/{name}/undeploy",
    status_code=204,
    response_class=Response,
    responses=responses(404, 503),
    summary="Undeploy agent NAME; its key-value state stays (axo undeploy)",
)
async def undeploy(request: Request, name: Name) -> Response:
    # A verb of its own, not DELETE on the deploy's path: one method per path keeps 405's
    # Allow header exact.
    messaging = _messaging(request)
    if not await asyncio.to_thread(messaging.undeploy, name):
        raise ApiError(404, "not_found", f"no deployed WASM agent '{name}'")
    return Response(status_code=204)


@router.post(
    "/api/messages",
    response_model=Sent,
    responses=responses(400, 422, 503),
    summary="Send one ACL message as `user`; optionally wait for its reply (axo send)",
)
async def send_message(request: Request, message: MessageBody) -> FastJSON:
    messaging = _messaging(request)
    try:
        acl = AclMessage(
            message.performative,
            USER,
            (message.receiver,),
            message.content,
            protocol=message.protocol,
            conversation_id=message.conversation_id or "",
        )
    except AclError as exc:
        raise ApiError(400, "bad_request", str(exc)) from None
    sent, reply = await messaging.send(acl, wait_secs=message.wait_secs)
    return FastJSON({"sent": sent.to_dict(), "reply": None if reply is None else reply.to_dict()})
