"""The HTTP API's one factory: `create_app(host)` (used by `axo serve`, `axo dev --serve`
and the tests alike)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from axo_tui import __version__
from axo_tui.serve.http import (
    approvals,
    errors,
    routes_axocoatl,
    routes_chat,
    routes_memory,
    routes_runs,
    routes_skills,
    routes_stopped_runs,
    routes_wasm,
    stream,
)
from axo_tui.serve.http.guard import Guard
from axo_tui.serve.http.host import ServeHost

DESCRIPTION = """The HTTP API of an axo project (docs/http.md). Bodies are the `--json`
shapes of the matching `axo` commands. Every error is `{"error": {"code", "message"}}`."""


def create_app(host: ServeHost) -> FastAPI:
    """The API over `host.runtime` (already started: the app does not own it)."""
    app = FastAPI(
        title="axo",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # no CDN-loaded pages: nothing here phones home
        redoc_url=None,
    )
    app.state.host = host
    errors.install(app)
    for module in (
        routes_axocoatl,
        routes_runs,
        routes_stopped_runs,
        routes_chat,
        routes_memory,
        routes_skills,
        routes_wasm,
        stream,
        approvals,
    ):
        app.include_router(module.router)
    from axo_tui.serve.http import metrics  # prometheus_client loads with the server only

    metrics.mount(app, host)
    from axo_tui.serve.mcp import http as mcp_http  # `import mcp` costs ~0.5 s: only here

    mcp_http.mount(app, host)  # behind the Guard too: the same token and Host rules
    if any(a.a2a.expose for a in host.runtime.config.agents) or any(
        w.a2a.expose for w in host.runtime.config.workflows
    ):
        from axo_tui.serve.a2a import mount as a2a_mount  # the SDK loads only when used

        a2a_mount.mount(app, host)  # behind the Guard: its cards are open, the rest not
    app.add_middleware(Guard, settings=host.settings)
    if host.settings.cors_origins:  # outermost: a preflight carries no token
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(host.settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    if host.settings.tokens:
        _declare_bearer(app)
    return app


def _declare_bearer(app: FastAPI) -> None:
    """Say in /openapi.json that every route but /health wants the bearer token."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = plain()
            components = schema.setdefault("components", {})
            components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
            for path, operations in schema["paths"].items():
                for operation in operations.values():
                    if path != "/health":
                        operation["security"] = [{"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
