"""The spool of exchanges waiting to be embedded: batched per loop turn, never lost."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from axo_tui.core.memory.pending import PendingSpool, new_memory_id
from axo_tui.core.memory.semantic import PendingMemory


def memory(agent: str = "a", text: str = "x") -> PendingMemory:
    return PendingMemory(id=new_memory_id(), agent_id=agent, text=text, metadata={"day": "d"})


def spool_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


async def test_entries_of_one_loop_turn_share_one_file_written_at_the_next(
    tmp_path: Path,
) -> None:
    spool = PendingSpool(tmp_path / "spool")
    entries = [memory(text=f"m{i}") for i in range(50)]
    for entry in entries:
        spool.put(entry)
    assert spool_files(tmp_path / "spool") == []  # not yet: the loop has not turned
    assert spool.load() == entries  # but already visible to this process
    await asyncio.sleep(0)
    files = spool_files(tmp_path / "spool")
    assert files == [f"{entries[0].id}.jsonl"]
    lines = (tmp_path / "spool" / files[0]).read_text().splitlines()
    assert [json.loads(line)["text"] for line in lines] == [f"m{i}" for i in range(50)]
    # Another process (a fresh spool on the same directory) sees every entry.
    assert PendingSpool(tmp_path / "spool").load() == entries


async def test_a_file_goes_only_once_every_entry_in_it_is_stored(tmp_path: Path) -> None:
    spool = PendingSpool(tmp_path / "spool")
    first, second = memory(), memory()
    spool.put(first)
    spool.put(second)
    await asyncio.sleep(0)
    spool.remove(first.id)
    assert len(spool_files(tmp_path / "spool")) == 1  # `second` still needs it
    assert PendingSpool(tmp_path / "spool").load() == [first, second]  # replay is harmless
    spool.remove(second.id)
    assert spool_files(tmp_path / "spool") == []
    assert not spool.any()


async def test_leftovers_loaded_by_a_new_process_are_removed_as_they_are_stored(
    tmp_path: Path,
) -> None:
    old = PendingSpool(tmp_path / "spool")
    entries = [memory(), memory()]
    for entry in entries:
        old.put(entry)
    await asyncio.sleep(0)  # then the old process dies
    new = PendingSpool(tmp_path / "spool")
    for entry in new.load():
        new.remove(entry.id)
    assert spool_files(tmp_path / "spool") == []


async def test_forget_rewrites_a_file_so_forgotten_entries_never_come_back(
    tmp_path: Path,
) -> None:
    spool = PendingSpool(tmp_path / "spool")
    mine, theirs, buffered = memory("a"), memory("b"), memory("a")
    spool.put(mine)
    spool.put(theirs)
    await asyncio.sleep(0)
    spool.put(buffered)  # not flushed yet
    spool.forget([mine.id, buffered.id])
    await asyncio.sleep(0)
    assert PendingSpool(tmp_path / "spool").load() == [theirs]
    spool.remove(theirs.id)
    assert spool_files(tmp_path / "spool") == []


def test_outside_a_loop_an_entry_is_written_at_once(tmp_path: Path) -> None:
    spool = PendingSpool(tmp_path / "spool")
    entry = memory()
    spool.put(entry)
    assert PendingSpool(tmp_path / "spool").load() == [entry]


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


def test_damaged_lines_and_files_are_skipped_not_fatal(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    directory.mkdir()
    good = memory()
    line = json.dumps({"id": good.id, "agent_id": "a", "text": "x", "metadata": {"day": "d"}})
    (directory / "1.jsonl").write_text(f"{line}\n{{half a line\n[1, 2]\n")
    (directory / "2.jsonl").write_bytes(b"\xff\xfe binary")
    assert PendingSpool(directory).load() == [good]
