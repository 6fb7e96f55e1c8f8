"""`axo serve`: a project's runtime as a long-lived process with the HTTP API.

It hosts the runtime as `axo dev` does (`core.runtime.hosting`: background jobs, crashed
runs resumed at start-up, the config file followed) and serves `http.app` with uvicorn on a
socket bound here first, so a busy port is a clear error before anything starts. SIGTERM
and Ctrl+C stop it gracefully: new runs are refused, the runs in flight are recorded
`interrupted` (resumable, never half-written), then the server and the runtime close.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from axo_tui.core.events.bus import Subscription
from axo_tui.core.events.catalog import Event, RuntimeNotice
from axo_tui.core.runtime.hosting import announce_serving, start_hosted, stop_hosted
from axo_tui.core.runtime.reload import ConfigFollower, ReloadOutcome
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.serve.http.host import ServeError, ServeHost, ServeSettings

if TYPE_CHECKING:
    import uvicorn

Say = Callable[..., None]
"""Told (event, message, **fields) of what a user of the daemon should see in its log."""
GRACE_SECONDS = 3.0
"""How long open connections (streams) get to finish once the server stops."""


def bind(settings: ServeSettings) -> socket.socket:
    """The listening socket, or a ServeError that says why not and what to do."""
    host = settings.host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, settings.port), family=family, backlog=2048)
    except OSError as exc:
        where = f"{settings.host}:{settings.port}"
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {settings.port} on {settings.host} is in use (another `axo serve`, or "
                f"`axo dev --serve`?); choose another with --port or `server: {{port: N}}`"
            ) from None
        if exc.errno == errno.EACCES:
            raise ServeError(f"not allowed to listen on {where}: use a port above 1023") from None
        raise ServeError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    # Connections inherit it. asyncio sets it only on sockets made with IPPROTO_TCP, which
    # create_server's are not: without it a small response waits 40 ms for a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _close(sock: socket.socket) -> None:
    # uvicorn's server closes the listening socket's descriptor itself when it stops.
    with contextlib.suppress(OSError):
        sock.close()


def url_of(sock: socket.socket, *, local: bool = False) -> str:
    """The socket's URL; `local`: the one a client on this machine uses (an address bound
    to every interface is reached through the loopback)."""
    host, port = sock.getsockname()[:2]
    if local and host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class ApiServer:
    """uvicorn serving `create_app(host)` on a bound socket, in the running event loop.
    The process's signals stay with whoever owns the loop (the daemon, or Textual)."""

    def __init__(self, host: ServeHost, sock: socket.socket, holder: str = "axo serve") -> None:
        import uvicorn

        from axo_tui.serve.http.app import create_app

        self.host = host
        self.sock = sock
        self.url = url_of(sock)
        self.holder = holder
        """Who serves, as the CLI names it when it finds the project held (`axo serve`)."""
        self.app = create_app(host)
        config = uvicorn.Config(
            self.app,
            lifespan="on",  # the app's lifespan runs the MCP session manager (/mcp)
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=int(GRACE_SECONDS),
            server_header=False,
        )
        self.server = _quiet_server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Serve in the background; return once the socket is accepting requests."""
        self._task = asyncio.ensure_future(self.server.serve(sockets=[self.sock]))
        while not self.server.started:
            if self._task.done():
                self._task.result()  # its error, if it had one
                raise ServeError("the HTTP server stopped while starting")
            await asyncio.sleep(0.005)
        # Now that it answers: CLI commands on this project talk to it from here on.
        announce_serving(self.host.runtime, self.holder, url_of(self.sock, local=True))

    async def stop(self) -> None:
        self.host.accepting = False
        # Open event streams end first (the stream router's hub, once one was opened), so
        # the server need not wait them out.
        hub = getattr(self.app.state, "stream_hub", None)
        if hub is not None:
            hub.shutdown()
        self.server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        _close(self.sock)


def _quiet_server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn's Server without its signal handling: the loop's owner has that."""
    import uvicorn

    class QuietServer(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return QuietServer(config)


@dataclass
class DaemonReport:
    url: str
    interrupted: list[str]


async def run_daemon(
    runtime: Runtime,
    settings: ServeSettings,
    *,
    config_path: Path | None,
    say: Say,
    sock: socket.socket | None = None,
) -> DaemonReport:
    """Host `runtime` (built with `background=True`, not started) and serve the API until
    SIGTERM or SIGINT. Raises ServeError (busy port) or the runtime's start-up errors."""
    started = time.perf_counter()
    sock = sock if sock is not None else bind(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    notices: Subscription | None = None
    noticer: asyncio.Task[None] | None = None
    try:
        start_hosted(runtime, "axo serve")
        # What `axo dev` shows as notices (runs resumed at start-up, a schedule tick skipped,
        # a consolidation) goes to the log: with no terminal, the log is all a user sees.
        # Subscribed before anything yields (on the started runtime's bus), so the resume's
        # notice is not missed; said from the start-up line on, which stays the first.
        notices = runtime.subscribe(kinds=[RuntimeNotice.kind])
        follower = None
        watcher: asyncio.Task[None] | None = None
        if config_path is not None:
            follower = ConfigFollower(
                config_path, runtime, on_reload=lambda outcome: _say_reload(say, outcome)
            )
            watcher = asyncio.ensure_future(follower.watch())
        server = ApiServer(ServeHost(runtime, settings), sock)
        try:
            await server.start()
            config = runtime.config
            say(
                "listening",
                f"listening on {server.url} (project {config.name or config.project_dir.name}, "
                f"{len(config.agents)} agents; ready in "
                f"{(time.perf_counter() - started) * 1000:.0f} ms; Ctrl+C stops)",
                url=server.url,
            )
            noticer = asyncio.ensure_future(_say_notices(say, notices))
            await stop.wait()
            say("stopping", "stopping: runs in flight are interrupted (resumable)")
            server.host.accepting = False
            interrupted = await runtime.stop_runs()
            await server.stop()
        finally:
            if follower is not None:
                follower.stop()
            if watcher is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            interrupted_late = await stop_hosted(runtime)
    finally:
        if notices is not None:
            notices.close()  # the notices already queued are still said
            if noticer is not None:
                await noticer
            for event in notices.drain():  # start-up failed before the noticer began
                _say_notice(say, event)
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        _close(sock)
    stopped = [*interrupted, *interrupted_late]
    for run_id in stopped:
        say(
            "interrupted",
            f"run {run_id[:12]} interrupted; `axo runs resume {run_id[:12]}` continues it",
            run_id=run_id,
        )
    say("stopped", "stopped")
    return DaemonReport(server.url, stopped)


async def _say_notices(say: Say, notices: Subscription) -> None:
    async for event in notices:
        _say_notice(say, event)


def _say_notice(say: Say, event: Event) -> None:
    assert isinstance(event, RuntimeNotice)
    fields = {name: value for name in ("run_id", "agent_id") if (value := getattr(event, name))}
    say("notice", event.message, **fields)


def _say_reload(say: Say, outcome: ReloadOutcome) -> None:
    if outcome.ok:
        latency = f" in {outcome.latency_ms:.0f} ms" if outcome.latency_ms is not None else ""
        say("config.reloaded", f"config reloaded{latency}: {outcome.summary}", ok=True)
    else:
        say(
            "config.rejected",
            "config not reloaded, the previous one keeps running:\n  "
            + "\n  ".join(outcome.problems),
            ok=False,
            problems=list(outcome.problems),
        )


async def serve_beside(
    runtime: Runtime, settings: ServeSettings, sock: socket.socket, say: Callable[[str], None]
) -> None:
    """Serve the API over a runtime another front end hosts (`axo dev --serve`) until
    cancelled; that front end starts and closes the runtime."""
    server = ApiServer(ServeHost(runtime, settings), sock, holder="axo dev --serve")
    try:
        await server.start()
        say(f"serving the API on {server.url}")
        await asyncio.Event().wait()
    finally:
        await server.stop()
