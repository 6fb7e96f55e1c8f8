""" "Did you mean ...?" for near-miss keys, ids and enum values."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a typo most likely meant, or None when nothing is close."""
    pool = list(candidates)
    # Two letters swapped (`modle`) is the commonest slip, and difflib's ratio can rank
    # another key (`module`) above the one meant.
    for candidate in pool:
        if _swapped_pair(word, candidate):
            return candidate
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    # Case slips (`Researcher` for `researcher`) score low on ratio but are obvious.
    lowered = {c.lower(): c for c in pool}
    return lowered.get(word.lower())


def _swapped_pair(word: str, candidate: str) -> bool:
    """Whether `candidate` is `word` with one pair of neighbouring letters swapped."""
    if len(word) != len(candidate) or word == candidate:
        return False
    diff = [i for i, (a, b) in enumerate(zip(word, candidate, strict=True)) if a != b]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and word[diff[0]] == candidate[diff[1]]
        and word[diff[1]] == candidate[diff[0]]
    )


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`did you mean 'x'?` or an empty string."""
    match = closest(word, candidates)
    return f"did you mean '{match}'?" if match is not None else ""


def one_of(candidates: Iterable[str], limit: int = 12) -> str:
    """A short human list of allowed values: `a`, `b`, `c`."""
    pool = list(candidates)
    shown = ", ".join(f"`{c}`" for c in pool[:limit])
    return shown + (f" (and {len(pool) - limit} more)" if len(pool) > limit else "")


def join_hints(*hints: str) -> str:
    """Hints as one line: `did you mean 'x'? allowed keys: ...`."""
    text = ""
    for hint in hints:
        if not hint:
            continue
        if text:
            text += " " if text.endswith("?") else "; "
        text += hint
    return text
