"""Build a ready-to-use provider from its config: the right class, retries, fallback chain.

Provider modules are imported inside `build_provider`, not at the top: this module is loaded
by code that `axo --help` reaches, and httpx (or llama_cpp) must not load there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING

from axo_tui.core.config.schema import ProviderConfig, ProviderKind
from axo_tui.core.providers.base import Provider, ProviderError
from axo_tui.core.providers.retry import RetryingProvider, RetryPolicy, Sleep

if TYPE_CHECKING:
    import httpx


def build_provider(
    cfg: ProviderConfig,
    *,
    all_providers: Mapping[str, ProviderConfig],
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep | None = None,
) -> Provider:
    """The provider for `cfg`, wrapped in retries and its `fallback` chain.

    Args:
        cfg: the provider to build.
        all_providers: every configured provider by name, to resolve `fallback`.
        transport: an httpx transport for all HTTP providers (tests, proxies).
        sleep: the wait between retries; defaults to `asyncio.sleep`.

    Raises:
        ProviderError: unknown or cyclic fallback, or an unavailable embedded model.
    """
    return _build(cfg, all_providers, transport, sleep or asyncio.sleep, chain=(cfg.name,))


def _build(
    cfg: ProviderConfig,
    all_providers: Mapping[str, ProviderConfig],
    transport: httpx.AsyncBaseTransport | None,
    sleep: Sleep,
    *,
    chain: tuple[str, ...],
) -> Provider:
    provider = _build_bare(cfg, transport)
    fallback: Provider | None = None
    fallback_model: str | None = None
    if cfg.fallback:
        if cfg.fallback in chain:
            cycle = " -> ".join((*chain, cfg.fallback))
            raise ProviderError(
                f"provider {cfg.name}: fallback providers form a cycle ({cycle})",
                provider=cfg.name,
            )
        fallback_cfg = all_providers.get(cfg.fallback)
        if fallback_cfg is None:
            known = ", ".join(sorted(all_providers)) or "none"
            raise ProviderError(
                f"provider {cfg.name}: fallback '{cfg.fallback}' is not a configured provider "
                f"(known: {known})",
                provider=cfg.name,
            )
        fallback = _build(
            fallback_cfg, all_providers, transport, sleep, chain=(*chain, fallback_cfg.name)
        )
        fallback_model = fallback_cfg.model
    elif cfg.kind is ProviderKind.SCRIPTED:
        return provider  # it cannot fail transiently: nothing to retry or time out
    policy = RetryPolicy(
        max_retries=cfg.max_retries,
        stall_timeout=cfg.timeout_secs,
        deadline=cfg.deadline_secs,
        max_reply_chars=cfg.max_reply_chars,
    )
    return RetryingProvider(
        provider, policy, fallback=fallback, fallback_model=fallback_model, sleep=sleep
    )


def _build_bare(cfg: ProviderConfig, transport: httpx.AsyncBaseTransport | None) -> Provider:
    kind = cfg.kind
    if kind is ProviderKind.SCRIPTED:
        from axo_tui.core.providers.scripted import ScriptedProvider

        return ScriptedProvider(cfg)
    if kind is ProviderKind.OLLAMA:
        from axo_tui.core.providers.ollama import OllamaProvider

        return OllamaProvider(cfg, transport=transport)
    if kind is ProviderKind.OPENAI:
        from axo_tui.core.providers.openai import OpenAIProvider

        return OpenAIProvider(cfg, transport=transport)
    if kind is ProviderKind.ANTHROPIC:
        from axo_tui.core.providers.anthropic import AnthropicProvider

        return AnthropicProvider(cfg, transport=transport)
    if kind is ProviderKind.GEMINI:
        from axo_tui.core.providers.gemini import GeminiProvider

        return GeminiProvider(cfg, transport=transport)
    if kind is ProviderKind.LOCAL:
        return _build_local(cfg)
    raise ProviderError(f"provider {cfg.name}: unknown kind {kind!r}", provider=cfg.name)


def _build_local(cfg: ProviderConfig) -> Provider:
    # Imported here: it is the embedded model's module, and a build of axo without it (or
    # without what it needs) must still run every other kind.
    try:
        from axo_tui.core.providers.local import LocalProvider
    except ImportError as exc:
        raise ProviderError(
            f"provider {cfg.name}: the embedded model isn't available ({exc}); "
            "reinstall axo with its embedded model or configure another provider",
            provider=cfg.name,
        ) from exc
    return LocalProvider(cfg)
