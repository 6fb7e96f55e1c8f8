"""The journal's `a2a_tasks` table: bytes in, the same bytes out, under their target, kept
across a reopen; a file SQLite refuses is explained as the journal explains it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from axo_tui.core.store.a2a_tasks import A2ATaskTable, StoredTask
from axo_tui.core.store.journal import Journal, JournalError

AGENT = "agent:a"
WORKFLOW = "workflow:w"


def test_tasks_are_saved_listed_by_target_and_kept_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "axo.db"
    journal = Journal(path)  # the runtime's connection, open beside the table's
    table = A2ATaskTable(path)
    table.save("t1", AGENT, "c1", "TASK_STATE_SUBMITTED", b"\x00first\xff")
    table.save("t2", WORKFLOW, "c2", "TASK_STATE_WORKING", b"other", run_id="r2")
    table.save("t3", AGENT, "c3", "TASK_STATE_WORKING", b"third", run_id="r3")

    assert table.get(AGENT, "t1") == StoredTask(b"\x00first\xff", None)
    assert table.get(WORKFLOW, "t1") is None  # another target's id is not found
    assert table.all(AGENT) == [b"\x00first\xff", b"third"]  # oldest change first
    assert table.all(WORKFLOW) == [b"other"]

    table.bind_run("t1", "r1")
    # A save that names no run (the SDK's) keeps the run bound; one that names it replaces it.
    table.save("t1", AGENT, "c1", "TASK_STATE_INPUT_REQUIRED", b"first, later")
    assert table.get(AGENT, "t1") == StoredTask(b"first, later", "r1")
    assert table.all(AGENT) == [b"third", b"first, later"]
    table.save("t3", AGENT, "c3", "TASK_STATE_WORKING", b"third, turn 2", run_id="r3b")
    table.delete(AGENT, "t2")  # not this target's: stays
    table.close()
    journal.close()

    again = A2ATaskTable(path)
    assert again.get(AGENT, "t1") == StoredTask(b"first, later", "r1")
    assert again.get(AGENT, "t3") == StoredTask(b"third, turn 2", "r3b")
    assert again.get(WORKFLOW, "t2") == StoredTask(b"other", "r2")
    with closing(sqlite3.connect(path)) as db:
        states = db.execute("SELECT id, state FROM a2a_tasks ORDER BY id").fetchall()
    assert states == [
        ("t1", "TASK_STATE_INPUT_REQUIRED"),
        ("t2", "TASK_STATE_WORKING"),
        ("t3", "TASK_STATE_WORKING"),
    ]
    again.delete(WORKFLOW, "t2")
    assert again.all(WORKFLOW) == []
    again.close()


def test_a_file_that_is_not_a_database_is_explained_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "axo.db"
    path.write_bytes(b"these are not the pages of a SQLite database\n" * 200)
    with pytest.raises(JournalError) as raised:
        A2ATaskTable(path)
    message = str(raised.value)
    assert str(path) in message
    assert "the journal is damaged: it is not a SQLite database" in message
    assert f"mv {path} {path}.damaged" in message
