"""One remote A2A agent, as the a2a-sdk client sees it: its card, then messages.

The card is fetched and checked once (a malformed card or a peer speaking no protocol version
this SDK knows gets a PeerError naming the agent and the URL). A message streams when the
card says the peer can, and the reply's text is read from the task's artifacts (or a direct
message). Transport failures (timeouts, network errors, 429 and 5xx) are marked retryable;
a peer's protocol errors (unknown task, unsupported content) are not.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from a2a.client import ClientConfig, create_client
from a2a.client.card_resolver import A2ACardResolver
from a2a.client.errors import A2AClientError, A2AClientTimeoutError, AgentCardResolutionError
from a2a.types import a2a_pb2 as pb
from a2a.utils.errors import A2AError
from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]

from axo_tui.core.base.errors import AxoError
from axo_tui.core.telemetry.propagation import trace_headers

_RETRYABLE_STATUS = re.compile(r"HTTP Error (429|5\d\d)")
BINDINGS = frozenset({"JSONRPC", "HTTP+JSON"})
VERSIONS = frozenset({"1.0", "0.3", ""})
"""Versions this SDK speaks (major.minor); a card naming none is taken at its word."""


class PeerError(AxoError):
    """A remote A2A agent could not be reached, described or answered as asked."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class PeerReply:
    text: str
    state: str
    """The task's final state, in the spec's words: completed, input-required, ..."""
    task_id: str
    context_id: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    """What the peer reported in the task's (or message's) `usage` metadata, if anything."""


def state_name(state: int) -> str:
    """`TASK_STATE_INPUT_REQUIRED` -> `input-required`."""
    name: str = pb.TaskState.Name(state)
    return name.removeprefix("TASK_STATE_").lower().replace("_", "-")


def card_summary(card: pb.AgentCard) -> dict[str, Any]:
    """The card as the spec's JSON (`axo a2a card`)."""
    summary: dict[str, Any] = MessageToDict(card)
    return summary


