"""Estimated cost of a call from the prices declared on its provider."""

from __future__ import annotations

from fnmatch import fnmatchcase

from axo_tui.core.config.schema import ProviderConfig, ProviderKind
from axo_tui.core.providers.base import Usage

FREE_KINDS = frozenset({ProviderKind.LOCAL, ProviderKind.SCRIPTED, ProviderKind.OLLAMA})
"""Kinds that run on the user's own machine (or nowhere): free unless prices say otherwise."""


def price_for(cfg: ProviderConfig, model: str) -> tuple[float, float] | None:
    """(USD per 1M input tokens, USD per 1M output tokens) for `model`, if declared.

    An exact model name wins over a glob pattern (`"gpt-4o*"`, `"*"`); among patterns the
    first declared wins, so users list specific patterns before broad ones.
    """
    for name, prompt_price, completion_price in cfg.prices:
        if name == model:
            return prompt_price, completion_price
    for name, prompt_price, completion_price in cfg.prices:
        if fnmatchcase(model, name):
            return prompt_price, completion_price
    return None


def estimate_cost(cfg: ProviderConfig, model: str, usage: Usage) -> float | None:
    """USD cost of `usage` on `model`, or None when no price is known for it."""
    price = price_for(cfg, model)
    if price is None:
        return 0.0 if cfg.kind in FREE_KINDS else None
    prompt_price, completion_price = price
    return (usage.prompt_tokens * prompt_price + usage.completion_tokens * completion_price) / 1e6
