"""Durations like `30s`, `5m`, `1h30m`, `7d`, `500ms` (schedule and trigger `every`)."""

from __future__ import annotations

import re

_UNITS: dict[str, float] = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_ORDER = ("d", "h", "m", "s", "ms")
# `ms` must be tried before `m` and `s`.
_PART = re.compile(r"\s*(\d{1,9}(?:\.\d{1,9})?)\s*(ms|d|h|m|s)")

DURATION_HINT = "write a number with a unit: `500ms`, `30s`, `5m`, `1h`, `7d`, or `1h30m`"


def parse_duration(text: str) -> float:
    """Seconds in a duration string.

    Units are `d`, `h`, `m`, `s` and `ms`, largest first, each at most once (`1h30m`).

    Raises:
        ValueError: for empty, unit-less, negative, zero, out-of-order or otherwise
            malformed text; the message says what is wrong.
    """
    if not isinstance(text, str):
        raise ValueError(f"a duration must be text like `30s`, got {type(text).__name__}")
    source = text.strip()
    if not source:
        raise ValueError("empty duration")
    if source.startswith("-"):
        raise ValueError(f"`{text}` is negative; a duration must be greater than zero")
    total = 0.0
    position = 0
    last_rank = -1
    while position < len(source):
        match = _PART.match(source, position)
        if match is None:
            raise ValueError(f"`{text}` is not a duration")
        number, unit = match.groups()
        rank = _ORDER.index(unit)
        if rank <= last_rank:
            raise ValueError(f"`{text}` repeats a unit or lists units smallest first")
        last_rank = rank
        total += float(number) * _UNITS[unit]
        position = match.end()
        # A unit glued to more letters (`5min`, `1hour`) is a typo, not `5m` + garbage.
        if position < len(source) and source[position].isalpha():
            raise ValueError(f"`{text}` is not a duration")
    if total <= 0:
        raise ValueError(f"`{text}` is zero; a duration must be greater than zero")
    return total
