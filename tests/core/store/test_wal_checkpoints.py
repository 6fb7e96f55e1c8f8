"""A journal in group mode checkpoints its WAL in the background, not inside a commit."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from pathlib import Path

from axo_tui.core.store import wal_checkpoints
from axo_tui.core.store.journal import SQLITE_AUTOCHECKPOINT_PAGES, Journal
from axo_tui.core.store.wal_checkpoints import Checkpointer
from tests.support.builders import until

RUN_IDS = itertools.count()


def autocheckpoint(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA wal_autocheckpoint").fetchone()[0])


def checkpointer(journal: Journal) -> Checkpointer:
    assert journal._checkpoints is not None
    return journal._checkpoints


async def commit_rows(journal: Journal, commits: int, size: int = 4000) -> None:
    for _ in range(commits):
        journal.create_run(f"r{next(RUN_IDS)}", "workflow", "w", "x" * size)  # size > a page
        await asyncio.wait_for(journal.durable(), 5)


async def test_the_wal_is_copied_back_by_the_checkpoint_thread_every_few_commits(
    journal: Journal,
) -> None:
    assert autocheckpoint(journal._db) == 0  # commits never checkpoint themselves
    database = journal.path
    size = database.stat().st_size
    await commit_rows(journal, wal_checkpoints.FIRST_EVERY - 1)
    assert database.stat().st_size == size  # everything still in the WAL
    await commit_rows(journal, 1)
    await until(lambda: database.stat().st_size > size + 10 * 4096)
    assert len(journal.list_runs(limit=100)) == wal_checkpoints.FIRST_EVERY


async def test_the_raw_connection_gets_sqlites_own_checkpoints_back(journal: Journal) -> None:
    await commit_rows(journal, 2)
    assert autocheckpoint(journal.connection) == SQLITE_AUTOCHECKPOINT_PAGES


def test_a_journal_outside_group_mode_keeps_sqlites_checkpoints(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "axo.db")
    try:
        assert autocheckpoint(journal._db) == SQLITE_AUTOCHECKPOINT_PAGES
    finally:
        journal.close()


async def test_checkpoints_move_apart_while_they_find_little_to_copy(journal: Journal) -> None:
    await commit_rows(journal, wal_checkpoints.FIRST_EVERY)
    # A few pages a commit, far below the target: the next checkpoint comes later.
    await until(lambda: checkpointer(journal).every == 2 * wal_checkpoints.FIRST_EVERY)


async def test_checkpoints_come_closer_when_they_find_a_big_wal(journal: Journal) -> None:
    # About 200 pages a commit: sixteen of them are three times the target.
    await commit_rows(journal, wal_checkpoints.FIRST_EVERY, size=800_000)
    await until(lambda: checkpointer(journal).every == wal_checkpoints.FIRST_EVERY // 2)
