"""Run and activation ids: sortable by time, unique, also across a fork."""

from __future__ import annotations

import os
import re
import time

from axo_tui.core.base.ids import new_id, random_hex
from axo_tui.core.memory.pending import new_memory_id


def test_ids_sort_by_creation_time_and_do_not_repeat() -> None:
    first = new_id()
    time.sleep(0.002)
    later = [new_id() for _ in range(10_000)]
    assert all(re.fullmatch(r"[0-9a-f]{21}", value) for value in [first, *later])
    assert all(first < value for value in later)
    assert len(set(later)) == len(later)
    assert re.fullmatch(r"[0-9a-f]{12}", random_hex(6))
    assert re.fullmatch(r"\d{20}-[0-9a-f]{12}", new_memory_id())


def test_a_forked_child_makes_other_ids_than_its_parent() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its ids to the parent, then out without cleanup
        os.write(write, random_hex(8).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert re.fullmatch(r"[0-9a-f]{16}", child)
    assert child != random_hex(8)  # the same draw in the parent, had the child not reseeded
