"""JSON encoding on the hot path: orjson, with the standard library as the fallback.

Each activation encodes about five records (two activity-log lines, two journaled events,
a recall spool line), and orjson does it about ten times faster than the standard encoder
(figures in tests/bench/README.md). Output is compact UTF-8 JSON, which every reader here
parses with `json.loads`.

orjson refuses what the standard library takes (integers beyond 64 bits from a model's tool
arguments, a lone surrogate in a decoded byte string); those records are encoded by the
standard library instead, ASCII-escaped, so no value a turn produces can fail a write.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS
_SORTED = _OPTIONS | orjson.OPT_SORT_KEYS


def dumps_bytes(value: Any, *, sort_keys: bool = False) -> bytes:
    """UTF-8 JSON; values JSON has no type for are written as `str(value)`."""
    try:
        return orjson.dumps(value, default=str, option=_SORTED if sort_keys else _OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, default=str, sort_keys=sort_keys).encode("ascii")


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    """As `dumps_bytes`, as text (for SQLite TEXT columns)."""
    return dumps_bytes(value, sort_keys=sort_keys).decode("utf-8")


def line(value: Any) -> bytes:
    """One JSONL line: the record and its newline, ready for a single `os.write`."""
    return dumps_bytes(value) + b"\n"
