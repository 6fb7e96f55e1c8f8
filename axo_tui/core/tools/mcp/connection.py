"""One MCP server session, owned by one task from start to close.

The SDK's session lives in anyio task groups and cancel scopes, which must be exited by the
task that entered them; closing a session from another task is the "cross-task cancel
scope" error other frameworks keep hitting. So each server gets one owner task: it enters
the session, runs the calls handed to it (each in a child of its own task group), refreshes
the tool list on `tools/list_changed`, and exits the session itself. A session that fails
or dies is reported and started again with backoff; the callers only ever see `ToolError`s
naming the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
import logging
import math
import os
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from axo_tui.core.config.schema import McpServerConfig, McpTransport
from axo_tui.core.store.private_files import make_private, private_dir
from axo_tui.core.telemetry.propagation import TRACEPARENT, trace_headers
from axo_tui.core.tools.mcp.results import result_text
from axo_tui.core.tools.registry import ToolError

BACKOFF_FIRST_SECS = 0.5
BACKOFF_MAX_SECS = 30.0
CLOSE_GRACE_SECS = 5.0
"""How long a closing session may take (a stdio server is sent EOF, then terminated)."""
LIVENESS_SECS = 2.0
"""An idle session is pinged this often, so a server that died is seen and restarted."""
MAX_TOOL_PAGES = 100
"""A server whose tools/list never stops paginating cannot hang its start."""
TOOL_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]")
"""Providers accept tool names of these characters only (OpenAI's rule, the strictest)."""
PREFIX = "mcp__"


class ServerState(StrEnum):
    DISABLED = "disabled"
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"
    """It failed to start or died; it is retried with backoff (`retry_in`)."""
    STOPPED = "stopped"


@dataclass(frozen=True)
class McpToolInfo:
    """One tool of one server, as the registry and the model know it."""

    server: str
    tool: str
    """The server's own name for it."""
    name: str
    """`mcp__<server>__<tool>`."""
    description: str
    parameters: dict[str, Any]
    read_only: bool = False
    """The server marks it read-only (`readOnlyHint`): its calls need no approval."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "server": self.server,
            "tool": self.tool,
            "description": self.description,
            "input_schema": self.parameters,
            "read_only": self.read_only,
        }


@dataclass(frozen=True)
class McpServerStatus:
    """A server as `axo mcp servers`, doctor, the workbench and the API show it."""

    name: str
    transport: str
    target: str
    state: ServerState
    tools: int
    error: str | None = None
    attempts: int = 0
    """Failed starts since it was last ready."""
    retry_in: float | None = None
    """Seconds until the next start (a failed server)."""
    noise: int = 0
    """Lines it wrote that were not JSON-RPC (ignored)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "transport": self.transport,
            "target": self.target,
            "state": self.state.value,
            "tools": self.tools,
            "error": self.error,
            "attempts": self.attempts,
            "retry_in": None if self.retry_in is None else round(self.retry_in, 1),
            "noise": self.noise,
        }


@dataclass
class _Call:
    tool: str
    arguments: dict[str, Any]
    future: asyncio.Future[Any]
    scope: Any = None
    """The anyio cancel scope of the child running it, to cancel it from the caller."""
    meta: dict[str, str] = field(default_factory=dict)
    """The request's `_meta`: the caller's `traceparent` (read in the caller's task: the
    owner task that sends it has no span)."""


_REFRESH = "refresh"
_WAKE = "wake"


