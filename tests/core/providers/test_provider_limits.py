"""Limits against hostile or broken servers, over real sockets: the whole-call deadline, the
reply size cap, endless lines, events, tool arguments and error bodies, absurd usage figures."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import pytest

from axo_tui.core.config.schema import ProviderConfig, ProviderKind
from axo_tui.core.providers.base import ChatRequest, Message, Provider, ProviderError
from axo_tui.core.providers.registry import build_provider
from axo_tui.core.providers.retry import DeadlineExceeded, cut_notice
from tests.support.model_server import ModelServer, Pause, Reply
from tests.support.providers import RecordingSleep, collect

HI = ChatRequest(model="", messages=(Message("user", "hi"),))
CHAT = "/v1/chat/completions"


def sse_text(content: str) -> bytes:
    chunk = {"model": "m", "choices": [{"index": 0, "delta": {"content": content}}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


def sse_finish() -> bytes:
    chunk = {"model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    return f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()


def sse(parts: Any) -> Reply:
    """A chunked SSE reply whose body may be endless (any iterable of parts)."""
    return Reply(headers={"content-type": "text/event-stream"}, body=parts)


def openai(server: ModelServer, sleeps: RecordingSleep, **settings: Any) -> Provider:
    defaults: dict[str, Any] = {"model": "m", "timeout_secs": 5.0, "max_retries": 2}
    cfg = ProviderConfig(
        name="openai", kind=ProviderKind.OPENAI, base_url=server.url, **{**defaults, **settings}
    )
    return build_provider(cfg, all_providers={"openai": cfg}, sleep=sleeps)


async def drain(provider: Provider) -> tuple[list[str], Any]:
    try:
        return await collect(provider, HI)
    finally:
        await provider.aclose()


# -- the deadline --------------------------------------------------------------------------


async def test_a_trickling_reply_fails_at_the_deadline(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    # A chunk every 50 ms never trips the 5 s gap timeout; only a whole-call deadline ends it.
    trickle = itertools.chain.from_iterable(itertools.repeat([sse_text("a"), Pause(0.05)]))
    server.reply(CHAT, sse(trickle))
    provider = openai(server, sleeps, deadline_secs=0.5)
    with pytest.raises(DeadlineExceeded) as caught:
        await drain(provider)
    message = str(caught.value)
    assert "deadline_secs=0.5" in message
    assert "chars of reply" in message  # the user learns a partial reply was under way
    assert len(server.received(CHAT)) == 1  # text was delivered: never asked again


async def test_a_silent_start_past_the_deadline_goes_to_the_fallback(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    keepalive = itertools.chain.from_iterable(itertools.repeat([b": ping\n\n", Pause(0.05)]))
    server.reply(CHAT, sse(keepalive))
    scripted = ProviderConfig(name="canned", kind=ProviderKind.SCRIPTED)
    cfg = ProviderConfig(
        name="openai",
        kind=ProviderKind.OPENAI,
        base_url=server.url,
        model="m",
        timeout_secs=5.0,
        deadline_secs=0.5,
        fallback="canned",
    )
    provider = build_provider(cfg, all_providers={"openai": cfg, "canned": scripted}, sleep=sleeps)
    _, final = await drain(provider)
    assert final.provider == "canned"


async def test_a_retry_after_past_the_deadline_is_not_waited_for(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    busy = Reply.json({"error": {"message": "busy"}}, 429, headers={"retry-after": "86400"})
    server.reply(CHAT, busy, busy, busy)
    provider = openai(server, sleeps, deadline_secs=30.0)
    with pytest.raises(DeadlineExceeded, match="deadline_secs=30"):
        await drain(provider)
    assert sleeps.calls == []  # the capped 60 s wait would pass the 30 s deadline
    assert len(server.received(CHAT)) == 1


async def test_a_model_listing_that_never_ends_is_bounded_by_the_deadline(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    trickle = itertools.chain.from_iterable(itertools.repeat([b" ", Pause(0.05)]))
    endless = Reply(body=itertools.chain([b'{"data": ['], trickle))  # type: ignore[arg-type]
    server.reply("/v1/models", endless)
    from axo_tui.core.providers.openai import OpenAIProvider

    cfg = ProviderConfig(
        name="openai", kind=ProviderKind.OPENAI, base_url=server.url, deadline_secs=0.5
    )
    provider = OpenAIProvider(cfg)
    try:
        with pytest.raises(ProviderError, match=r"deadline_secs=0\.5"):
            await provider.list_models()
    finally:
        await provider.aclose()


# -- the reply size cap ----------------------------------------------------------------------


async def test_an_endless_reply_is_cut_at_the_cap_and_says_so(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    server.reply(CHAT, sse(itertools.repeat(sse_text("x" * 100))))
    provider = openai(server, sleeps, max_reply_chars=1000)
    deltas, final = await asyncio.wait_for(drain(provider), 30)
    notice = cut_notice(1000, "openai")
    assert "".join(deltas) == final.text == "x" * 1000 + notice
    assert "max_reply_chars" in notice
    assert final.finish_reason == "length"
    assert final.usage.completion_tokens > 0


async def test_a_reply_under_the_cap_is_untouched(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    server.reply(CHAT, sse([sse_text("y" * 999), sse_finish()]))
    provider = openai(server, sleeps, max_reply_chars=1000)
    deltas, final = await drain(provider)
    assert "".join(deltas) == final.text == "y" * 999
    assert final.finish_reason == "stop"


async def test_one_endless_line_is_refused(server: ModelServer, sleeps: RecordingSleep) -> None:
    server.reply(CHAT, sse(itertools.chain([b'data: {"x": "'], itertools.repeat(b"z" * 4096))))
    provider = openai(server, sleeps, max_reply_chars=1000)
    with pytest.raises(ProviderError, match="a line of more than"):
        await asyncio.wait_for(drain(provider), 30)


async def test_an_event_of_endless_data_lines_is_refused(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    server.reply(CHAT, sse(itertools.repeat(b"data: " + b"z" * 100 + b"\n")))
    provider = openai(server, sleeps, max_reply_chars=1000)
    with pytest.raises(ProviderError, match="a line of more than"):
        await asyncio.wait_for(drain(provider), 30)


async def test_endless_tool_call_arguments_are_refused(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    def fragment(text: str) -> bytes:
        piece = {"index": 0, "id": "c1", "function": {"name": "f", "arguments": text}}
        chunk = {"choices": [{"index": 0, "delta": {"tool_calls": [piece]}}]}
        return f"data: {json.dumps(chunk)}\n\n".encode()

    server.reply(CHAT, sse(itertools.repeat(fragment('"aaaaaaaaaa'))))
    provider = openai(server, sleeps, max_reply_chars=1000)
    with pytest.raises(ProviderError, match="tool-call arguments passed 1000"):
        await asyncio.wait_for(drain(provider), 30)


async def test_a_huge_error_body_is_not_read_to_its_end(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    # 200 KB of error page, then the server hangs: only the start of it may be read.
    page = [b"<html>" + b"oops " * 40_000, Pause(60)]
    server.reply(CHAT, Reply(400, {"content-type": "text/html"}, page))
    provider = openai(server, sleeps)
    with pytest.raises(ProviderError, match="HTTP 400") as caught:
        await asyncio.wait_for(drain(provider), 30)
    assert len(str(caught.value)) < 1000


async def test_a_huge_error_message_in_the_stream_is_quoted_short(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    error = {"error": {"message": "bad " * 50_000}}
    server.reply(CHAT, sse([f"data: {json.dumps(error)}\n\n".encode()]))
    provider = openai(server, sleeps)
    with pytest.raises(ProviderError) as caught:
        await drain(provider)
    assert len(str(caught.value)) < 1000


async def test_absurd_usage_figures_are_replaced_by_estimates(
    server: ModelServer, sleeps: RecordingSleep
) -> None:
    usage = {"choices": [], "usage": {"prompt_tokens": 10**30, "completion_tokens": -5}}
    server.reply(
        CHAT, sse([sse_text("hello"), f"data: {json.dumps(usage)}\n\n".encode(), sse_finish()])
    )
    provider = openai(server, sleeps)
    _, final = await drain(provider)
    assert 0 < final.usage.prompt_tokens < 100
    assert 0 < final.usage.completion_tokens < 100


def test_line_ends_split_across_chunks() -> None:
    from axo_tui.core.providers.wire import bounded_lines

    async def lines(*chunks: str) -> list[str]:
        async def source() -> Any:
            for chunk in chunks:
                yield chunk

        return [line async for line in bounded_lines(source(), limit=100, provider="p", url="u")]

    assert asyncio.run(lines("a\r", "\nb\rc\n", "\u2028d")) == ["a", "b", "c", "\u2028d"]
    assert asyncio.run(lines("a", "b", "c\n\n")) == ["abc", ""]
