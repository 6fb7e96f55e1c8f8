"""The provider contract: one streaming chat call, typed messages in, typed chunks out.

Every provider (Ollama, OpenAI-compatible, Anthropic, Gemini, the embedded local model, the
scripted one) implements `Provider`. The agent loop consumes `stream()`: zero or more
`TextDelta` chunks, then exactly one `Completion` carrying the whole reply, the complete
tool calls and the real token usage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from axo_tui.core.base.errors import AxoError
from axo_tui.core.base.redact import redact_secrets

MessageRole = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    """A request from the model to run one tool."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Message:
    role: MessageRole
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    """For role `tool`: which call this is the result of."""
    name: str | None = None
    """For role `tool`: the tool's name (Gemini and Ollama want it)."""


@dataclass(frozen=True)
class ToolSpec:
    """A tool offered to the model: its name, what it does, its JSON-schema parameters."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[Message, ...]
    tools: tuple[ToolSpec, ...] = ()
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    agent_id: str | None = None
    """Who is asking: the scripted provider picks per-agent scripts with it."""


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class Completion:
    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    finish_reason: str = "stop"
    model: str = ""
    provider: str = ""


StreamChunk = TextDelta | Completion


class ProviderError(AxoError):
    """A provider call failed. The message names the provider, the URL and what to do.

    Credentials in a URL (`http://user:pass@host`, `?api_key=`) are redacted here, once, so
    no message or `url` carries them into the terminal, the journal or the logs.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(redact_secrets(message))
        self.provider = provider
        self.status = status
        self.retryable = retryable
        """True for transient failures (429, 5xx, network, timeouts) worth another try."""
        self.retry_after = retry_after
        """Seconds the server asked us to wait (Retry-After), if it said."""
        self.url = redact_secrets(url) if url else url
        """The endpoint that failed, when there was one."""


@runtime_checkable
class Provider(Protocol):
    """A chat model endpoint."""

    name: str

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Stream one reply. Raises ProviderError; the last chunk is always a Completion."""
        ...

    async def context_window(self, model: str) -> int | None:
        """The model's real context length in tokens, or None when the endpoint cannot say."""
        ...

    def count_tokens(self, messages: tuple[Message, ...], tools: tuple[ToolSpec, ...]) -> int:
        """An estimate of the prompt tokens, used by budgets before the call is made."""
        ...

    async def aclose(self) -> None: ...


async def complete(provider: Provider, request: ChatRequest) -> Completion:
    """Drain a stream and return its final Completion."""
    final: Completion | None = None
    async for chunk in provider.stream(request):
        if isinstance(chunk, Completion):
            final = chunk
    if final is None:
        raise ProviderError(
            f"{provider.name}: the stream ended without a final reply", provider=provider.name
        )
    return final
