"""Deferred writes inside a runtime (activity log, recall spool): the lines of one loop turn are
written at the next, each file's in one write, never lost to a reader, a close or a failing
disk."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.memory import pending
from axo_tui.core.memory.activity_log import ActivityLog, DayRange
from axo_tui.core.memory.pending import PendingSpool, new_memory_id
from axo_tui.core.memory.semantic import PendingMemory

TODAY = dt.date.today()


def _lines(log: ActivityLog, agent: str) -> list[str]:
    path = log.day_path(agent, TODAY)
    return path.read_text().splitlines() if path.exists() else []


def _count_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    writes: list[int] = []
    real = os.write

    def counting(fd: int, data: Any) -> int:
        writes.append(fd)
        return real(fd, data)

    monkeypatch.setattr(os, "write", counting)
    return writes


async def _next_loop_turn() -> None:
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def test_a_loop_turns_lines_land_at_the_next_turn_one_write_per_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = ActivityLog(tmp_path)
    log.defer(asyncio.get_running_loop(), lambda agent, exc: None)
    writes = _count_writes(monkeypatch)
    for agent in ("a", "b"):
        log.append(agent, "user", content=f"question to {agent}")
        log.append(agent, "assistant", content=f"answer from {agent}")
    assert _lines(log, "a") == [] and writes == []  # nothing written within the turn
    await _next_loop_turn()
    assert len(writes) == 2  # one per agent, both lines in it
    for agent in ("a", "b"):
        kinds = [line.split('"kind":"')[1].split('"')[0] for line in _lines(log, agent)]
        assert kinds == ["user", "assistant"]
    log.close()


async def test_readers_see_deferred_lines_at_once(tmp_path: Path) -> None:
    log = ActivityLog(tmp_path)
    log.defer(asyncio.get_running_loop(), lambda agent, exc: None)
    log.append("a", "user", content="hello")
    assert [entry["content"] for entry in log.read("a", DayRange(TODAY, TODAY))] == ["hello"]
    log.append("b", "user", content="hi")
    assert log.days("b") == [TODAY]
    log.close()


async def test_a_write_from_another_thread_follows_the_deferred_lines(tmp_path: Path) -> None:
    log = ActivityLog(tmp_path)
    log.defer(asyncio.get_running_loop(), lambda agent, exc: None)
    log.append("a", "user", content="first, on the loop")
    worker = threading.Thread(target=log.append, args=("a", "assistant"), kwargs={"content": "2"})
    worker.start()
    worker.join()
    assert [line.count("first") for line in _lines(log, "a")] == [1, 0]  # written, in order
    log.close()


async def test_closing_writes_what_is_queued_and_ends_the_deferral(tmp_path: Path) -> None:
    log = ActivityLog(tmp_path)
    log.defer(asyncio.get_running_loop(), lambda agent, exc: None)
    log.append("a", "user", content="queued")
    log.close()
    assert len(_lines(log, "a")) == 1
    log.append("a", "assistant", content="after close: written at once")
    assert len(_lines(log, "a")) == 2
    log.close()


async def test_a_failed_deferred_write_is_reported_and_other_agents_still_written(
    tmp_path: Path,
) -> None:
    log = ActivityLog(tmp_path)
    failures: list[tuple[str, str]] = []
    log.defer(asyncio.get_running_loop(), lambda agent, exc: failures.append((agent, str(exc))))
    (tmp_path / "blocked").write_text("a file where the agent's directory should be")
    log.append("blocked", "user", content="lost")
    log.append("fine", "user", content="kept")
    await _next_loop_turn()
    assert [agent for agent, _ in failures] == ["blocked"]
    assert "blocked" in failures[0][1]
    assert len(_lines(log, "fine")) == 1
    log.close()


def _memory(text: str) -> PendingMemory:
    return PendingMemory(id=new_memory_id(), agent_id="a", text=text, metadata={})


def _spooled(directory: Path) -> list[str]:
    return [
        line for path in sorted(directory.glob("*.jsonl")) for line in path.read_text().splitlines()
    ]


async def test_spooled_memories_of_a_loop_turn_are_one_write_at_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = PendingSpool(tmp_path)
    spool.defer(asyncio.get_running_loop(), lambda exc: None)
    writes = _count_writes(monkeypatch)
    entries = [_memory(f"m{index}") for index in range(3)]
    for entry in entries:
        spool.put(entry)
    assert writes == [] and _spooled(tmp_path) == []
    await _next_loop_turn()
    assert len(writes) == 1
    lines = _spooled(tmp_path)
    assert len(lines) == 3
    assert [line.count(entry.id) for line, entry in zip(lines, entries, strict=True)] == [1] * 3
    assert PendingSpool(tmp_path).load() == entries  # what another process would replay
    spool.close()


async def test_the_spool_writes_queued_entries_before_reading_marking_or_closing(
    tmp_path: Path,
) -> None:
    spool = PendingSpool(tmp_path)
    spool.defer(asyncio.get_running_loop(), lambda exc: None)
    first, second, third = _memory("1"), _memory("2"), _memory("3")
    spool.put(first)
    assert spool.load() == [first]
    spool.put(second)
    spool.remove(first.id)  # its mark comes after the line of `second`, written first
    lines = _spooled(tmp_path)
    assert second.id in lines[-2] and lines[-1] == f'{{"done":"{first.id}"}}'
    spool.put(third)
    spool.close()
    assert PendingSpool(tmp_path).load() == [second, third]
    spool.put(_memory("after close"))  # written at once
    assert len(PendingSpool(tmp_path).load()) == 3


async def test_a_failed_deferred_spool_write_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = PendingSpool(tmp_path)
    failures: list[str] = []
    spool.defer(asyncio.get_running_loop(), lambda exc: failures.append(str(exc)))
    spool.put(_memory("kept in memory only"))

    def full(fd: int, data: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pending.os, "write", full)
    await _next_loop_turn()
    assert failures == ["[Errno 28] No space left on device"]
    monkeypatch.undo()
    spool.close()