class Peer:
    """A remote agent `agent_id` at `url` (its base URL: the card is at
    `<url>/.well-known/agent-card.json`)."""

    def __init__(
        self,
        agent_id: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_secs: float = 120.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.agent_id = agent_id
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(
            headers=dict(headers or {}),
            timeout=httpx.Timeout(timeout_secs, connect=min(timeout_secs, 10.0)),
            transport=transport,
            event_hooks={"request": [_send_trace_context]},
        )
        self._card: pb.AgentCard | None = None
        self._client: Any = None
        self._fetching = asyncio.Lock()
        """One fetch at a time: turns that start together share one card and one client."""

    def _where(self) -> str:
        return f"remote agent '{self.agent_id}' at {self.url}"

    async def card(self) -> pb.AgentCard:
        """The peer's card, fetched and checked on first use (again after a failure)."""
        async with self._fetching:
            if self._card is None:
                self._card = await self._fetch_card()
            return self._card

    async def _fetch_card(self) -> pb.AgentCard:
        try:
            card = await A2ACardResolver(self._http, self.url).get_agent_card()
        except AgentCardResolutionError as exc:
            status = getattr(exc, "status_code", None)
            reason = _first_line(exc.message or str(exc))
            if status is None and not isinstance(exc.__cause__, httpx.RequestError):
                # It answered, with no JSON or no card: asking again gets the same.
                raise PeerError(f"{self._where()}: its agent card is malformed: {reason}") from None
            raise PeerError(
                f"{self._where()}: cannot read its agent card: {reason}",
                retryable=status is None or status == 429 or status >= 500,
            ) from None
        except (A2AError, ValueError, TypeError) as exc:  # a body that is no card
            raise PeerError(f"{self._where()}: its agent card is malformed: {exc}") from None
        problems = [f"no {name}" for name in ("name",) if not getattr(card, name)]
        if not card.supported_interfaces:
            problems.append("no supported_interfaces (where to send messages)")
        if problems:
            raise PeerError(f"{self._where()}: its agent card is malformed: {', '.join(problems)}")
        usable = [
            i
            for i in card.supported_interfaces
            if i.protocol_binding in BINDINGS and _version(i.protocol_version) in VERSIONS
        ]
        offered = ", ".join(
            sorted(
                {f"{i.protocol_binding} {i.protocol_version}" for i in card.supported_interfaces}
            )
        )
        failure = PeerError(
            f"{self._where()}: it speaks no A2A version and binding axo can use (it offers "
            f"{offered}; axo speaks 1.0 and 0.3 over JSONRPC or HTTP+JSON)"
        )
        if not usable:
            raise failure
        # Only the usable interfaces: the SDK would pick a newer, unknown version first.
        del card.supported_interfaces[:]
        card.supported_interfaces.extend(usable)
        try:
            self._client = await create_client(
                card, ClientConfig(httpx_client=self._http, streaming=card.capabilities.streaming)
            )
        except ValueError:
            raise failure from None
        return card

    @property
    def streams(self) -> bool:
        return self._card is not None and self._card.capabilities.streaming

    async def send(
        self,
        text: str,
        *,
        context_id: str,
        task_id: str | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> PeerReply:
        """Send `text`; `on_text` hears the reply's new text as it streams. `task_id`
        continues a task the peer left waiting for input."""
        await self.card()
        message = pb.Message(
            message_id=uuid.uuid4().hex,
            role=pb.Role.ROLE_USER,
            parts=[pb.Part(text=text)],
            context_id=context_id,
            task_id=task_id or "",
        )
        reader = _ReplyReader(on_text)
        try:
            async for response in self._client.send_message(pb.SendMessageRequest(message=message)):
                reader.read(response)
        except A2AClientTimeoutError:
            raise PeerError(f"{self._where()}: timed out", retryable=True) from None
        except A2AClientError as exc:
            text_ = str(exc)
            retryable = "Network communication error" in text_ or bool(
                _RETRYABLE_STATUS.search(text_)
            )
            raise PeerError(f"{self._where()}: {text_}", retryable=retryable) from None
        except A2AError as exc:
            raise PeerError(f"{self._where()} refused the message: {exc}") from None
        return reader.reply(self._where())

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
        await self._http.aclose()


async def _send_trace_context(request: httpx.Request) -> None:
    """The caller's span as `traceparent`: the peer's run joins the caller's trace. Runs in
    the task that sends (the activation's), where the tracer left its span."""
    for name, value in trace_headers().items():
        request.headers.setdefault(name, value)


class _ReplyReader:
    """Folds a stream of task events (or one message) into the reply."""

    def __init__(self, on_text: Callable[[str], None] | None) -> None:
        self.on_text = on_text
        self.artifacts: dict[str, str] = {}
        self.task: pb.Task | None = None
        self.state = pb.TaskState.TASK_STATE_UNSPECIFIED
        self.status_text = ""
        self.message: pb.Message | None = None
        self.metadata: dict[str, Any] = {}
        self.ids = ("", "")

    def read(self, response: pb.StreamResponse) -> None:
        kind = response.WhichOneof("payload")
        if kind == "message":
            self.message = response.message
            self.ids = (response.message.task_id, response.message.context_id)
            self.metadata.update(MessageToDict(response.message.metadata))
            self._say(_text(response.message.parts))
        elif kind == "task":
            task = response.task
            self.ids = (task.id, task.context_id)
            self._status(task.status)
            for artifact in task.artifacts:
                self._artifact(artifact, append=False)
            self.metadata.update(MessageToDict(task.metadata))
        elif kind == "status_update":
            update = response.status_update
            self.ids = (update.task_id, update.context_id)
            self._status(update.status)
            self.metadata.update(MessageToDict(update.metadata))
        elif kind == "artifact_update":
            update = response.artifact_update
            self._artifact(update.artifact, append=update.append)

    def _status(self, status: pb.TaskStatus) -> None:
        self.state = status.state
        if status.HasField("message"):
            self.status_text = _text(status.message.parts)

    def _artifact(self, artifact: pb.Artifact, *, append: bool) -> None:
        key = artifact.artifact_id
        old = self.artifacts.get(key, "")
        new = _text(artifact.parts)
        full = old + new if append else new
        self.artifacts[key] = full
        if full.startswith(old):  # only what is new reaches the listener
            self._say(full[len(old) :])

    def _say(self, text: str) -> None:
        if text and self.on_text is not None:
            self.on_text(text)

    def reply(self, where: str) -> PeerReply:
        task_id, context_id = self.ids
        prompt, completion = _usage(self.metadata)
        if self.message is not None:
            text, state = _text(self.message.parts), "completed"
        else:
            state = state_name(self.state)
            text = "\n\n".join(t for t in self.artifacts.values() if t) or self.status_text
            if state in ("unspecified", "submitted", "working"):
                raise PeerError(
                    f"{where}: the reply ended while the task was still {state}", retryable=False
                )
            if state in ("failed", "rejected", "canceled", "auth-required"):
                reason = self.status_text or "no reason given"
                raise PeerError(f"{where}: its task ended {state}: {reason}")
        return PeerReply(text, state, task_id, context_id, prompt, completion)


def _first_line(text: str) -> str:
    """httpx appends a second line (a link to MDN) to its status errors."""
    return text.strip().splitlines()[0] if text.strip() else text


def _version(text: str) -> str:
    """`1.0.2` -> `1.0` (patch versions do not matter to negotiation)."""
    return ".".join(text.strip().split(".")[:2])


def _text(parts: Any) -> str:
    return "".join(part.text for part in parts if part.WhichOneof("content") == "text")


def _usage(metadata: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """`usage: {prompt_tokens, completion_tokens}` (or input_/output_tokens), if given."""
    usage = metadata.get("usage")
    if not isinstance(usage, Mapping):
        return None, None

    def number(*names: str) -> int | None:
        for name in names:
            value = usage.get(name)
            if isinstance(value, int | float) and value >= 0:
                return int(value)
        return None

    return (
        number("prompt_tokens", "input_tokens", "promptTokens", "inputTokens"),
        number("completion_tokens", "output_tokens", "completionTokens", "outputTokens"),
    )
