"""One error shape for every refusal: `{"error": {"code", "message"}}`, never a traceback.

Routes raise `ApiError`; FastAPI's own refusals (validation, unknown route, wrong method)
are rewritten into the same shape here, and anything unexpected becomes a 500 that says
only that it happened (the details go to the log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str
    """A stable word: not_found, invalid_request, unauthorized, conflict, ..."""
    message: str
    """What is wrong, for a person."""


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    error: ErrorDetail


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(what: str, given: str) -> ApiError:
    return ApiError(404, "not_found", f"no {what} '{given}'")


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


_DESCRIPTIONS = {
    400: "Bad request: the body is not valid JSON",
    401: "No token, or a wrong one (when the server has a token)",
    404: "No such object (the message names it)",
    409: "The object is not in a state that allows it (e.g. a run that is not running)",
    413: "The request body is too large",
    421: "Served on loopback: the Host header must name localhost (DNS rebinding guard)",
    422: "A parameter or body field is missing or invalid (the message names it)",
    500: "A bug in axo (the server's log has the details)",
    503: "The server is shutting down",
}
COMMON = (401, 413, 421, 500)
"""Statuses any route may answer."""


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI declaration of these error statuses (and the common ones)."""
    return {
        code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]}
        for code in sorted({*statuses, *COMMON})
    }


_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}


def _describe(errors: Any) -> str:
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts[:5]) or "invalid request"


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "bad_request", "the body is not valid JSON")
    return error_response(422, "invalid_request", _describe(errors))


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else "request refused"
    if exc.status_code == 404:
        message = "no such route (see /openapi.json)"
    return error_response(exc.status_code, code, message, dict(exc.headers or {}))


async def _api(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message)


async def _crash(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal", f"internal error ({type(exc).__name__}); see the log")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(Exception, _crash)
