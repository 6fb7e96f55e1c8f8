"""A group commit's queued INSERTs run as multi-row statements, an activation's start and end
as one row, with the order, numbering and errors of one statement per write."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.providers.base import Message
from axo_tui.core.store import journal_writer
from axo_tui.core.store.journal import Journal, JournalError
from tests.support.builders import until
from tests.support.journal_fakes import record_usage


def trace(journal: Journal) -> list[str]:
    """The statements the journal's connection runs from now on (on any thread), their
    literals and row lists shortened: `INSERT INTO t (...) VALUES xN` for N rows."""
    seen: list[str] = []

    def shorten(sql: str) -> None:
        rows = len(re.findall(r"\),\s*\(", sql)) + 1
        head = sql.split(" VALUES ")[0] if " VALUES " in sql else sql.split(" SET ")[0]
        seen.append(f"{head.split(' (')[0]} x{rows}" if " VALUES " in sql else head)

    journal._db.set_trace_callback(shorten)
    return seen


async def commit(journal: Journal) -> None:
    """Wait for a commit on the writer thread (not the inline one of a lone barrier)."""
    await asyncio.wait_for(journal.durable(), 5)


async def test_queued_inserts_become_one_statement_per_table_and_activation_one_row(
    journal: Journal,
) -> None:
    journal.create_run("r", "workflow", "w", "in")
    await commit(journal)
    statements = trace(journal)
    for index in range(3):
        journal.start_activation(f"a{index}", "r", f"agent{index}", "workflow", "in")
        record_usage(journal, "r", activation_id=f"a{index}")
        journal.finish_activation(f"a{index}", "completed", f"out {index}")
    await commit(journal)
    assert sorted(s for s in statements if s not in ("BEGIN IMMEDIATE", "COMMIT")) == [
        "INSERT INTO activations x3",
        "INSERT INTO usage x3",
    ]
    rows = journal._db.execute(
        "SELECT id, status, output, finished_at IS NOT NULL FROM activations ORDER BY id"
    ).fetchall()
    assert rows == [(f"a{i}", "completed", f"out {i}", 1) for i in range(3)]


async def test_an_end_after_its_start_was_committed_is_an_update(journal: Journal) -> None:
    journal.create_run("r", "workflow", "w", "in")
    journal.start_activation("a", "r", "agent", "workflow", "in")
    await commit(journal)
    statements = trace(journal)
    journal.finish_activation("a", "failed", None, "boom")
    await commit(journal)
    assert "UPDATE activations" in statements
    [record] = journal.activations("r")
    assert (record.status, record.error) == ("failed", "boom")


async def test_an_update_sees_every_insert_queued_before_it(journal: Journal) -> None:
    # Queued in this order: a run made and finished in one commit, between other inserts.
    journal.create_run("r1", "workflow", "w", "in")
    journal.start_activation("a", "r1", "agent", "workflow", "in")
    journal.finish_run("r1", "completed", "done")
    journal.create_run("r2", "workflow", "w", "in")
    await commit(journal)
    r1, r2 = journal.get_run("r1"), journal.get_run("r2")
    assert r1 is not None and r2 is not None
    assert (r1.status, r1.output, r2.status) == ("completed", "done", "running")


async def test_a_statement_holds_at_most_its_share_of_rows(journal: Journal) -> None:
    statements = trace(journal)
    journal.create_run("r", "workflow", "w", "in")
    for index in range(150):
        record_usage(journal, "r", activation_id=f"a{index}")
    await commit(journal)
    limit = journal_writer.ROWS_PER_STATEMENT
    assert [s for s in statements if s.startswith("INSERT INTO usage")] == [
        f"INSERT INTO usage x{limit}",
        f"INSERT INTO usage x{limit}",
        f"INSERT INTO usage x{150 - 2 * limit}",
    ]
    assert journal.run_tokens("r") == (450, 300)


async def test_gathered_appends_whose_numbers_were_taken_are_renumbered_the_rest_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "axo.db"
    mine, theirs = Journal(path), Journal(path)  # theirs: as another process would
    mine.group_commits(asyncio.get_running_loop())
    try:
        for session in ("s1", "s2", "s3"):
            mine.start_session(session)  # believed new: numbered from 0
        theirs.append_session("s2", "b", [Message("user", "theirs")])
        for session in ("s1", "s2", "s3"):
            mine.append_session(session, "a", [Message("user", f"{session} q")])
            mine.append_session(session, "a", [Message("assistant", f"{session} a")])
        await commit(mine)
        for session in ("s1", "s3"):
            assert [m.content for m in theirs.load_session(session)] == [
                f"{session} q",
                f"{session} a",
            ]
        assert [m.content for m in theirs.load_session("s2")] == ["theirs", "s2 q", "s2 a"]
    finally:
        mine.close()
        theirs.close()


async def test_a_row_breaking_a_constraint_fails_the_commit_and_nothing_else(
    journal: Journal,
) -> None:
    journal.create_run("r", "workflow", "w", "in")
    journal.start_activation("a", "r", "agent", "workflow", "in")
    await commit(journal)
    journal.start_activation("b", "r", "agent", "workflow", "in")
    journal.start_activation("a", "r", "agent", "workflow", "again")  # the same id: refused
    with pytest.raises(JournalError, match=r"UNIQUE constraint failed: activations\.id"):
        await commit(journal)
    journal.start_activation("c", "r", "agent", "workflow", "in")
    await commit(journal)
    with sqlite3.connect(journal.path) as other:
        ids = [row[0] for row in other.execute("SELECT id FROM activations ORDER BY id")]
    assert ids == ["a", "c"]  # the failed commit's rows are all gone, later ones kept


async def test_an_end_finds_its_start_queued_behind_a_commit_that_failed(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The failed commit's rows are lost; a start queued while it ran is kept, and its end
    # still goes into that queued row.
    gate = threading.Event()
    real_commit = journal_writer.commit

    def held_then_failing(*args: Any) -> set[str]:
        assert gate.wait(5)
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(journal_writer, "commit", held_then_failing)
    journal.create_run("r", "workflow", "w", "in")
    journal.start_activation("lost", "r", "agent", "workflow", "in")
    barrier = asyncio.ensure_future(journal.durable())
    await until(lambda: journal._flight is not None)
    journal.start_activation("kept", "r", "agent", "workflow", "in")
    gate.set()
    with pytest.raises(JournalError, match="disk is full"):
        await asyncio.wait_for(barrier, 5)
    monkeypatch.setattr(journal_writer, "commit", real_commit)
    statements = trace(journal)
    journal.finish_activation("kept", "completed", "done")
    await commit(journal)
    assert not any(s.startswith("UPDATE") for s in statements)
    rows = journal._db.execute("SELECT id, status, output FROM activations").fetchall()
    assert rows == [("kept", "completed", "done")]
