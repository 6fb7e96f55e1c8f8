"""What the HTTP providers share: the client, timeouts, and turning failures into clear errors.

Every failure leaves here as a `ProviderError` naming the provider and the URL, marked
`retryable` when another attempt may succeed (429, 5xx, network errors, timeouts), so that
`RetryingProvider` can decide without knowing anything about HTTP.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import httpx

from axo_tui.core.config.schema import ProviderConfig
from axo_tui.core.providers.base import ChatRequest, Message, ProviderError, ToolSpec
from axo_tui.core.providers.retry import parse_retry_after
from axo_tui.core.providers.tokens import estimate_prompt_tokens
from axo_tui.core.providers.wire import (
    ArgumentBudget,
    bounded_lines,
    error_message,
    line_limit,
    snippet,
)

CONNECT_TIMEOUT_CAP = 10.0
"""A host that has not accepted a connection in 10 s is down; no need to wait `timeout_secs`."""
ERROR_BODY_BYTES = 64 * 1024
"""How much of an error response is read: its message is in the first few hundred bytes."""
JSON_BODY_BYTES = 32 * 1024 * 1024
"""The largest metadata answer read (`/v1/models` of a big router is a few MB)."""

_VERSIONED_PATH = re.compile(r"/v\d+[a-z0-9]*(/|$)")


def http_timeout(timeout_secs: float) -> httpx.Timeout:
    """Connect quickly or fail; read (time between bytes) up to `timeout_secs`.

    The read timeout must cover the model's time to first token, which for a large prompt on
    a CPU can be long, hence the full `timeout_secs`.
    """
    return httpx.Timeout(timeout_secs, connect=min(CONNECT_TIMEOUT_CAP, timeout_secs))


def join_versioned(base_url: str, version: str, path: str) -> str:
    """`base_url` + `path`, inserting `/version` unless the base already has a version segment.

    Users paste base URLs both ways ("http://host:1234" and "http://host:1234/v1"; OpenRouter's
    is ".../api/v1", Gemini's OpenAI-compatible one ".../v1beta/openai"), so accept both.
    """
    base = base_url.rstrip("/")
    if _VERSIONED_PATH.search(httpx.URL(base).path):
        return f"{base}/{path.lstrip('/')}"
    return f"{base}/{version}/{path.lstrip('/')}"


def _snippet(text: str, limit: int = 300) -> str:
    return snippet(text, limit)


async def read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Up to `limit` bytes of a streamed response's body, and whether there was more."""
    parts: list[bytes] = []
    size = 0
    async for part in response.aiter_bytes():
        parts.append(part)
        size += len(part)
        if size > limit:
            return b"".join(parts)[:limit], True
    return b"".join(parts), False


class HttpProvider:
    """Base class of the providers that talk to an HTTP endpoint."""

    default_base_url: ClassVar[str] = ""
    kind_label: ClassVar[str] = ""
    """How error messages name the kind of server, e.g. "Ollama"."""

    def __init__(
        self, cfg: ProviderConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.base_url = (cfg.base_url or self.default_base_url).rstrip("/")
        self._client = httpx.AsyncClient(
            transport=transport, timeout=http_timeout(cfg.timeout_secs)
        )
        self._context_windows: dict[str, int | None] = {}
        """What the endpoint said of each model's context length (asked once per model)."""

    # -- what subclasses customise ------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        """Credentials for each request; none by default."""
        return {}

    def not_found_hint(self, model: str) -> str:
        return f"check base_url ({self.base_url}) and that model '{model}' exists"

    # -- shared helpers -----------------------------------------------------------------------

    def model_for(self, request: ChatRequest) -> str:
        model = request.model or self.cfg.model
        if not model:
            raise ProviderError(
                f"{self.name}: no model given; set `model` on the agent or the provider",
                provider=self.name,
            )
        return model

    def headers(self) -> dict[str, str]:
        # Configured headers come last so a user can override anything, e.g. a proxy's auth.
        return {**self.auth_headers(), **dict(self.cfg.headers)}

    def count_tokens(self, messages: tuple[Message, ...], tools: tuple[ToolSpec, ...]) -> int:
        return estimate_prompt_tokens(messages, tools)

    async def aclose(self) -> None:
        await self._client.aclose()

    def http_error(
        self, response: httpx.Response, url: str, model: str, body: bytes
    ) -> ProviderError:
        """A clear, classified error for a non-2xx response, from (the start of) its body."""
        status = response.status_code
        text = body.decode(response.encoding or "utf-8", errors="replace")
        try:
            detail = error_message(json.loads(text)) or _snippet(text)
        except ValueError:  # not JSON, or cut by the size cap
            detail = _snippet(text)
        where = f"HTTP {status} from {url}"
        if detail:
            where += f": {detail}"
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if status == 429 or status == 408 or status >= 500:
            return ProviderError(
                f"{self.name}: {where}",
                provider=self.name,
                status=status,
                retryable=True,
                retry_after=retry_after,
                url=url,
            )
        # Gemini answers a bad key with 400, not 401: recognise it by what it says.
        if status in (401, 403) or "api key" in detail.lower():
            hint = (
                f"check the api_key for provider {self.name}"
                if self.cfg.api_key
                else f"provider {self.name} has no api_key: check the api_key setting"
            )
        elif status == 404:
            hint = self.not_found_hint(model)
        else:
            hint = "the request was rejected; this is not retried"
        return ProviderError(
            f"{self.name}: {where} ({hint})", provider=self.name, status=status, url=url
        )

    def transport_error(self, exc: Exception, url: str) -> ProviderError:
        """Classify an httpx exception raised while connecting, sending or reading."""
        retryable = True
        if isinstance(exc, httpx.ConnectTimeout):
            what = f"timed out connecting to {url}"
        elif isinstance(exc, httpx.TimeoutException):
            what = f"timed out waiting for {url} (timeout_secs={self.cfg.timeout_secs:g})"
        elif isinstance(exc, httpx.ConnectError):
            what = (
                f"cannot connect to {url} ({exc or type(exc).__name__}); {self.unreachable_hint()}"
            )
        elif isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
            what = f"the connection to {url} broke ({exc or type(exc).__name__})"
        else:  # bad URL, unsupported scheme, ...: another try will not help
            retryable = False
            what = f"cannot send a request to {url}: {exc}"
        return ProviderError(
            f"{self.name}: {what}", provider=self.name, retryable=retryable, url=url
        )

    def unreachable_hint(self) -> str:
        return f"is the {self.kind_label or 'server'} at {self.base_url} running?"

    @asynccontextmanager
    async def post_stream(
        self, url: str, body: Mapping[str, Any], *, model: str
    ) -> AsyncIterator[httpx.Response]:
        """POST `body` and yield the streaming response once its status is known to be 2xx.

        httpx errors raised while the caller reads the body surface here too (they are thrown
        back into this generator), so a connection cut mid-stream is classified like any other.
        """
        try:
            async with self._client.stream(
                "POST", url, json=body, headers=self.headers()
            ) as response:
                if response.status_code >= 400:
                    error_body, _ = await read_capped(response, ERROR_BODY_BYTES)
                    raise self.http_error(response, url, model, error_body)
                yield response
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self.transport_error(exc, url) from exc

    def lines(self, response: httpx.Response, url: str) -> AsyncIterator[str]:
        """The response body as lines, none longer than a whole reply could make one."""
        return bounded_lines(
            response.aiter_text(), limit=self.line_limit, provider=self.name, url=url
        )

    @property
    def line_limit(self) -> int:
        return line_limit(self.cfg.max_reply_chars)

    def argument_budget(self, url: str) -> ArgumentBudget:
        """A counter for one reply's tool-call arguments, capped like its text."""
        return ArgumentBudget(self.cfg.max_reply_chars, provider=self.name, url=url)

    async def request_json(
        self, method: str, url: str, *, body: Mapping[str, Any] | None = None, model: str = ""
    ) -> Any:
        """A small non-streaming call (model metadata, listings), errors classified as above.

        Bounded like a chat call: `deadline_secs` in all, and a body of at most
        JSON_BODY_BYTES, so a server trickling or streaming forever cannot hold it.
        """
        deadline = self.cfg.deadline_secs
        try:
            async with asyncio.timeout(deadline):
                return await self._request_json(method, url, body, model)
        except TimeoutError:
            raise ProviderError(
                f"{self.name}: {url} did not answer in full within deadline_secs={deadline:g}",
                provider=self.name,
                retryable=True,
                url=url,
            ) from None

    async def _request_json(
        self, method: str, url: str, body: Mapping[str, Any] | None, model: str
    ) -> Any:
        try:
            async with self._client.stream(
                method, url, json=body, headers=self.headers()
            ) as response:
                if response.status_code >= 400:
                    error_body, _ = await read_capped(response, ERROR_BODY_BYTES)
                    raise self.http_error(response, url, model, error_body)
                content, cut = await read_capped(response, JSON_BODY_BYTES)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self.transport_error(exc, url) from exc
        if cut:
            raise ProviderError(
                f"{self.name}: the answer from {url} is larger than {JSON_BODY_BYTES} bytes; "
                "not read",
                provider=self.name,
                url=url,
            )
        text = content.decode(response.encoding or "utf-8", errors="replace")
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ProviderError(
                f"{self.name}: malformed JSON from {url}: {_snippet(text, 200)!r}",
                provider=self.name,
                url=url,
            ) from exc

    def incomplete_stream(self, url: str) -> ProviderError:
        """The body ended cleanly but before the protocol's end marker: treat it as a cut."""
        return ProviderError(
            f"{self.name}: the stream from {url} ended before the reply was complete",
            provider=self.name,
            retryable=True,
            url=url,
        )
