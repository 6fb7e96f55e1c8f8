"""Retries, stall detection and fallback around any provider.

The rules, and why:

- Transient failures (429, 5xx, network errors, timeouts; a provider marks them with
  `ProviderError.retryable`) are retried with exponential backoff and full jitter, so that many
  agents hitting the same rate limit do not retry in lockstep. A server's `Retry-After` wins
  over the computed delay (capped, so a hostile value cannot park an agent for an hour).
- Once any text of a reply has reached the caller, nothing is retried: a second attempt would
  stream the reply again from its start and the user would see duplicated text. The caller
  gets "stream interrupted after N chars" instead. A stream cut before its first chunk is
  invisible to the caller and is retried like any other transient error.
- The stall timeout bounds the gap between two chunks. httpx's read timeout already catches a
  silent socket; this catches a server that keeps the socket busy with keep-alive comments or
  pings while producing nothing.
- The deadline bounds the whole call, attempts and the waits between them included: a server
  trickling a chunk a second never stalls, yet must not hold an agent forever. A wait that
  would end past the deadline is not started.
- A reply longer than `max_reply_chars` is cut there: the caller gets the text up to the cap,
  a note saying it was cut, and a Completion with finish reason "length". The rest is never
  read, so an endless reply costs neither memory nor disk.
- After the last attempt, an optional fallback provider gets the request, but only if the
  primary failed transiently and produced no output.

This module must not import httpx: it also wraps the embedded local model.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from axo_tui.core.providers.base import (
    ChatRequest,
    Completion,
    Message,
    Provider,
    ProviderError,
    StreamChunk,
    TextDelta,
    ToolSpec,
    Usage,
)
from axo_tui.core.providers.tokens import estimate_text_tokens

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date.

    Returns None for a missing or unparseable value, never a negative number.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT even when they do not say so
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    """Retries after the first attempt: 3 means up to 4 attempts in all."""
    backoff_base: float = 0.5
    """Upper bound of the first delay, in seconds; it doubles with each retry."""
    backoff_cap: float = 20.0
    """Upper bound of any computed delay."""
    retry_after_cap: float = 60.0
    """Longest server-requested wait we honour."""
    stall_timeout: float | None = 120.0
    """Longest gap between two chunks of a stream; None disables the check."""
    deadline: float | None = 600.0
    """Longest a whole call may take, retries included; None disables it."""
    max_reply_chars: int | None = 500_000
    """Longest reply text passed on; a longer one is cut. None disables the cap."""

    @property
    def attempts(self) -> int:
        return max(0, self.max_retries) + 1


T = TypeVar("T")


@asynccontextmanager
async def closing_stream(stream: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """Close a provider's stream on exit, not when it is garbage-collected.

    `async for` does not close a generator it leaves early; closing it at once returns its
    HTTP connection to the pool (or drops it) before the next attempt starts.
    """
    try:
        yield stream
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()


def cut_notice(limit: int, provider: str) -> str:
    """The line appended to a reply cut at `limit` characters, for the user and the record."""
    return (
        f"\n\n[axo: reply cut at {limit} characters: it passed max_reply_chars of provider "
        f"{provider}]"
    )


class DeadlineExceeded(ProviderError):
    """The whole call ran past `deadline_secs`. Not retried: there is no time left."""


class _Progress:
    """What one call has delivered so far; shared between the attempts of that call."""

    def __init__(self, deadline_at: float | None) -> None:
        self.chars = 0
        self.started = False
        self.text: list[str] = []
        """The text delivered, kept only to build the Completion of a reply cut short."""
        self.deadline_at = deadline_at
        """The event loop's clock reading at which the call fails; None for no deadline."""


