"""Talking to the process that holds a project, over its HTTP API (docs/http.md).

One process owns a project. While `axo serve` or `axo dev --serve` hosts it (the host
announces itself beside its owner lease, `store.owner_lease`), `axo run`, `axo workflow
run`, `axo chat`, `axo events` and `axo approvals` send their work to it instead of opening
a second runtime on the same journal; `--remote URL` (or AXO_REMOTE) does the same for a
daemon elsewhere. The API's bodies are the `--json` shapes, so a command prints what it
prints locally, and the API's `{"error": {"code", "message"}}` becomes its error line.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from axo_tui.cli import output
from axo_tui.cli.context import get_state
from axo_tui.core.base.errors import AxoError

if TYPE_CHECKING:  # asyncio too: ~20 ms that `axo --help` need not pay
    import asyncio

    import httpx

    from axo_tui.core.config import Config
    from axo_tui.core.store.hosting_claim import HostingClaim

TOKEN_ENV = "AXO_API_TOKEN"
REQUEST_SECONDS = 30.0
"""How long a request that does not run anything may take (a run waits for its end)."""
RUN_EVENTS = (
    "run.started",
    "run.completed",
    "token.streamed",
    "tool.called",
    "tool.result",
    "agent.failed",
    "agent.skipped",
    "budget.exceeded",
    "approval.requested",
)
"""What a command that runs something follows of its run: its text and its waits."""
SETTLE_SECONDS = 5.0
"""How long the events of a finished run may trail its result (two connections)."""


class RemoteError(AxoError):
    """The daemon could not be reached, refused us, or said no (its message)."""

    def __init__(self, message: str, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint
        self.code = code
        """The API's error code (`not_found`, `conflict`, ...); None when it did not answer."""


@dataclass(frozen=True)
class Remote:
    url: str
    token: str | None
    holder: str | None = None
    """`axo serve (pid 123)` when found holding the project here; None for --remote."""
    state_dir: Path | None = None
    """The project's data directory when it is on this machine; None for --remote."""

    @property
    def name(self) -> str:
        return f"{self.holder} at {self.url}" if self.holder else f"the axo daemon at {self.url}"


def fail(exc: RemoteError) -> NoReturn:
    output.error(str(exc), hint=exc.hint)
    raise typer.Exit(1)


def remote_for(
    ctx: typer.Context, *, runtime_needed: bool, project: Path | None = None
) -> Remote | None:
    """The daemon this command should talk to: `--remote`, else the live process holding
    the project; None: work on the project here. With `runtime_needed`, a workbench that
    holds the project without serving is a clear error (exit 1): a second runtime on its
    journal would run the same schedules and resume the same runs twice. `project`: the
    command's own project argument, if it has one."""
    state = get_state(ctx)
    if state.remote:
        return Remote(_checked_url(state.remote), os.environ.get(TOKEN_ENV) or None)
    found = _project_quietly(ctx, project)
    if found is None:
        return None  # no project: the local path says so
    state_dir, config = found
    from axo_tui.core.store.owner_lease import find_host

    host = find_host(state_dir)
    if host is None:
        return None
    holder = f"{host.holder} (pid {host.pid})"
    if host.url is None:
        if not runtime_needed:
            return None  # reads and answers go through the journal, as beside any process
        output.error(
            f"{holder} holds this project: a second runtime on its journal would run its "
            "schedules and resume its runs a second time",
            hint="run it from the workbench, or let the workbench serve the CLI: restart it "
            "as `axo dev --serve` (or add a `server:` section to axo.yaml)",
        )
        raise typer.Exit(1)
    return Remote(host.url, _local_token(config), holder, state_dir)


