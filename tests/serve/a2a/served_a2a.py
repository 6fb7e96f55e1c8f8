"""`axo serve`'s app with A2A targets, on 127.0.0.1 in the test's loop (uvicorn, a free port)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from axo_tui.core.config.schema import Config
from axo_tui.core.events.catalog import Event
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.serve.http.app import create_app
from axo_tui.serve.http.host import ServeHost, ServeSettings
from tests.support.builders import until


@dataclass
class Served:
    runtime: Runtime
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, target: str) -> str:
        return f"{self.base}/a2a/{target}"


@asynccontextmanager
async def serve_a2a(
    config: Config,
    data_dir: Path,
    *,
    tokens: tuple[str, ...] = (),
    subscribers: Sequence[Callable[[Event], None]] = (),
) -> AsyncIterator[Served]:
    async with build_runtime(config, data_dir=data_dir, subscribers=subscribers) as runtime:
        app = create_app(ServeHost(runtime, ServeSettings(port=0, tokens=tokens)))
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        )
        serving = asyncio.create_task(server.serve())
        await until(lambda: server.started or serving.done(), timeout=20)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield Served(runtime, port)
        finally:
            server.should_exit = True
            await serving
