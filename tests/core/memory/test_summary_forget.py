"""Compaction summaries hold conversation content: `axo memory forget` removes them."""

from __future__ import annotations

import os
import time
from pathlib import Path

from axo_tui.core.memory.summary import Summary, SummaryStore


def test_forget_removes_only_that_agents_summaries(tmp_path: Path) -> None:
    store = SummaryStore(tmp_path)
    store.put("run:1:a", "a", Summary(4, "f1", "Ada likes tea."))
    store.put("chat:a:main", "a", Summary(8, "f2", "Ada's cat is Rex."))
    store.put("chat:b:main", "b", Summary(2, "f3", "Bob likes maps."))
    (tmp_path / "junk.json").write_text("{not json")
    assert store.forget("a") == 2
    assert store.get("run:1:a") is None and store.get("chat:a:main") is None
    fresh = SummaryStore(tmp_path)
    assert fresh.get("chat:b:main") == Summary(2, "f3", "Bob likes maps.")
    assert (tmp_path / "junk.json").exists()  # not provably a's: kept


def test_forget_before_a_time_keeps_newer_summaries(tmp_path: Path) -> None:
    store = SummaryStore(tmp_path)
    store.put("old", "a", Summary(1, "f", "old"))
    store.put("new", "a", Summary(1, "f", "new"))
    week_ago = time.time() - 7 * 86400
    os.utime(store.path("old"), (week_ago, week_ago))
    assert store.forget("a", before=time.time() - 86400) == 1
    assert SummaryStore(tmp_path).get("new") is not None
    assert SummaryStore(tmp_path).get("old") is None
