"""The journal's write-behind: in group mode, writes and their commit run on a writer thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from axo_tui.core.providers.base import Message
from axo_tui.core.store import journal_writer
from axo_tui.core.store.journal import Journal, JournalError
from tests.support.builders import until
from tests.support.journal_fakes import (
    FailingCommit,
    record_usage,
    runs_seen_by_another_process,
)

Commit = Callable[[Callable[[], sqlite3.Connection], Sequence[journal_writer.Op], Path], set[str]]
"""The type of `journal_writer.commit`, the writer thread's job."""


class Flights:
    """Records the commits run on the writer thread; `hold()` keeps the next one waiting."""

    def __init__(self) -> None:
        self.ops: list[int] = []
        self.threads: list[str] = []
        self._gate: threading.Event | None = None
        """Taken by the next commit, which waits until `release`."""
        self._held = threading.Event()

    def hold(self) -> None:
        self._gate = self._held = threading.Event()

    def release(self) -> None:
        self._held.set()

    def wrap(self, real: Commit) -> Commit:
        def commit(
            connection: Callable[[], sqlite3.Connection],
            ops: Sequence[journal_writer.Op],
            path: Path,
        ) -> set[str]:
            self.ops.append(len(ops))
            self.threads.append(threading.current_thread().name)
            gate, self._gate = self._gate, None
            if gate is not None:
                assert gate.wait(5), "never released"
            return real(connection, ops, path)

        return commit


@pytest.fixture
def flights(monkeypatch: pytest.MonkeyPatch) -> Iterator[Flights]:
    recorder = Flights()
    monkeypatch.setattr(journal_writer, "commit", recorder.wrap(journal_writer.commit))
    yield recorder


async def test_reads_see_every_write_at_once_and_others_after_the_barrier(
    journal: Journal, flights: Flights
) -> None:
    path = journal.path
    journal.create_run("r", "workflow", "w", "x")
    journal.start_activation("a1", "r", "agent", "input", "x", session_id="s")
    journal.start_session("s")
    journal.append_session("s", "agent", [Message("user", "hi")])
    record_usage(journal, "r", 3, 4, activation_id="a1")
    journal.finish_activation("a1", "completed", "done")
    # Read back at once, with no loop turn in between: the queued writes run first.
    run = journal.get_run("r")
    assert run is not None and run.status == "running"
    assert [a.status for a in journal.activations("r")] == ["completed"]
    assert journal.activation_tokens("a1") == (3, 4)
    assert [m.content for m in journal.load_session("s")] == ["hi"]
    assert runs_seen_by_another_process(path) == set()  # not committed yet

    journal.finish_run("r", "completed", "done")
    assert journal.append_session("s", "agent", [Message("assistant", "hello")]) == 2
    await journal.durable()
    assert runs_seen_by_another_process(path) == {"r"}
    with sqlite3.connect(path) as other:
        status = other.execute("SELECT status FROM runs").fetchone()[0]
        contents = other.execute("SELECT content FROM session_messages ORDER BY idx")
        assert status == "completed"
        assert [row[0] for row in contents] == ["hi", "hello"]
    assert flights.threads and all(name.startswith("axo-journal") for name in flights.threads)


async def test_a_read_while_a_commit_is_in_flight_waits_for_it(
    journal: Journal, flights: Flights
) -> None:
    path = journal.path
    journal.create_run("r1", "workflow", "w", "x")
    flights.hold()
    barrier = asyncio.create_task(journal.durable())
    await until(lambda: bool(flights.ops))  # the writer thread holds the commit
    journal.create_run("r2", "workflow", "w", "x")
    threading.Timer(0.05, flights.release).start()
    assert {run.id for run in journal.list_runs()} == {"r1", "r2"}
    await asyncio.wait_for(barrier, 5)
    await journal.durable()
    assert runs_seen_by_another_process(path) == {"r1", "r2"}


async def test_barriers_share_one_commit_and_later_writes_take_the_next(
    journal: Journal, flights: Flights
) -> None:
    path = journal.path
    for index in range(5):
        journal.create_run(f"r{index}", "workflow", "w", "x")
    flights.hold()
    first = [asyncio.create_task(journal.durable()) for _ in range(3)]
    await until(lambda: bool(flights.ops))
    journal.create_run("r5", "workflow", "w", "x")
    journal.create_run("r6", "workflow", "w", "x")
    later = [asyncio.create_task(journal.durable()) for _ in range(2)]
    await asyncio.sleep(0.02)
    assert not any(task.done() for task in first + later)  # the commit is still held
    flights.release()
    await asyncio.wait_for(asyncio.gather(*first), 5)
    assert len(runs_seen_by_another_process(path)) >= 5
    await asyncio.wait_for(asyncio.gather(*later), 5)
    assert runs_seen_by_another_process(path) == {f"r{index}" for index in range(7)}
    assert flights.ops == [5, 2]  # five barriers, two commits: the second after the first