class RetryingProvider:
    """Wraps a provider with retries, a stall timeout and an optional fallback.

    Args:
        inner: the provider doing the real work.
        policy: attempts, backoff and stall settings.
        fallback: used when `inner` still fails transiently after the last attempt.
        fallback_model: the model to ask the fallback for; None keeps the request's model.
        sleep: waits between attempts (injectable so tests do not wait).
        jitter: returns a float in [0, 1) scaling each computed delay (injectable for tests).
    """

    def __init__(
        self,
        inner: Provider,
        policy: RetryPolicy | None = None,
        *,
        fallback: Provider | None = None,
        fallback_model: str | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.policy = policy or RetryPolicy()
        self.fallback = fallback
        self.fallback_model = fallback_model
        self._sleep = sleep
        self._jitter = jitter
        self.on_retry: Callable[[ChatRequest, int, float, ProviderError], None] | None = None
        """Told (request, failed attempt, delay, error) before each retry's wait: the
        runtime turns it into an `llm.retry` event for telemetry."""

    def backoff_delay(self, attempt: int, retry_after: float | None) -> float:
        """The wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.policy.retry_after_cap)
        ceiling = min(self.policy.backoff_cap, self.policy.backoff_base * 2.0 ** (attempt - 1))
        return self._jitter() * ceiling

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        deadline = self.policy.deadline
        now = asyncio.get_running_loop().time()
        progress = _Progress(None if deadline is None else now + deadline)
        try:
            async with closing_stream(self._attempts(request, progress)) as chunks:
                async for chunk in chunks:
                    yield chunk
            return
        except ProviderError as error:
            if self.fallback is None or progress.started or not error.retryable:
                raise
            failure = error
        log.warning(
            "%s failed (%s); trying fallback provider %s", self.name, failure, self.fallback.name
        )
        fallback_request = (
            replace(request, model=self.fallback_model) if self.fallback_model else request
        )
        try:
            async with closing_stream(self.fallback.stream(fallback_request)) as chunks:
                async for chunk in chunks:
                    yield chunk
        except ProviderError as fallback_error:
            raise ProviderError(
                f"{failure}; the fallback provider {self.fallback.name} failed too: {fallback_error}",
                provider=self.name,
                status=fallback_error.status,
                retryable=fallback_error.retryable,
                url=fallback_error.url,
            ) from fallback_error

    async def _attempts(
        self, request: ChatRequest, progress: _Progress
    ) -> AsyncIterator[StreamChunk]:
        attempts = self.policy.attempts
        limit = self.policy.max_reply_chars
        for attempt in range(1, attempts + 1):
            try:
                guarded = self._guard_stalls(self.inner.stream(request), progress)
                async with closing_stream(guarded) as chunks:
                    async for chunk in chunks:
                        if isinstance(chunk, TextDelta) and chunk.text:
                            if limit is not None and progress.chars + len(chunk.text) > limit:
                                for cut in self._cut(request, progress, chunk.text, limit):
                                    yield cut
                                return  # closing the stream stops the provider reading
                            progress.started = True
                            progress.chars += len(chunk.text)
                            if limit is not None:
                                progress.text.append(chunk.text)
                        yield chunk
                return
            except ProviderError as error:
                if not error.retryable or isinstance(error, DeadlineExceeded):
                    raise
                if progress.started:
                    raise ProviderError(
                        f"{self.name}: stream interrupted after {progress.chars} chars ({error}); "
                        "not retried because the partial reply was already delivered",
                        provider=self.name,
                        status=error.status,
                        retryable=False,
                        url=error.url,
                    ) from error
                if attempt == attempts:
                    raise ProviderError(
                        f"{error} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})",
                        provider=error.provider or self.name,
                        status=error.status,
                        retryable=True,
                        retry_after=error.retry_after,
                        url=error.url,
                    ) from error
                delay = self.backoff_delay(attempt, error.retry_after)
                self._check_time_for(delay, progress, error)
                log.warning(
                    "%s: attempt %d/%d failed (%s); retrying in %.2fs",
                    self.name,
                    attempt,
                    attempts,
                    error,
                    delay,
                )
                if self.on_retry is not None:
                    self.on_retry(request, attempt, delay, error)
                await self._sleep(delay)

    def _cut(
        self, request: ChatRequest, progress: _Progress, text: str, limit: int
    ) -> list[StreamChunk]:
        """The end of a reply cut at `limit` characters: its last text, a note, a Completion."""
        head = text[: limit - progress.chars]
        notice = cut_notice(limit, self.name)
        log.warning("%s: reply cut at %d characters (max_reply_chars)", self.name, limit)
        reply = "".join(progress.text) + head + notice
        usage = Usage(
            self.inner.count_tokens(request.messages, request.tools), estimate_text_tokens(reply)
        )
        chunks: list[StreamChunk] = [TextDelta(head)] if head else []
        return [
            *chunks,
            TextDelta(notice),
            Completion(reply, (), usage, "length", request.model, self.name),
        ]

    def _check_time_for(self, delay: float, progress: _Progress, error: ProviderError) -> None:
        """Give up now when waiting `delay` seconds would end past the deadline."""
        if progress.deadline_at is None:
            return
        if asyncio.get_running_loop().time() + delay >= progress.deadline_at:
            raise DeadlineExceeded(
                f"{error} (not retried: waiting {delay:.3g}s more would pass "
                f"deadline_secs={self.policy.deadline:g})",
                provider=error.provider or self.name,
                status=error.status,
                retryable=True,
                url=error.url,
            ) from error

    async def _guard_stalls(
        self, stream: AsyncIterator[StreamChunk], progress: _Progress
    ) -> AsyncIterator[StreamChunk]:
        stall = self.policy.stall_timeout
        loop = asyncio.get_running_loop()
        while True:
            stall_at = None if stall is None else loop.time() + stall
            deadline_at = progress.deadline_at
            deadline_first = deadline_at is not None and (
                stall_at is None or deadline_at <= stall_at
            )
            try:
                # asyncio.timeout (not wait_for) keeps the inner generator in this task,
                # which httpx's connection handling relies on.
                async with asyncio.timeout_at(deadline_at if deadline_first else stall_at):
                    chunk = await anext(stream)
            except StopAsyncIteration:
                return
            except TimeoutError as exc:
                if deadline_first:
                    raise self._deadline_error(progress) from exc
                raise ProviderError(
                    f"{self.name}: the stream stalled (no data for {stall:g}s)",
                    provider=self.name,
                    retryable=True,
                ) from exc
            yield chunk

    def _deadline_error(self, progress: _Progress) -> DeadlineExceeded:
        got = f" after {progress.chars} chars of reply" if progress.started else ""
        return DeadlineExceeded(
            f"{self.name}: no complete reply within deadline_secs={self.policy.deadline:g} "
            f"(the longest one call may take){got}; raise deadline_secs for slow models",
            provider=self.name,
            # Nothing delivered: a fallback provider may still answer in time.
            retryable=not progress.started,
        )

    async def context_window(self, model: str) -> int | None:
        return await self.inner.context_window(model)

    def count_tokens(self, messages: tuple[Message, ...], tools: tuple[ToolSpec, ...]) -> int:
        return self.inner.count_tokens(messages, tools)

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            if self.fallback is not None:
                await self.fallback.aclose()