@dataclass
class _Events:
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    retry_now: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set (and replaced) at each state change: `wait_settled` waits on it."""


class McpConnection:
    """A configured server: `start()` it in a running loop, `call` its tools, `aclose()`."""

    def __init__(
        self,
        config: McpServerConfig,
        *,
        project_dir: Path,
        log_dir: Path | None = None,
        on_change: Callable[[McpConnection], None] | None = None,
        retry: bool = True,
    ) -> None:
        self.config = config
        # One-shot commands report the first attempt: a retry would hide its failure.
        self._retry = retry
        self._project_dir = project_dir
        self._log_dir = log_dir
        self._on_change = on_change
        self.state = ServerState.STARTING if config.enabled else ServerState.DISABLED
        self.error: str | None = None
        self.tools: tuple[McpToolInfo, ...] = ()
        self._attempts = 0
        self._retry_at: float | None = None
        self._noise = 0
        self._queue: asyncio.Queue[_Call | str] = asyncio.Queue()
        self._events = _Events()
        self._task: asyncio.Task[None] | None = None
        self._broken: str | None = None

    @property
    def name(self) -> str:
        return self.config.name

    # ------------------------------------------------------------- lifecycle
    def start(self) -> None:
        if self._task is None and self.config.enabled:
            self._task = asyncio.get_running_loop().create_task(
                self._own(), name=f"mcp-server-{self.name}"
            )

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._events.closing.set()
        self._queue.put_nowait(_WAKE)
        done, _ = await asyncio.wait({task}, timeout=CLOSE_GRACE_SECS + 1)
        if not done:  # the session would not end: cancel it (still in its own task)
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        self._set(ServerState.STOPPED)

    def retry_now(self) -> None:
        """Skip the rest of a failed server's backoff."""
        self._events.retry_now.set()

    async def wait_started(self) -> None:
        """Until this start attempt ended: its timeout, plus the time to stop a process
        that did not make it."""
        await self.wait_settled(self.config.start_timeout_secs + CLOSE_GRACE_SECS)

    async def wait_settled(self, timeout: float) -> None:
        """Until the server is ready, or its start failed, or `timeout` passed."""
        deadline = time.monotonic() + timeout
        while self.state is ServerState.STARTING:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._events.changed.wait(), left)

    def status(self) -> McpServerStatus:
        retry_in = None
        if self.state is ServerState.FAILED and self._retry_at is not None:
            retry_in = max(0.0, self._retry_at - time.monotonic())
        config = self.config
        target = config.url or " ".join((config.command or "", *config.args)).strip()
        return McpServerStatus(
            self.name,
            config.transport.value,
            target,
            self.state,
            len(self.tools),
            self.error,
            self._attempts,
            retry_in,
            self._noise,
        )

    # ---------------------------------------------------------------- calls
    async def call(self, tool: str, arguments: dict[str, Any]) -> str:
        """The result text of `tool` (the server's own name); a ToolError names the server."""
        if self.state is ServerState.STARTING:
            await self.wait_started()
        if self.state is not ServerState.READY:
            if self.error:
                again = "; axo retries it" if self._retry else ""
                raise ToolError(f"{self.error} (it is {self.state.value}{again})")
            raise ToolError(f"MCP server '{self.name}' is {self.state.value}")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        request = _Call(tool, arguments, future, meta=trace_headers())
        self._queue.put_nowait(request)
        try:
            result = await future
        except asyncio.CancelledError:
            if request.scope is not None:
                request.scope.cancel()
            raise
        if result.is_error:
            text = result_text(self.name, list(result.content)) or "no details"
            raise ToolError(f"MCP server '{self.name}': tool '{tool}' failed: {text}")
        return result_text(self.name, list(result.content), result.structured_content)

    # ----------------------------------------------------------- the owner
    async def _own(self) -> None:
        while not self._events.closing.is_set():
            self._set(ServerState.STARTING)
            self._broken = None
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # the SDK's task groups raise ExceptionGroups
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                self.error = describe(self.name, exc)
            else:
                if self._events.closing.is_set():
                    break
                self.error = self._broken or f"MCP server '{self.name}' closed the session"
            self._fail_pending()
            if self._events.closing.is_set():
                break
            self._attempts += 1
            delay = min(BACKOFF_MAX_SECS, BACKOFF_FIRST_SECS * 2 ** (self._attempts - 1))
            self._retry_at = time.monotonic() + delay
            self.tools = ()
            self._set(ServerState.FAILED)
            if not self._retry:
                self._retry_at = None
                break
            await self._backoff(delay)
        self._fail_pending()

    async def _backoff(self, delay: float) -> None:
        self._events.retry_now.clear()
        waits = [
            asyncio.ensure_future(self._events.closing.wait()),
            asyncio.ensure_future(self._events.retry_now.wait()),
        ]
        try:
            await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def _session(self) -> None:
        _quiet_sdk_logs()
        import anyio
        from mcp import Client
        from mcp_types import Implementation

        from axo_tui import __version__

        config = self.config
        with contextlib.ExitStack() as files:
            errlog = files.enter_context(self._errlog())
            with anyio.CancelScope() as scope:
                # The start's deadline is on a scope around the whole session (set before,
                # lifted once ready), so every scope inside nests properly.
                scope.deadline = anyio.current_time() + config.start_timeout_secs
                async with contextlib.AsyncExitStack() as stack:
                    target = await self._target(stack, errlog)
                    client = await stack.enter_async_context(
                        Client(
                            target,
                            mode="legacy",
                            message_handler=self._on_message,
                            client_info=Implementation(name="axo", version=__version__),
                            cache=None,
                        )
                    )
                    self.tools = await self._list_tools(client)
                    scope.deadline = math.inf
                    self._attempts = 0
                    self.error = None
                    self._set(ServerState.READY)
                    await self._serve_requests(client)
            if scope.cancelled_caught and self.state is ServerState.STARTING:
                raise ToolError(
                    f"MCP server '{self.name}' did not start within "
                    f"{config.start_timeout_secs:g}s (start_timeout_secs)"
                )

    async def _serve_requests(self, client: Any) -> None:
        import anyio

        async with anyio.create_task_group() as group:
            group.start_soon(self._watch, client)
            while self._broken is None and not self._events.closing.is_set():
                item = await self._queue.get()
                if isinstance(item, _Call):
                    group.start_soon(self._run_call, client, item)
                elif item == _REFRESH:
                    group.start_soon(self._refresh, client)
            group.cancel_scope.cancel()  # calls still running end with the session

    async def _run_call(self, client: Any, request: _Call) -> None:
        try:
            await self._call_tool(client, request)
        finally:  # the session ended mid-call (closed, restarted, broken): the caller hears
            if not request.future.done():
                request.future.set_exception(ToolError(self._ended(request.tool)))

    def _ended(self, tool: str) -> str:
        if self._events.closing.is_set():
            return f"MCP server '{self.name}' was stopped (closed or restarted) during '{tool}'"
        return self._broken or f"MCP server '{self.name}': the call of '{tool}' ended"

    async def _call_tool(self, client: Any, request: _Call) -> None:
        import anyio
        from mcp import MCPError
        from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        if request.future.done():
            return
        timeout = self.config.call_timeout_secs
        outcome: Any
        with anyio.CancelScope() as scope:
            request.scope = scope
            try:
                outcome = await client.call_tool(
                    request.tool,
                    request.arguments,
                    read_timeout_seconds=timeout,
                    meta=request.meta or None,
                )
            except MCPError as exc:
                if exc.code == REQUEST_TIMEOUT:
                    outcome = ToolError(
                        f"MCP server '{self.name}' did not answer tool '{request.tool}' within "
                        f"{timeout:g}s (call_timeout_secs)"
                    )
                elif exc.code == CONNECTION_CLOSED:
                    self._break(f"MCP server '{self.name}' went away during '{request.tool}'")
                    outcome = ToolError(self._broken or "")
                else:
                    outcome = ToolError(
                        f"MCP server '{self.name}' refused tool '{request.tool}': {exc}"
                    )
            except Exception as exc:
                message = describe(self.name, exc, f"tool '{request.tool}'")
                outcome = ToolError(message)
                if _is_transport_error(exc):
                    self._break(message)
        if scope.cancelled_caught and not request.future.done():
            outcome = ToolError(f"MCP server '{self.name}': the call of '{request.tool}' ended")
        if not request.future.done():
            if isinstance(outcome, BaseException):
                request.future.set_exception(outcome)
            else:
                request.future.set_result(outcome)

    async def _watch(self, client: Any) -> None:
        """Ping every LIVENESS_SECS: the SDK notices a server's exit only when a request
        is sent, and an idle session sends none."""
        import anyio

        while self._broken is None:
            await anyio.sleep(LIVENESS_SECS)
            await self._check_alive(client)

    async def _check_alive(self, client: Any) -> None:
        import anyio

        try:
            with anyio.fail_after(self.config.call_timeout_secs):
                await client.send_ping()
        except TimeoutError:
            self._break(f"MCP server '{self.name}' stopped answering (no reply to a ping)")
        except Exception as exc:
            self._break(describe(self.name, exc))

    async def _refresh(self, client: Any) -> None:
        try:
            self.tools = await self._list_tools(client)
        except Exception as exc:  # keep the old list; say why
            self.error = describe(self.name, exc, "a refreshed tool list")
        self._set(self.state)

    async def _list_tools(self, client: Any) -> tuple[McpToolInfo, ...]:
        found: list[McpToolInfo] = []
        cursor: str | None = None
        for _ in range(MAX_TOOL_PAGES):
            page = await client.list_tools(cursor=cursor, cache_mode="refresh")
            found.extend(self._tool_info(tool) for tool in page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        wanted = self.config.tools
        if wanted is not None:
            found = [t for t in found if any(fnmatch.fnmatchcase(t.tool, p) for p in wanted)]
        return tuple(found)

    def _tool_info(self, tool: Any) -> McpToolInfo:
        schema = tool.input_schema
        parameters = schema if isinstance(schema, dict) else schema.model_dump(exclude_none=True)
        annotations = tool.annotations
        return McpToolInfo(
            server=self.name,
            tool=tool.name,
            name=qualified_name(self.name, tool.name),
            description=(tool.description or tool.title or "").strip(),
            parameters=dict(parameters),
            read_only=bool(annotations is not None and annotations.read_only_hint),
        )

    async def _target(self, stack: contextlib.AsyncExitStack, errlog: TextIO) -> Any:
        config = self.config
        if config.transport is McpTransport.HTTP and config.url is not None:
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            http = await stack.enter_async_context(
                create_mcp_http_client(headers=dict(config.headers))
            )
            http.event_hooks["request"].append(_traceparent_header)
            return streamable_http_client(config.url, http_client=http)
        from mcp.client.stdio import StdioServerParameters, stdio_client

        parameters = StdioServerParameters(
            command=config.command or "",
            args=list(config.args),
            env=dict(config.env) or None,
            cwd=self._project_dir,
        )
        return stdio_client(parameters, errlog=errlog)

    def _errlog(self) -> TextIO:
        """Where a stdio server's stderr goes: its own log file, never the terminal (a
        workbench runs there)."""
        if self._log_dir is None:
            return Path(os.devnull).open("w", encoding="utf-8")  # closed by the caller
        try:
            private_dir(self._log_dir)
            path = self._log_dir / f"{self.name}.log"
            handle = path.open("a", encoding="utf-8")
        except OSError:  # no log is better than no server
            return Path(os.devnull).open("w", encoding="utf-8")
        make_private(path)
        return handle

    async def _on_message(self, message: Any) -> None:
        from mcp_types import ToolListChangedNotification

        if isinstance(message, Exception):
            self._noise += 1  # a line that is not JSON-RPC: counted, shown, ignored
            return
        if isinstance(message, ToolListChangedNotification):
            self._queue.put_nowait(_REFRESH)

    def _break(self, reason: str) -> None:
        if self._broken is None:
            self._broken = reason
            self._queue.put_nowait(_WAKE)

    def _fail_pending(self) -> None:
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if isinstance(item, _Call) and not item.future.done():
                reason = self.error or f"MCP server '{self.name}' stopped"
                item.future.set_exception(ToolError(reason))

    def _set(self, state: ServerState) -> None:
        self.state = state
        changed, self._events.changed = self._events.changed, asyncio.Event()
        changed.set()
        if self._on_change is not None:
            self._on_change(self)


async def _traceparent_header(request: Any) -> None:
    """The `_meta.traceparent` of a call, also as the HTTP header W3C trace context expects.
    The SDK sends requests from its own task, so the header is read from the body."""
    if request.method != "POST" or TRACEPARENT in request.headers:
        return
    try:
        body = request.content
    except Exception:  # a streamed body: not a call of ours
        return
    if TRACEPARENT.encode() not in body:
        return
    with contextlib.suppress(ValueError, KeyError, TypeError):
        value = json.loads(body)["params"]["_meta"][TRACEPARENT]
        if isinstance(value, str):
            request.headers[TRACEPARENT] = value


def _quiet_sdk_logs() -> None:
    """The SDK logs a traceback for each line a server writes that is not JSON-RPC; that
    must not reach a terminal (or the workbench on it): the status counts them instead."""
    # The liveness ping is "deprecated" for 2026-07-28 sessions; these are legacy ones.
    warnings.filterwarnings("ignore", message="ping is removed", module=__name__)
    logger = logging.getLogger("mcp")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


def qualified_name(server: str, tool: str) -> str:
    return f"{PREFIX}{server}__{TOOL_NAME_CHARACTERS.sub('_', tool)}"


def _is_transport_error(exc: BaseException) -> bool:
    import anyio

    return isinstance(exc, anyio.ClosedResourceError | anyio.BrokenResourceError | OSError)


def describe(server: str, exc: BaseException, during: str = "") -> str:
    """One line naming the server and the first real cause (ExceptionGroups unwrapped)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, ToolError):
        return str(exc)
    where = f" ({during})" if during else ""
    errors = getattr(exc, "errors", None)
    if callable(errors) and type(exc).__name__ == "ValidationError":
        first = errors()[0] if errors() else {}
        location = ".".join(str(part) for part in first.get("loc", ()))
        return (
            f"MCP server '{server}' sent something that is not valid MCP{where}: "
            f"{location}: {first.get('msg', exc)}"
        )
    text = str(exc) or type(exc).__name__
    if type(exc).__name__ == "MCPError" and "Connection closed" in text:
        return f"MCP server '{server}' closed the connection{where} (did it exit? see its log)"
    if isinstance(exc, FileNotFoundError | PermissionError):
        return f"MCP server '{server}' could not be started: {text}"
    return f"MCP server '{server}' failed{where}: {type(exc).__name__}: {text}"
