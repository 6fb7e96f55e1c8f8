"""build_provider wiring, prices, the token estimate, and keeping httpx out of cheap imports."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from axo_tui.core.config.schema import ProviderConfig, ProviderKind
from axo_tui.core.providers.anthropic import AnthropicProvider
from axo_tui.core.providers.base import Message, Provider, ProviderError, ToolCall, ToolSpec, Usage
from axo_tui.core.providers.gemini import GeminiProvider
from axo_tui.core.providers.ollama import OllamaProvider
from axo_tui.core.providers.openai import OpenAIProvider
from axo_tui.core.providers.pricing import estimate_cost
from axo_tui.core.providers.registry import build_provider
from axo_tui.core.providers.retry import RetryingProvider
from axo_tui.core.providers.tokens import estimate_prompt_tokens, estimate_text_tokens


def cfg(name: str, kind: ProviderKind, **kwargs: object) -> ProviderConfig:
    return ProviderConfig(name=name, kind=kind, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        (ProviderKind.OLLAMA, OllamaProvider),
        (ProviderKind.OPENAI, OpenAIProvider),
        (ProviderKind.ANTHROPIC, AnthropicProvider),
        (ProviderKind.GEMINI, GeminiProvider),
    ],
)
async def test_http_kinds_are_wrapped_in_retries(kind: ProviderKind, cls: type) -> None:
    config = cfg("p", kind, max_retries=5, timeout_secs=30.0)
    provider = build_provider(config, all_providers={"p": config})
    assert isinstance(provider, RetryingProvider)
    assert isinstance(provider, Provider)
    assert isinstance(provider.inner, cls)
    assert provider.policy.max_retries == 5
    assert provider.policy.stall_timeout == 30.0
    assert provider.name == "p"
    await provider.aclose()


async def test_fallback_chain_is_built_with_its_model() -> None:
    primary = cfg("a", ProviderKind.OPENAI, fallback="b")
    backup = cfg("b", ProviderKind.OLLAMA, model="llama3.2", fallback="c")
    last = cfg("c", ProviderKind.SCRIPTED)
    provider = build_provider(primary, all_providers={"a": primary, "b": backup, "c": last})
    assert isinstance(provider, RetryingProvider)
    assert provider.fallback_model == "llama3.2"
    assert isinstance(provider.fallback, RetryingProvider)
    assert provider.fallback.fallback is not None
    assert provider.fallback.fallback.name == "c"
    await provider.aclose()


def test_unknown_and_cyclic_fallbacks_are_clear_errors() -> None:
    lonely = cfg("a", ProviderKind.OLLAMA, fallback="nope")
    with pytest.raises(ProviderError, match="fallback 'nope' is not a configured provider"):
        build_provider(lonely, all_providers={"a": lonely})
    a = cfg("a", ProviderKind.OLLAMA, fallback="b")
    b = cfg("b", ProviderKind.OPENAI, fallback="a")
    with pytest.raises(ProviderError, match=r"cycle \(a -> b -> a\)"):
        build_provider(a, all_providers={"a": a, "b": b})


@pytest.mark.skipif(
    importlib.util.find_spec("axo_tui.core.providers.local") is not None,
    reason="the embedded model module exists here",
)
def test_local_without_the_embedded_model_is_a_clear_error() -> None:
    local = cfg("local", ProviderKind.LOCAL)
    with pytest.raises(ProviderError, match="embedded model isn't available"):
        build_provider(local, all_providers={"local": local})


@pytest.mark.skipif(
    importlib.util.find_spec("axo_tui.core.providers.local") is None,
    reason="the embedded model module is not there",
)
async def test_local_is_built_from_the_embedded_model_module() -> None:
    local = cfg("local", ProviderKind.LOCAL, model_path="/nonexistent.gguf")
    provider = build_provider(local, all_providers={"local": local})
    assert isinstance(provider, RetryingProvider)
    assert type(provider.inner).__name__ == "LocalProvider"
    await provider.aclose()


def test_importing_the_registry_does_not_load_httpx() -> None:
    code = (
        "import sys, axo_tui.core.providers, axo_tui.core.providers.registry, "
        "axo_tui.core.providers.retry, axo_tui.core.providers.scripted, "
        "axo_tui.core.providers.pricing\n"
        "loaded = sorted(m for m in ('httpx', 'textual', 'rich', 'typer') if m in sys.modules)\n"
        "print(','.join(loaded))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cost_from_exact_and_glob_prices() -> None:
    priced = cfg(
        "openai",
        ProviderKind.OPENAI,
        prices=(("gpt-4o-mini", 0.15, 0.60), ("gpt-4o*", 2.5, 10.0)),
    )
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=500_000)
    assert estimate_cost(priced, "gpt-4o-mini", usage) == pytest.approx(0.15 + 0.30)
    assert estimate_cost(priced, "gpt-4o-2024-08-06", usage) == pytest.approx(2.5 + 5.0)
    assert estimate_cost(priced, "o3", usage) is None
    assert estimate_cost(cfg("ollama", ProviderKind.OLLAMA), "llama3.2", usage) == 0.0
    assert estimate_cost(cfg("demo", ProviderKind.SCRIPTED), "x", usage) == 0.0


def test_token_estimate_is_deterministic_and_counts_everything() -> None:
    assert estimate_text_tokens("") == 0
    assert estimate_text_tokens("abcdefg") == 2
    assert estimate_text_tokens("abcdefgh") == 3  # rounded up
    hello = (Message("user", "x" * 35),)
    assert estimate_prompt_tokens(hello) == 10 + 4 + 3
    with_call = (
        Message("user", "x" * 35),
        Message("assistant", "", tool_calls=(ToolCall("c", "search", {"q": "leaf"}),)),
    )
    assert estimate_prompt_tokens(with_call) > estimate_prompt_tokens(hello) + 4
    tool = ToolSpec(
        "search", "Search the web", {"type": "object", "properties": {"q": {"type": "string"}}}
    )
    assert estimate_prompt_tokens(hello, (tool,)) > estimate_prompt_tokens(hello) + 8
    assert estimate_prompt_tokens(hello, (tool,)) == estimate_prompt_tokens(hello, (tool,))