async def test_a_barrier_alone_commits_without_the_writer_thread(
    journal: Journal, flights: Flights
) -> None:
    path = journal.path
    loop = asyncio.get_running_loop()
    journal.create_run("r", "workflow", "w", "x")
    journal.start_activation("a", "r", "agent", "input", "x")
    turns: list[int] = []
    loop.call_soon(turns.append, 1)
    await journal.durable(alone=True)
    assert turns == []  # returned without letting the loop turn
    assert flights.ops == []
    assert runs_seen_by_another_process(path) == {"r"}


async def test_a_failed_commit_reaches_every_waiter_and_the_journal_goes_on(
    journal: Journal, flights: Flights
) -> None:
    path = journal.path
    real = journal._db
    journal._db = FailingCommit(real)  # type: ignore[assignment]
    journal.create_run("lost", "workflow", "w", "x")
    flights.hold()
    barriers = [asyncio.create_task(journal.durable()) for _ in range(3)]
    await until(lambda: bool(flights.ops))
    # Reached while the failing commit is in flight: it waits for the lost write too.
    barriers.append(asyncio.create_task(journal.durable()))
    await asyncio.sleep(0)
    flights.release()
    outcomes = await asyncio.wait_for(asyncio.gather(*barriers, return_exceptions=True), 5)
    assert len(outcomes) == 4
    for outcome in outcomes:
        assert isinstance(outcome, JournalError)
        assert str(outcome) == f"{path}: write failed: database or disk is full"
    journal._db = real
    journal.create_run("kept", "workflow", "w", "x")
    await asyncio.wait_for(journal.durable(), 5)
    assert runs_seen_by_another_process(path) == {"kept"}
    assert journal.get_run("lost") is None  # rolled back, not left in a transaction


async def test_two_journals_on_one_file_interleave_without_deadlock(tmp_path: Path) -> None:
    path = tmp_path / "axo.db"
    loop = asyncio.get_running_loop()
    one, two = Journal(path), Journal(path)
    one.group_commits(loop)
    two.group_commits(loop)
    try:
        started = time.monotonic()
        # One holds the lock on the loop's thread (a read ran its writes there); two's writer
        # thread then waits for it, and two's read waits for that thread: one must commit.
        one.create_run("a", "workflow", "w", "x")
        assert one.get_run("a") is not None
        two.create_run("b", "workflow", "w", "x")
        barrier = asyncio.create_task(two.durable())
        await until(lambda: two._flight is not None)
        assert two.get_run("b") is not None
        await asyncio.wait_for(asyncio.gather(barrier, one.durable()), 5)

        async def writes(journal: Journal, name: str) -> None:
            for index in range(40):
                journal.create_run(f"{name}{index}", "workflow", "w", "x")
                if index % 3 == 0:
                    journal.list_runs(limit=1)  # a read: the queue runs on the loop's thread
                if index % 4 == 0:
                    await journal.durable(alone=index % 8 == 0)
                elif index % 5 == 0:
                    assert journal.claim_run(f"{name}{index}", None, "me")
                await asyncio.sleep(0)
            await journal.durable()

        await asyncio.wait_for(asyncio.gather(writes(one, "x"), writes(two, "y")), 20)
        assert time.monotonic() - started < 4  # no busy_timeout (5 s) waits
        expected = {"a", "b"} | {f"{n}{i}" for n in "xy" for i in range(40)}
        assert runs_seen_by_another_process(path) == expected
    finally:
        one.close()
        two.close()


async def test_closing_commits_queued_writes_and_the_one_in_flight(
    tmp_path: Path, flights: Flights
) -> None:
    path = tmp_path / "axo.db"
    journal = Journal(path)
    journal.group_commits(asyncio.get_running_loop())
    journal.create_run("r1", "workflow", "w", "x")
    flights.hold()
    barrier = asyncio.create_task(journal.durable())
    await until(lambda: bool(flights.ops))
    journal.create_run("r2", "workflow", "w", "x")
    threading.Timer(0.05, flights.release).start()
    journal.close()
    assert runs_seen_by_another_process(path) == {"r1", "r2"}
    await asyncio.wait_for(barrier, 5)  # its commit landed during the close


