"""The journal's group commits: one commit for a burst of writes, durable at the barriers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.providers.base import Message
from axo_tui.core.store import journal as journal_module
from axo_tui.core.store.journal import Journal, JournalError
from tests.support.journal_fakes import FailingCommit, runs_seen_by_another_process


async def test_writes_wait_for_a_barrier_and_share_one_commit(tmp_path: Path) -> None:
    path = tmp_path / "axo.db"
    journal = Journal(path)
    journal.group_commits(asyncio.get_running_loop())
    commits = []
    real_commit = journal._commit_group

    def counting_commit() -> None:
        commits.append(bool(journal._ops))  # writes queued for this commit
        real_commit()

    journal._commit_group = counting_commit  # type: ignore[method-assign]
    try:
        for index in range(20):
            journal.create_run(f"r{index}", "workflow", "w", "x")
        assert runs_seen_by_another_process(path) == set()  # not committed yet
        await asyncio.gather(*(journal.durable() for _ in range(5)))  # five barriers, one commit
        assert len(runs_seen_by_another_process(path)) == 20
        assert commits == [True]
        await journal.durable()  # nothing pending: returns at once, commits nothing
        assert commits == [True]
    finally:
        journal.close()


async def test_a_write_nobody_waits_for_is_committed_within_the_delay(tmp_path: Path) -> None:
    path = tmp_path / "axo.db"
    journal = Journal(path)
    journal.group_commits(asyncio.get_running_loop())
    try:
        journal.create_run("r", "workflow", "w", "x")
        started = time.monotonic()
        while runs_seen_by_another_process(path) == set():
            assert time.monotonic() - started < 5, "never committed"
            await asyncio.sleep(0.005)
        assert time.monotonic() - started < journal_module.GROUP_MAX_DELAY_SECS + 1
    finally:
        journal.close()


async def test_closing_commits_what_is_pending(tmp_path: Path) -> None:
    path = tmp_path / "axo.db"
    journal = Journal(path)
    journal.group_commits(asyncio.get_running_loop())
    journal.create_run("r", "workflow", "w", "x")
    journal.close()
    assert len(runs_seen_by_another_process(path)) == 1


async def test_two_journals_of_one_process_on_one_file_never_deadlock(tmp_path: Path) -> None:
    # Each holds its group transaction until the loop turns; a write through the other,
    # on the same loop, would otherwise wait for a lock only this very loop can release.
    path = tmp_path / "axo.db"
    loop = asyncio.get_running_loop()
    one, two = Journal(path), Journal(path)
    one.group_commits(loop)
    two.group_commits(loop)
    try:
        started = time.monotonic()
        for index in range(10):
            one.create_run(f"a{index}", "workflow", "w", "x")
            two.create_run(f"b{index}", "workflow", "w", "x")
        await asyncio.gather(one.durable(), two.durable())
        assert time.monotonic() - started < 2  # no busy_timeout waits
        assert len(runs_seen_by_another_process(path)) == 20
    finally:
        one.close()
        two.close()


async def test_a_failed_commit_reaches_the_barrier_as_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "axo.db"
    journal = Journal(path)
    journal.group_commits(asyncio.get_running_loop())

    real = journal._db
    journal._db = FailingCommit(real, "database or disk is full")  # type: ignore[assignment]
    try:
        journal.create_run("r", "workflow", "w", "x")
        with pytest.raises(JournalError, match=r"axo\.db: write failed: database or disk is full"):
            await journal.durable()
    finally:
        journal._db = real
        journal.close()


def test_a_session_appended_by_another_process_keeps_its_numbering(tmp_path: Path) -> None:
    path = tmp_path / "axo.db"
    mine, theirs = Journal(path), Journal(path)
    try:
        assert mine.load_session("chat:a:s") == []  # remembers: next message is number 0
        theirs.append_session("chat:a:s", "a", [Message("user", "1"), Message("assistant", "2")])
        assert mine.append_session("chat:a:s", "a", [Message("user", "3")]) == 3
        assert [m.content for m in theirs.load_session("chat:a:s")] == ["1", "2", "3"]
    finally:
        mine.close()
        theirs.close()


async def test_a_barrier_alone_commits_at_once_and_reports_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "axo.db"
    journal = Journal(path)
    journal.group_commits(asyncio.get_running_loop())
    try:
        journal.create_run("r1", "workflow", "w", "x")
        await journal.durable(alone=True)  # no loop turn needed: committed before it returns
        assert len(runs_seen_by_another_process(path)) == 1
        journal.create_run("r2", "workflow", "w", "x")
        real = journal._db
        journal._db = FailingCommit(real, "disk I/O error")  # type: ignore[assignment]
        with pytest.raises(JournalError, match="disk I/O error"):
            await journal.durable(alone=True)
        journal._db = real
        assert len(runs_seen_by_another_process(path)) == 1  # r2 was rolled back, r1 kept
    finally:
        journal.close()


async def test_a_failed_append_in_a_group_leaves_the_group_intact(tmp_path: Path) -> None:
    # The append is one statement: a number taken meanwhile fails it alone, and the retry
    # lands in the same group transaction as the writes before it.
    path = tmp_path / "axo.db"
    mine, theirs = Journal(path), Journal(path)
    try:
        assert mine.load_session("run:r:a") == []
        theirs.append_session("run:r:a", "a", [Message("user", "earlier")])
        mine.group_commits(asyncio.get_running_loop())
        mine.create_run("r", "workflow", "w", "x")
        # Queued with the numbers this process knew (hence the short length it returns); the
        # writer thread finds them taken and numbers the append again.
        mine.append_session("run:r:a", "a", [Message("user", "1"), Message("tool", "2")])
        await mine.durable()
        assert mine.session_length("run:r:a") == 3
        assert len(runs_seen_by_another_process(path)) == 1
        assert [m.content for m in theirs.load_session("run:r:a")] == ["earlier", "1", "2"]
    finally:
        mine.close()
        theirs.close()


def test_a_long_append_is_numbered_without_gaps(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "axo.db")
    try:
        journal.append_session("s", "a", [Message("user", "first")])
        many = [Message("assistant", str(n)) for n in range(1203)]  # several INSERTs
        assert journal.append_session("s", "a", many) == 1204
        loaded = journal.load_session("s")
        assert [m.content for m in loaded] == ["first", *(str(n) for n in range(1203))]
    finally:
        journal.close()


class _ForeignTimer:
    """A timer handle of another loop implementation (uvloop has its own class)."""

    def __init__(self, handle: asyncio.TimerHandle) -> None:
        self._handle = handle

    def cancel(self) -> None:
        self._handle.cancel()


class _LoopWithForeignTimers(asyncio.SelectorEventLoop):
    def call_later(self, delay: float, callback: Any, *args: Any, context: Any = None) -> Any:
        return _ForeignTimer(super().call_later(delay, callback, *args, context=context))


def test_a_barrier_commits_at_the_next_turn_on_a_loop_with_its_own_timer_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The latest moment is put out of reach: only the barrier's own commit can end the wait.
    monkeypatch.setattr(journal_module, "GROUP_MAX_DELAY_SECS", 3600.0)
    path = tmp_path / "axo.db"

    async def scenario() -> None:
        journal = Journal(path)
        journal.group_commits(asyncio.get_running_loop())
        try:
            journal.create_run("r", "workflow", "w", "x")  # schedules the latest moment
            await asyncio.wait_for(asyncio.gather(journal.durable(), journal.durable()), 10)
            assert runs_seen_by_another_process(path) == {"r"}
        finally:
            journal.close()

    loop = _LoopWithForeignTimers()
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
