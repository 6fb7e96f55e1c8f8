"""Trace and span ids derived from axo's own ids, so a log line read back from the journal
names the same trace as the spans exported while the run ran (no tracer needed to read)."""

from __future__ import annotations

import hashlib


def trace_id_of(run_id: str) -> int:
    """The 128-bit trace id of a run (never 0, as W3C requires)."""
    return int.from_bytes(hashlib.blake2b(run_id.encode(), digest_size=16).digest()) or 1


def span_id_of(activation_id: str) -> int:
    """The 64-bit span id of an activation's `invoke_agent` span (never 0): the last 16 hex
    digits of an id made by `new_id` (its random part, and the clock's low bits), else a
    hash. Reading hex is several times cheaper than hashing, and the tracer does it for
    every activation (tests/bench/README.md)."""
    tail = activation_id[-16:]
    if len(activation_id) >= 16 and tail.isalnum():
        try:
            return int(tail, 16) or 1
        except ValueError:  # not hex after all
            pass
    return int.from_bytes(hashlib.blake2b(activation_id.encode(), digest_size=8).digest()) or 1


def trace_hex(run_id: str | None) -> str:
    return "" if not run_id else f"{trace_id_of(run_id):032x}"


def span_hex(activation_id: str | None) -> str:
    return "" if not activation_id else f"{span_id_of(activation_id):016x}"