def claim_hosting(state_dir: Path) -> HostingClaim | str:
    """The claim to host the project in `state_dir` with an API (kept for the process's
    life), or why not: a message naming the process that hosts it already, whose schedules
    and runs a second host would run a second time. Raises JournalError (unwritable)."""
    from axo_tui.core.store.hosting_claim import HostingClaim
    from axo_tui.core.store.owner_lease import find_host

    claim = HostingClaim.take(state_dir)
    host = find_host(state_dir)
    if claim is not None and host is None:
        return claim
    if claim is not None:
        claim.release()
    if host is None:
        return (
            "another `axo serve` (or `axo dev --serve`) is starting on this project; "
            "`axo` commands here will talk to it"
        )
    if host.url is None:
        return (
            f"this project is already held by {host.holder} (pid {host.pid}), which does not "
            "serve the API; quit it first, or restart it as `axo dev --serve`"
        )
    return (
        f"this project is already hosted by {host.holder} (pid {host.pid}) at {host.url}; "
        "`axo` commands here talk to it: stop it first to host the project again"
    )


def _checked_url(given: str) -> str:
    url = given.strip().rstrip("/")
    if not url.startswith(("http://", "https://")) or len(url.split("://", 1)[1]) == 0:
        output.error(
            f"--remote {given!r} is not an http:// or https:// URL",
            hint="e.g. --remote http://homelab:8080 (or AXO_REMOTE=http://homelab:8080)",
        )
        raise typer.Exit(2)
    return url


def _project_quietly(ctx: typer.Context, project: Path | None) -> tuple[Path, Config | None] | None:
    """The project's data directory (and config, when valid), printing nothing: the
    command's own loading reports problems once, on the local path."""
    from axo_tui.core.config import ConfigError, load_config, readable_state_dir

    state = get_state(ctx)
    try:
        path = state.config_path(project)
    except ConfigError:
        return None
    try:
        config = load_config(path)
    except ConfigError:
        return (state.data_dir or readable_state_dir(path), None)
    return (state.data_dir or config.state_dir, config)


def _local_token(config: Config | None) -> str | None:
    """The token the local daemon accepts, found as it finds it (ServeSettings.resolve)."""
    candidates = [os.environ.get(TOKEN_ENV, "")]
    if config is not None:
        candidates += [config.server.token, *config.server.api_keys]
    return next((token for token in candidates if token and token.strip()), None)


