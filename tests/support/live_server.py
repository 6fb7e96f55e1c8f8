"""A real `axo serve` app on 127.0.0.1 (uvicorn, a free port) in the test's event loop, over
a started runtime of a typed config: tests talk to it with real clients over a socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.serve.http.app import create_app
from axo_tui.serve.http.host import ServeHost, ServeSettings
from axo_tui.serve.http.stream import stream_hub
from axo_tui.serve.http.stream_feed import StreamLimits
from tests.support.builders import make_config, until


@dataclass
class LiveServer:
    app: FastAPI
    runtime: Runtime
    port: int

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"


@asynccontextmanager
async def live_server(
    tmp_path: Path,
    agents: Iterable[AgentConfig],
    *,
    tokens: tuple[str, ...] = (),
    cors_origins: tuple[str, ...] = (),
    limits: StreamLimits | None = None,
) -> AsyncIterator[LiveServer]:
    config = make_config(tmp_path, agents)
    async with build_runtime(config, data_dir=tmp_path / "data") as runtime:
        settings = ServeSettings(port=0, tokens=tokens, cors_origins=cors_origins)
        app = create_app(ServeHost(runtime, settings))
        if limits is not None:
            app.state.stream_limits = limits
        server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=5
            )
        )
        serving = asyncio.create_task(server.serve())
        await until(lambda: server.started or serving.done(), timeout=20)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield LiveServer(app, runtime, port)
        finally:
            stream_hub(app).shutdown()  # as `axo serve` does: open streams end first
            server.should_exit = True
            await serving
