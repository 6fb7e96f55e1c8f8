"""Ids for runs, activations and memories: sortable by time, unique, also across a fork."""

from __future__ import annotations

import os
import random
import time

_random = random.Random()  # seeded from os.urandom
os.register_at_fork(after_in_child=_random.seed)  # a forked child must not repeat our ids


def random_hex(nbytes: int) -> str:
    """Random hex for ids (not secrets): every activation makes two ids, and os.urandom
    would cost a system call each (tests/bench/README.md)."""
    return f"{_random.getrandbits(nbytes * 8):0{nbytes * 2}x}"


def new_id() -> str:
    """A sortable, unique id: milliseconds since the epoch, then randomness (hex)."""
    return f"{int(time.time() * 1000):011x}{random_hex(5)}"