class ApiClient:
    """Calls to one daemon; every failure is a RemoteError that says what and where."""

    def __init__(self, remote: Remote) -> None:
        import httpx

        self.remote = remote
        headers = {"Authorization": f"Bearer {remote.token}"} if remote.token else {}
        self._http = httpx.AsyncClient(
            base_url=remote.url, headers=headers, timeout=REQUEST_SECONDS, trust_env=False
        )

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        body: Any = None,
        wait: bool = False,
    ) -> Any:
        """The JSON body of a successful answer (None for 204). `wait`: no read timeout
        (the request runs something to its end)."""
        import httpx

        timeout = httpx.Timeout(REQUEST_SECONDS, read=None) if wait else REQUEST_SECONDS
        async with self._errors():
            response = await self._http.request(
                method, path, params=params, json=body, timeout=timeout
            )
        self._check(response)
        return None if response.status_code == 204 else response.json()

    async def text(self, path: str) -> str:
        """The text body of a successful GET (`/metrics`)."""
        async with self._errors():
            response = await self._http.get(path)
        self._check(response)
        return response.text

    @contextlib.asynccontextmanager
    async def events(self, params: Any) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """The SSE event stream (`GET /api/events/stream`), open (subscribed on the server)
        when this is entered; yields the `axo events --json` objects."""
        import httpx

        timeout = httpx.Timeout(REQUEST_SECONDS, read=None)
        async with self._errors():
            request = self._http.build_request(
                "GET", "/api/events/stream", params=params, timeout=timeout
            )
            response = await self._http.send(request, stream=True)
        try:
            if response.status_code >= 400:
                await response.aread()
                self._check(response)
            yield self._sse(response)
        finally:
            await response.aclose()

    async def _sse(self, response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
        event, data = "message", []
        async with self._errors():
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif not line and data:
                    parsed = json.loads("\n".join(data))
                    if event == "error":
                        error = parsed.get("error", {}) if isinstance(parsed, dict) else {}
                        raise RemoteError(
                            f"{self.remote.name} ended the event stream: "
                            f"{error.get('message', parsed)}"
                        )
                    yield parsed
                    event, data = "message", []
        raise RemoteError(f"{self.remote.name} closed the event stream")

    @contextlib.asynccontextmanager
    async def _errors(self) -> AsyncIterator[None]:
        import httpx

        try:
            yield
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
                hint = (
                    f"it announced itself in this project's data directory; is {self.remote.holder} "
                    "still running?"
                    if self.remote.holder
                    else "is `axo serve` running there? (the URL comes from --remote or AXO_REMOTE)"
                )
                raise RemoteError(f"cannot reach {self.remote.name} ({reason})", hint) from None
            raise RemoteError(f"lost {self.remote.name} ({reason})") from None

    def _check(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        try:
            error = response.json()["error"]
            code, message = str(error["code"]), str(error["message"])
        except (ValueError, KeyError, TypeError):
            raise RemoteError(
                f"{self.remote.name} answered HTTP {response.status_code}, not the axo API "
                "(is this the URL of `axo serve`?)"
            ) from None
        if code == "unauthorized":
            hint = (
                f"set {TOKEN_ENV} to the daemon's token"
                if self.remote.token is None
                else f"{TOKEN_ENV} is not one of the daemon's tokens"
            )
            raise RemoteError(f"{self.remote.name} refused the request: {message}", hint, code)
        raise RemoteError(message, code=code)


def ask(remote: Remote, method: str, path: str, **kwargs: Any) -> Any:
    """One call (`ApiClient.call`) to the daemon, its failures as the CLI's error line."""

    async def job(client: ApiClient) -> Any:
        return await client.call(method, path, **kwargs)

    return run_remote(remote, job)


def run_remote(remote: Remote, job: Callable[[ApiClient], Any], *, quiet_stop: bool = False) -> Any:
    """Run `job(client)` (a coroutine) in a fresh loop; errors end as the CLI's error line
    and exit 1, Ctrl+C as exit 130 (or, with `quiet_stop`, as a plain end: `--follow`)."""

    async def main() -> Any:
        async with ApiClient(remote) as client:
            return await job(client)

    import asyncio

    try:
        return asyncio.run(main())
    except RemoteError as exc:
        fail(exc)
    except KeyboardInterrupt:
        if quiet_stop:
            return None
        output.print_line("interrupted", stderr=True)
        raise typer.Exit(130) from None


async def execute(
    client: ApiClient,
    path: str,
    body: dict[str, Any],
    *,
    target: str,
    show: Callable[[dict[str, Any]], object],
    input_text: str | None = None,
) -> dict[str, Any]:
    """POST a run (`path`) and wait for its result, handing `show` each event of that run
    as it happens. The run is told apart from the daemon's others by its `run.started`
    (target and input: `input_text`, else the body's `input`); the stream is open before
    the run is asked for, so none is missed."""
    import asyncio

    given = body["input"] if input_text is None else input_text
    async with client.events({"kind": list(RUN_EVENTS)}) as events:
        ended = asyncio.Event()
        watcher = asyncio.ensure_future(_follow_run(events, target, given, show, ended))
        try:
            result: dict[str, Any] = await client.call("POST", path, body=body, wait=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ended.wait(), SETTLE_SECONDS)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, RemoteError):
                await watcher
    return result


async def _follow_run(
    events: AsyncIterator[dict[str, Any]],
    target: str,
    input_text: str,
    show: Callable[[dict[str, Any]], object],
    ended: asyncio.Event,
) -> None:
    run_id: str | None = None
    async for event in events:
        kind = event.get("kind")
        if run_id is None:
            if kind == "run.started" and (event.get("target"), event.get("input")) == (
                target,
                input_text,
            ):
                run_id = event.get("run_id")
            continue
        if event.get("run_id") != run_id:
            continue
        show(event)
        if kind == "run.completed":
            ended.set()
            return