async def test_closing_with_only_queued_writes_commits_them(tmp_path: Path) -> None:
    path = tmp_path / "axo.db"
    journal = Journal(path)
    journal.group_commits(asyncio.get_running_loop())
    journal.create_run("r", "workflow", "w", "x")
    journal.start_session("s")
    journal.append_session("s", "a", [Message("user", "1")])
    journal.close()
    assert runs_seen_by_another_process(path) == {"r"}
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT COUNT(*) FROM session_messages").fetchone()[0] == 1


async def test_a_queued_append_that_collides_is_renumbered_not_lost(
    tmp_path: Path, flights: Flights
) -> None:
    path = tmp_path / "axo.db"
    mine, theirs = Journal(path), Journal(path)  # theirs: as another process would
    mine.group_commits(asyncio.get_running_loop())
    try:
        mine.start_session("s")  # believed new: the next message is number 0
        theirs.append_session("s", "a", [Message("user", "t1"), Message("assistant", "t2")])
        mine.create_run("r", "workflow", "w", "x")
        mine.append_session("s", "a", [Message("user", "m1")])  # queued as number 0
        await asyncio.wait_for(mine.durable(), 5)  # the group commits: the append was renumbered
        assert flights.ops == [2]
        assert runs_seen_by_another_process(path) == {"r"}
        assert mine.append_session("s", "a", [Message("assistant", "m2")]) == 4  # counted again
        await asyncio.wait_for(mine.durable(), 5)
        assert [m.content for m in theirs.load_session("s")] == ["t1", "t2", "m1", "m2"]
        assert theirs.session_length("s") == 4
    finally:
        mine.close()
        theirs.close()


async def test_a_failed_commit_does_not_leave_gaps_in_a_session(
    journal: Journal, flights: Flights
) -> None:
    # The lost append had advanced the remembered number; the next one counts again.
    path = journal.path
    real = journal._db
    journal.start_session("s")
    journal.append_session("s", "a", [Message("user", "kept")])
    await journal.durable()
    journal.append_session("s", "a", [Message("user", "lost")])
    journal._db = FailingCommit(real)  # type: ignore[assignment]
    flights.hold()
    barrier = asyncio.create_task(journal.durable())
    await until(lambda: len(flights.ops) == 2)
    journal.append_session("s", "a", [Message("user", "queued meanwhile")])
    flights.release()
    with pytest.raises(JournalError):
        await asyncio.wait_for(barrier, 5)
    journal._db = real
    journal.append_session("s", "a", [Message("user", "after")])
    await asyncio.wait_for(journal.durable(), 5)
    with sqlite3.connect(path) as other:
        rows = other.execute("SELECT idx, content FROM session_messages ORDER BY idx")
        assert list(rows) == [(0, "kept"), (1, "queued meanwhile"), (2, "after")]


async def test_a_runs_tokens_are_the_ledgers_before_and_after_it_finishes(
    journal: Journal,
) -> None:
    other = Journal(journal.path)  # another process: it did not create the run
    try:
        journal.create_run("r", "workflow", "w", "x")
        record_usage(journal, "r", 3, 4)
        record_usage(journal, "r", 10, 1)
        record_usage(journal, "elsewhere", 100, 100)
        assert journal.run_tokens("r") == (13, 5)
        await journal.durable()
        assert other.run_tokens("r") == (13, 5)  # read from the ledger
        journal.finish_run("r", "completed", "done")
        assert journal.run_tokens("r") == (13, 5)
        assert journal.run_tokens("unknown") == (0, 0)
    finally:
        other.close()


async def test_after_a_failed_commit_a_runs_tokens_are_what_the_ledger_kept(
    journal: Journal,
) -> None:
    real = journal._db
    journal.create_run("r", "workflow", "w", "x")
    record_usage(journal, "r", 1, 2)
    await journal.durable()
    record_usage(journal, "r", 3, 4)
    journal._db = FailingCommit(real)  # type: ignore[assignment]
    with pytest.raises(JournalError):
        await journal.durable()
    journal._db = real
    assert journal.run_tokens("r") == (1, 2)  # the lost row is not counted
