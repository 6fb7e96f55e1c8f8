"""The spool of exchanges waiting to be embedded: append-only, never lost, never replayed
once done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from axo_tui.core.memory import pending
from axo_tui.core.memory.pending import PendingSpool, new_memory_id
from axo_tui.core.memory.semantic import PendingMemory


def memory(agent: str = "a", text: str = "x") -> PendingMemory:
    return PendingMemory(id=new_memory_id(), agent_id=agent, text=text, metadata={"day": "d"})


def spool_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_entries_go_to_one_open_file_and_are_on_disk_at_once(tmp_path: Path) -> None:
    spool = PendingSpool(tmp_path / "spool")
    entries = [memory(text=f"m{i}") for i in range(50)]
    for entry in entries:
        spool.put(entry)
    files = spool_files(tmp_path / "spool")
    assert files == [f"{entries[0].id}.jsonl"]
    lines = (tmp_path / "spool" / files[0]).read_text().splitlines()
    assert [json.loads(line)["text"] for line in lines] == [f"m{i}" for i in range(50)]
    # Another process (a fresh spool on the same directory) sees every entry, as if this
    # one had been killed right now.
    assert PendingSpool(tmp_path / "spool").load() == entries


def test_done_entries_are_never_replayed_and_a_finished_file_is_emptied(tmp_path: Path) -> None:
    spool = PendingSpool(tmp_path / "spool")
    first, second = memory(), memory()
    spool.put(first)
    spool.put(second)
    spool.remove(first.id)
    assert PendingSpool(tmp_path / "spool").load() == [second]  # a tombstone, not a rewrite
    spool.remove(second.id)
    # All done: our file is emptied and kept for the next entries (no file creation a turn).
    [kept] = spool_files(tmp_path / "spool")
    assert (tmp_path / "spool" / kept).stat().st_size == 0
    assert not spool.any()
    assert PendingSpool(tmp_path / "spool").load() == []
    third = memory()
    spool.put(third)  # into the same file, from its start
    assert spool_files(tmp_path / "spool") == [kept]
    assert PendingSpool(tmp_path / "spool").load() == [third]
    spool.remove(third.id)
    spool.close()  # a clean close leaves no empty file behind
    assert spool_files(tmp_path / "spool") == []


def test_leftovers_of_a_killed_process_are_finished_by_the_next(tmp_path: Path) -> None:
    old = PendingSpool(tmp_path / "spool")
    entries = [memory(), memory(), memory()]
    for entry in entries:
        old.put(entry)
    old.remove(entries[0].id)  # then the old process dies
    new = PendingSpool(tmp_path / "spool")
    assert new.load() == entries[1:]
    for entry in entries[1:]:
        new.remove(entry.id)
    assert spool_files(tmp_path / "spool") == []


def test_forget_reaches_entries_in_files_not_read_yet(tmp_path: Path) -> None:
    writer = PendingSpool(tmp_path / "spool")
    mine, theirs = memory("a"), memory("b")
    writer.put(mine)
    writer.put(theirs)
    PendingSpool(tmp_path / "spool").forget([mine.id])  # `axo memory forget`, elsewhere
    assert PendingSpool(tmp_path / "spool").load() == [theirs]


def test_a_busy_file_is_sealed_and_goes_once_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pending, "ROTATE_LINES", 3)
    spool = PendingSpool(tmp_path / "spool")
    entries = [memory() for _ in range(5)]
    for entry in entries:
        spool.put(entry)
    assert len(spool_files(tmp_path / "spool")) == 2
    for entry in entries[:3]:
        spool.remove(entry.id)
    assert spool_files(tmp_path / "spool") == [f"{entries[3].id}.jsonl"]
    assert PendingSpool(tmp_path / "spool").load() == entries[3:]


def test_an_older_spool_of_one_file_per_entry_is_still_read_and_emptied(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    directory.mkdir()
    entry = memory()
    document = {"id": entry.id, "agent_id": "a", "text": "x", "metadata": {"day": "d"}}
    (directory / f"{entry.id}.json").write_text(json.dumps(document))
    spool = PendingSpool(directory)
    assert spool.load() == [entry]
    spool.remove(entry.id)
    assert spool_files(directory) == []


def test_torn_lines_and_damaged_files_are_skipped_not_fatal(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    directory.mkdir()
    good = memory()
    line = json.dumps({"id": good.id, "agent_id": "a", "text": "x", "metadata": {"day": "d"}})
    (directory / "1.jsonl").write_text(f'{line}\n[1, 2]\n{{"id": "torn", "agent_')
    (directory / "2.jsonl").write_bytes(b"\xff\xfe binary")
    assert PendingSpool(directory).load() == [good]


def test_close_keeps_a_backlog_for_the_next_process_and_drops_a_finished_file(
    tmp_path: Path,
) -> None:
    spool = PendingSpool(tmp_path / "spool")
    kept = memory()
    spool.put(kept)
    spool.close()
    assert PendingSpool(tmp_path / "spool").load() == [kept]
    again = PendingSpool(tmp_path / "spool")
    again.load()
    again.remove(kept.id)
    again.close()
    assert spool_files(tmp_path / "spool") == []
