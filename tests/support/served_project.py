"""A project served as `axo serve` serves it (hosted runtime, `daemon.ApiServer` on a bound
socket), in a thread of its own: synchronous clients (httpx.Client, schemathesis) talk to it
over 127.0.0.1 while the test's thread stays free."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from axo_tui.core.config import load_config
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.hosting import start_hosted, stop_hosted
from axo_tui.serve.daemon import ApiServer, bind
from axo_tui.serve.http.host import ServeHost, ServeSettings

SCRIPTED = """\
name: served
agents:
  - id: planner
    provider: scripted
    memory: {recall: {passive_inject: false}}
  - id: writer
    provider: scripted
    depends_on: [planner]
    memory: {recall: {passive_inject: false}}
workflows:
  - id: draft
    agents: [planner, writer]
    entry_point: planner
skills:
  - id: review
    agents: [writer]
"""


def write_scripted(directory: Path, text: str = SCRIPTED) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "axo.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@contextmanager
def served(config_path: Path, settings: ServeSettings | None = None) -> Iterator[str]:
    """Serve the project at `config_path` until the block ends; yields the base URL."""
    settings = settings or ServeSettings(port=0)
    config = load_config(config_path)
    sock = bind(settings)
    ready = threading.Event()
    failure: list[BaseException] = []
    url: list[str] = []
    stop: list[asyncio.Event] = []
    loop_box: list[asyncio.AbstractEventLoop] = []

    async def main() -> None:
        runtime = build_runtime(config, background=True)
        start_hosted(runtime)
        server = ApiServer(ServeHost(runtime, settings), sock)
        stop.append(asyncio.Event())
        loop_box.append(asyncio.get_running_loop())
        try:
            await server.start()
            url.append(server.url)
            ready.set()
            await stop[0].wait()
            server.host.accepting = False
            await runtime.stop_runs()
            await server.stop()
        finally:
            await stop_hosted(runtime)

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # shown by the test thread
            failure.append(exc)
        finally:
            ready.set()

    thread = threading.Thread(target=run, name="served project", daemon=True)
    thread.start()
    ready.wait(30)
    if failure or not url:
        raise RuntimeError(f"the server did not start: {failure!r}")
    try:
        yield url[0]
    finally:
        loop_box[0].call_soon_threadsafe(stop[0].set)
        thread.join(30)
        if failure:
            raise failure[0]
