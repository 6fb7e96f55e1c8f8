"""Deferred activity-log writes inside a runtime: lines of one loop turn, written at the next,
each agent's in one write, never lost to a reader, a closed loop or a failing disk."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.memory import activity_log
from axo_tui.core.memory.activity_log import ActivityLog, DayRange

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

    monkeypatch.setattr(activity_log.os, "write", counting)
    return writes


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
    await asyncio.sleep(0)
    await asyncio.sleep(0)
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
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert [agent for agent, _ in failures] == ["blocked"]
    assert "blocked" in failures[0][1]
    assert len(_lines(log, "fine")) == 1
    log.close()
