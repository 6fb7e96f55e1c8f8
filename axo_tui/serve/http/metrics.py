"""`GET /metrics`: the runtime's Prometheus metrics (docs/observability.md).

The metrics are an event subscriber attached when the app is made (`runtime.watch`), so
they count from this server's start, as a Prometheus target's counters do after a restart.
The route is behind the same bearer token as the API (scrapers send it; see the docs).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response

from axo_tui.core.telemetry.metrics import CONTENT_TYPE, RuntimeMetrics
from axo_tui.serve.http.host import ServeHost


def mount(app: FastAPI, host: ServeHost) -> None:
    metrics = RuntimeMetrics()
    stop = host.runtime.watch(metrics)
    app.state.metrics = metrics
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        try:
            async with inner(asgi_app) as state:
                yield state
        finally:
            stop()  # a later app over the same runtime counts afresh

    app.router.lifespan_context = lifespan

    router = APIRouter()

    @router.get(
        "/metrics",
        response_class=Response,
        tags=["server"],
        summary="Prometheus metrics of the runtime (text exposition format 1.0.0)",
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def prometheus_metrics(request: Request) -> Response:
        exposition = request.app.state.metrics.exposition()
        return Response(exposition, media_type=CONTENT_TYPE)

    app.include_router(router)
