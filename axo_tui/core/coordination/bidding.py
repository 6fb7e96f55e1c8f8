"""Bids are computed, never asked of a model: tool match, load, budget headroom, strength.

The rule (docs/coordinator.md):

* **Tool match** is a gate: a worker lacking a tool the subtask needs refuses.
* **Budget**: the worker's room is its `per_execution` budget, capped by what the pass has
  left; the subtask's estimated cost must fit in it, else it refuses. `headroom` is the part
  of the room left after the estimate (1.0 when nothing bounds it).
* A worker **near its budget** (headroom under `NEAR_BUDGET`) always loses to one with
  headroom, whatever the rest.
* Otherwise `score = 0.40·headroom + 0.35/(1 + load) + 0.25·strength`, where `load` is the
  worker's real current load (activations running now plus subtasks it was awarded that have
  not started) and `strength` the model's (`model_strength`).
* Ties (equal tier and score to 6 decimals) go to the lower load, then to the worker
  declared first in axo.yaml (ad-hoc workers come after every declared one), then by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

NEAR_BUDGET = 0.25
W_HEADROOM, W_LOAD, W_STRENGTH = 0.40, 0.35, 0.25

_STRONG = ("gpt-4", "gpt-5", "o1", "o3", "o4", "claude", "gemini-1.5-pro", "gemini-2", "opus")
_LIGHT = ("mini", "nano", "flash", "haiku", "small", "tiny")
_PARAMS = re.compile(r"(\d+(?:\.\d+)?)\s*([bm])\b", re.IGNORECASE)


def model_strength(model: str) -> float:
    """A rough 0–1 strength of a model from its name: the parameter count when the name
    says it (135m ≈ 0.1, 8b ≈ 0.5, 70b and up 0.9), else known families; 0.5 if unknown."""
    name = model.casefold()
    size = _PARAMS.search(name)
    if size:
        billions = float(size.group(1)) / (1000 if size.group(2).lower() == "m" else 1)
        for limit, strength in ((1, 0.1), (4, 0.3), (10, 0.5), (40, 0.7)):
            if billions < limit:
                return strength
        return 0.9
    if any(word in name for word in _LIGHT):
        return 0.6
    if any(word in name for word in _STRONG):
        return 0.9
    return 0.5


@dataclass(frozen=True)
class BidderProfile:
    """What a contractor knows of itself when a call for proposals comes."""

    name: str
    tools: frozenset[str]
    budget: int | None
    """`token_budget.per_execution`; None: unbounded."""
    strength: float
    order: int
    """Position in axo.yaml (ad-hoc workers after all declared ones): breaks ties."""


@dataclass(frozen=True)
class Bid:
    bidder: str
    score: float
    near_budget: bool
    load: int
    headroom: float
    strength: float
    order: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "bidder": self.bidder,
            "score": self.score,
            "near_budget": self.near_budget,
            "load": self.load,
            "headroom": self.headroom,
            "strength": self.strength,
        }

    @classmethod
    def from_dict(cls, bidder: str, raw: Any, order: int) -> Bid:
        """A proposal's content (from any agent on the bus: numbers are clamped)."""
        data = raw if isinstance(raw, dict) else {}

        def number(key: str, default: float) -> float:
            value = data.get(key, default)
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return min(1.0, max(0.0, float(value))) if ok else default

        load = data.get("load", 0)
        return cls(
            bidder,
            round(number("score", 0.0), 6),
            data.get("near_budget") is True,
            load if isinstance(load, int) and not isinstance(load, bool) and load >= 0 else 0,
            number("headroom", 1.0),
            number("strength", 0.5),
            order,
        )


@dataclass(frozen=True)
class Refusal:
    bidder: str
    reason: str


def compute_bid(
    profile: BidderProfile,
    required_tools: Iterable[str],
    *,
    load: int,
    estimate: int,
    pass_remaining: int | None,
) -> Bid | Refusal:
    """This worker's bid for a subtask, or its refusal (with the reason)."""
    missing = sorted(set(required_tools) - profile.tools)
    if missing:
        return Refusal(profile.name, f"lacks the tools: {', '.join(missing)}")
    rooms = [r for r in (profile.budget, pass_remaining) if r is not None]
    headroom = 1.0
    if rooms:
        room = min(rooms)
        if room - estimate <= 0:
            return Refusal(profile.name, f"{room} tokens left cannot cover ~{estimate}")
        headroom = (room - estimate) / room
    score = W_HEADROOM * headroom + W_LOAD / (1 + load) + W_STRENGTH * profile.strength
    return Bid(
        profile.name,
        round(score, 6),
        headroom < NEAR_BUDGET,
        load,
        round(headroom, 6),
        profile.strength,
        profile.order,
    )


def rank(bids: Sequence[Bid]) -> list[Bid]:
    """Best first, by the documented rule; deterministic for equal bids."""
    return sorted(bids, key=lambda b: (b.near_budget, -b.score, b.load, b.order, b.bidder))


def estimate_tokens(text: str, *, completion: int = 512) -> int:
    """A subtask's rough cost: its prompt (4 characters a token) and a completion allowance."""
    return len(text) // 4 + 64 + completion
