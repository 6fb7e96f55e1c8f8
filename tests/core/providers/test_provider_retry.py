"""Retries, stall timeout, interrupted streams and fallback, over a real socket (Ollama wire)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from axo_tui.core.config.schema import ProviderConfig, ProviderKind
from axo_tui.core.providers.base import ChatRequest, Message, Provider, ProviderError
from axo_tui.core.providers.ollama import OllamaProvider
from axo_tui.core.providers.registry import build_provider
from axo_tui.core.providers.retry import RetryingProvider, RetryPolicy, parse_retry_after
from tests.support.model_server import Cut, ModelServer, Pause, Reply, closed_port
from tests.support.providers import RecordingSleep, collect

REQUEST = ChatRequest(model="", messages=(Message("user", "hi"),))


def text(content: str) -> dict[str, Any]:
    return {"message": {"role": "assistant", "content": content}, "done": False}


DONE = {"done": True, "done_reason": "stop", "prompt_eval_count": 3, "eval_count": 2}
OK = Reply.ndjson([text("Hello"), text(" world"), DONE])


def config(base_url: str, name: str = "ollama", **kwargs: Any) -> ProviderConfig:
    defaults: dict[str, Any] = {"model": "llama3.2", "max_retries": 2, "timeout_secs": 5.0}
    return ProviderConfig(
        name=name, kind=ProviderKind.OLLAMA, base_url=base_url, **{**defaults, **kwargs}
    )


def build(cfg: ProviderConfig, sleeps: RecordingSleep, *others: ProviderConfig) -> Provider:
    everything = {c.name: c for c in (cfg, *others)}
    return build_provider(cfg, all_providers=everything, sleep=sleeps)


async def test_a_500_is_retried_then_succeeds(server: ModelServer, sleeps: RecordingSleep) -> None:
    server.reply("/api/chat", Reply.json({"error": "boom"}, 500), OK)
    provider = build(config(server.url), sleeps)
    deltas, final = await collect(provider, REQUEST)
    await provider.aclose()
    assert "".join(deltas) == final.text == "Hello world"
    assert len(server.requests) == 2
    assert len(sleeps.calls) == 1
    assert 0 <= sleeps.calls[0] <= 0.5  # full jitter below the first backoff step


async def test_429_retry_after_is_honoured(server: ModelServer, sleeps: RecordingSleep) -> None:
    limited = Reply.json({"error": "slow down"}, 429, headers={"retry-after": "7"})
    server.reply("/api/chat", limited, OK)
    provider = build(config(server.url), sleeps)
    _, final = await collect(provider, REQUEST)
    await provider.aclose()
    assert final.text == "Hello world"
    assert sleeps.calls == [7.0]


async def test_retry_after_is_capped(server: ModelServer, sleeps: RecordingSleep) -> None:
    limited = Reply.json({"error": "slow down"}, 429, headers={"retry-after": "86400"})
    server.reply("/api/chat", limited, OK)
    provider = build(config(server.url), sleeps)
    await collect(provider, REQUEST)
    await provider.aclose()
    assert sleeps.calls == [RetryPolicy().retry_after_cap]


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3", now=now) == 3.0
    assert parse_retry_after("1.5", now=now) == 1.5
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


def test_backoff_doubles_and_is_capped() -> None:
    dummy = OllamaProvider(config("http://127.0.0.1:1"))
    retrying = RetryingProvider(
        dummy, RetryPolicy(backoff_base=0.5, backoff_cap=3.0), jitter=lambda: 1.0
    )
    assert [retrying.backoff_delay(n, None) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert retrying.backoff_delay(1, 2.5) == 2.5


async def test_a_stalled_stream_times_out_is_retried_then_fails(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    # Blank lines keep the socket busy (httpx's read timeout never fires) but carry no chunk.
    stalled = Reply.ndjson([b"\n", Pause(0.15), b"\n", Pause(0.15), b"\n", Pause(5)])
    server.reply("/api/chat", stalled, stalled, stalled)
    provider = RetryingProvider(
        OllamaProvider(config(server.url)),
        RetryPolicy(max_retries=2, stall_timeout=0.25),
        sleep=sleeps,
    )
    with pytest.raises(ProviderError) as info:
        await collect(provider, REQUEST)
    await provider.aclose()
    assert "stalled (no data for 0.25s)" in str(info.value)
    assert "gave up after 3 attempts" in str(info.value)
    assert len(server.requests) == 3
    assert len(sleeps.calls) == 2


async def test_a_silent_socket_hits_the_read_timeout(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    silent = Reply.ndjson([Pause(5)])
    server.reply("/api/chat", silent, silent)
    provider = RetryingProvider(
        OllamaProvider(config(server.url, timeout_secs=0.3)),
        RetryPolicy(max_retries=1, stall_timeout=None),
        sleep=sleeps,
    )
    with pytest.raises(ProviderError) as info:
        await collect(provider, REQUEST)
    await provider.aclose()
    assert str(info.value) == (
        f"ollama: timed out waiting for {server.url}/api/chat (timeout_secs=0.3)"
        " (gave up after 2 attempts)"
    )
    assert info.value.retryable
    assert len(server.requests) == 2


async def test_a_cut_after_output_is_not_retried(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    server.reply("/api/chat", Reply.ndjson([text("Hello"), Pause(0.05), Cut()]), OK)
    provider = build(config(server.url), sleeps)
    deltas: list[str] = []
    with pytest.raises(ProviderError, match="stream interrupted after 5 chars") as info:
        async for chunk in provider.stream(REQUEST):
            deltas.append(getattr(chunk, "text", ""))
    await provider.aclose()
    assert deltas == ["Hello"]  # delivered once, never duplicated by a retry
    assert not info.value.retryable
    assert len(server.requests) == 1
    assert sleeps.calls == []


async def test_a_cut_before_output_is_retried(server: ModelServer, sleeps: RecordingSleep) -> None:
    server.reply("/api/chat", Reply.ndjson([Cut()]), OK)
    provider = build(config(server.url), sleeps)
    _, final = await collect(provider, REQUEST)
    await provider.aclose()
    assert final.text == "Hello world"
    assert len(server.requests) == 2


async def test_a_body_ending_without_done_counts_as_a_cut(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    # Connection-delimited body: the cut looks like a clean end, only `done` is missing.
    server.reply("/api/chat", Reply.ndjson([], framing="close"), OK)
    provider = build(config(server.url), sleeps)
    _, final = await collect(provider, REQUEST)
    await provider.aclose()
    assert final.text == "Hello world"
    assert len(server.requests) == 2


async def test_malformed_json_is_a_clear_error(server: ModelServer, sleeps: RecordingSleep) -> None:
    server.reply("/api/chat", Reply.ndjson([b'{"message": {"content": "Hi"\n']), OK)
    provider = build(config(server.url), sleeps)
    with pytest.raises(ProviderError, match=r"ollama: the server sent malformed JSON") as info:
        await collect(provider, REQUEST)
    await provider.aclose()
    assert f"{server.url}/api/chat" in str(info.value)
    assert len(server.requests) == 1


async def test_401_is_not_retried_and_points_at_the_api_key(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    server.reply("/api/chat", Reply.json({"error": "unauthorized"}, 401), OK)
    provider = build(config(server.url, name="homelab", api_key="wrong"), sleeps)
    with pytest.raises(ProviderError, match="check the api_key for provider homelab") as info:
        await collect(provider, REQUEST)
    await provider.aclose()
    assert info.value.status == 401
    assert len(server.requests) == 1
    assert sleeps.calls == []


async def test_connection_refused_is_retried_then_named(sleeps: RecordingSleep) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    provider = build(config(url), sleeps)
    with pytest.raises(ProviderError) as info:
        await collect(provider, REQUEST)
    await provider.aclose()
    message = str(info.value)
    assert message.startswith("ollama: cannot connect to")
    assert f"{url}/api/chat" in message
    assert "gave up after 3 attempts" in message
    assert info.value.url == f"{url}/api/chat"
    assert len(sleeps.calls) == 2


async def test_the_last_error_names_status_url_and_attempts(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    busy = Reply.json({"error": "overloaded"}, 503)
    server.reply("/api/chat", busy, busy, busy)
    provider = build(config(server.url), sleeps)
    with pytest.raises(ProviderError) as info:
        await collect(provider, REQUEST)
    await provider.aclose()
    assert str(info.value) == (
        f"ollama: HTTP 503 from {server.url}/api/chat: overloaded (gave up after 3 attempts)"
    )
    assert info.value.status == 503


async def test_fallback_takes_over_after_the_primary_exhausts_retries(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    server.reply("/api/chat", OK)
    primary = config(f"http://127.0.0.1:{closed_port()}", name="primary", fallback="backup")
    backup = config(server.url, name="backup", model="qwen3:4b")
    provider = build(primary, sleeps, backup)
    _, final = await collect(provider, REQUEST)
    await provider.aclose()
    assert final.text == "Hello world"
    assert final.provider == "backup"
    assert server.requests[0].json()["model"] == "qwen3:4b"
    assert len(sleeps.calls) == 2  # the primary's retries happened first


async def test_fallback_is_not_used_for_a_non_retryable_error(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    server.reply("/api/chat", Reply.json({"error": "bad key"}, 403), OK)
    primary = config(server.url, name="primary", fallback="backup")
    backup = config(server.url, name="backup")
    provider = build(primary, sleeps, backup)
    with pytest.raises(ProviderError, match="provider primary has no api_key"):
        await collect(provider, REQUEST)
    await provider.aclose()
    assert len(server.requests) == 1


async def test_both_failing_reports_both(sleeps: RecordingSleep) -> None:
    primary = config(f"http://127.0.0.1:{closed_port()}", name="primary", fallback="backup")
    backup = config(f"http://127.0.0.1:{closed_port()}", name="backup", max_retries=0)
    provider = build(primary, sleeps, backup)
    with pytest.raises(ProviderError) as info:
        await collect(provider, REQUEST)
    await provider.aclose()
    assert "primary: cannot connect" in str(info.value)
    assert "the fallback provider backup failed too: backup: cannot connect" in str(info.value)
