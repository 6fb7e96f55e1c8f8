"""The journal's writer thread: in group mode, queued writes run and commit off the loop.

SQLite releases the GIL while it steps a statement, so writes executed and committed on a
thread of their own free the event loop's thread for the rest of the runtime's work.
`Journal` decides what is queued and when a commit starts (see `Journal._commit_group` and
`Journal._sync`); this module holds what runs on the thread and how its outcome gets back to
the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from axo_tui.core.base.errors import AxoError

Op = tuple[str, Sequence[Any], str | None, bool]
"""A queued write: SQL and parameters, then for a session append its session id and whether
its message numbers must be counted again before it runs (otherwise None, False)."""

MESSAGE_COLUMNS = 9
"""Parameters per row of a session append; the message number is the second."""
APPEND_TRIES = 5


class AppendConflict(AxoError, sqlite3.IntegrityError):
    """A session append kept finding its numbers taken (another process writing it)."""


ROWS_PER_STATEMENT = 64
"""Queued single-table INSERTs are run as multi-row statements of at most this many rows."""


def execute(db: sqlite3.Connection, ops: Sequence[Op], path: Path) -> set[str]:
    """Run queued writes in `db`'s open transaction. Returns the sessions whose appends were
    numbered again: their numbers were taken since they were counted (another process
    appended), or their count was lost with a failed commit.

    The INSERTs of a table are gathered into multi-row statements: a fan-out's commit holds
    hundreds of rows, and a statement per row adds its own cost to each. Rows keep their
    order within a table; any other write (an UPDATE, a DELETE, an append that must count
    its numbers again) runs after every INSERT queued before it."""
    renumbered: set[str] = set()
    gathered: dict[tuple[str, str], list[Op]] = {}
    for op in ops:
        shape = _insert_shape(op[0])
        if shape is not None and not op[3]:  # (an append to count again runs alone)
            gathered.setdefault(shape, []).append(op)
            continue
        _run_gathered(db, gathered, path, renumbered)
        _run_one(db, op, path, renumbered)
    _run_gathered(db, gathered, path, renumbered)
    return renumbered


def _run_one(db: sqlite3.Connection, op: Op, path: Path, renumbered: set[str]) -> None:
    sql, params, session, recount = op
    if session is None:
        db.execute(sql, params)
    elif append(db, sql, params, session, path, recount=recount) is not None:
        renumbered.add(session)


def _run_gathered(
    db: sqlite3.Connection,
    gathered: dict[tuple[str, str], list[Op]],
    path: Path,
    renumbered: set[str],
) -> None:
    """Run and forget the gathered INSERTs, each table's in statements of whole ops (an
    append's rows stay together). A statement that fails changes nothing (SQLite undoes a
    failed statement alone): its ops then run one by one, as if never gathered, so that an
    append whose numbers were taken is renumbered and any other error is the row's own."""
    for (head, row), table_ops in gathered.items():
        width = row.count("?")
        start = 0
        while start < len(table_ops):
            end, rows = start, 0
            while end < len(table_ops):
                more = len(table_ops[end][1]) // width
                if rows and rows + more > ROWS_PER_STATEMENT:
                    break
                rows += more
                end += 1
            chunk = table_ops[start:end]
            start = end
            if len(chunk) == 1:
                _run_one(db, chunk[0], path, renumbered)
                continue
            params = [value for op in chunk for value in op[1]]
            try:
                db.execute(rows_sql(head, row, rows), params)
            except sqlite3.IntegrityError:
                for op in chunk:
                    _run_one(db, op, path, renumbered)
    gathered.clear()


@functools.lru_cache(maxsize=64)
def _insert_shape(sql: str) -> tuple[str, str] | None:
    """`INSERT ... VALUES (row),(row)...` as (the part before VALUES, one row), else None."""
    head, found, values = sql.partition(" VALUES ")
    if not found or not head.startswith("INSERT") or not values.startswith("("):
        return None
    row = values[: values.find(")") + 1]
    count = (len(values) + 1) // (len(row) + 1)
    return (head, row) if ",".join([row] * count) == values else None


@functools.lru_cache(maxsize=512)
def rows_sql(head: str, row: str, rows: int) -> str:
    """`head VALUES row,row,...`: one INSERT of `rows` rows."""
    return f"{head} VALUES {','.join([row] * rows)}"


def commit(connection: Callable[[], sqlite3.Connection], ops: Sequence[Op], path: Path) -> set[str]:
    """The writer thread's job: `ops` and COMMIT, all or nothing. Joins the transaction the
    loop's thread left open (writes it had to run itself, see `Journal._sync`), if any.
    `connection` is asked for the connection now, not when the job was queued."""
    db = connection()
    try:
        if not db.in_transaction:
            db.execute("BEGIN IMMEDIATE")
        renumbered = execute(db, ops, path)
        db.execute("COMMIT")
    except BaseException:
        rollback(db)
        raise
    return renumbered


def rollback(db: sqlite3.Connection) -> None:
    """Roll back the open transaction, if any; the error that led here is the one to report."""
    try:
        if db.in_transaction:
            db.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def append(
    db: sqlite3.Connection,
    sql: str,
    params: Sequence[Any],
    session: str,
    path: Path,
    *,
    recount: bool,
) -> int | None:
    """Run one session append: one statement, so a collision fails it alone. It is numbered
    again when `recount` says so, or when its numbers were taken since they were counted
    (another process appended). Returns its new first number, or None if it kept its own."""
    start = None
    if recount:
        start = next_index(db, session)
        params = renumber(params, start)
    for _ in range(APPEND_TRIES):
        try:
            db.execute(sql, params)
            return start
        except sqlite3.IntegrityError:
            start = next_index(db, session)
            params = renumber(params, start)
    raise AppendConflict(
        f"{path}: session {session!r} kept changing under this append "
        f"({APPEND_TRIES} tries); is another process writing it?"
    )


def next_index(db: sqlite3.Connection, session_id: str) -> int:
    row = db.execute(
        "SELECT COALESCE(MAX(idx), -1) FROM session_messages WHERE session_id=?", (session_id,)
    ).fetchone()
    return int(row[0]) + 1


def renumber(params: Sequence[Any], start: int) -> list[Any]:
    """A session append's parameters with its messages numbered from `start`."""
    params = list(params)
    for row in range(len(params) // MESSAGE_COLUMNS):
        params[row * MESSAGE_COLUMNS + 1] = start + row
    return params


def settle(waiters: Sequence[asyncio.Future[None]], error: BaseException | None) -> None:
    for waiter in waiters:
        if waiter.done():
            continue
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)


class Writer:
    """One journal's writer thread, started at its first commit: one commit at a time (the
    journal never starts a second before the first has landed)."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None

    def start(
        self,
        job: Callable[[], set[str]],
        loop: asyncio.AbstractEventLoop,
        landed: Callable[[Future[set[str]]], None],
    ) -> Future[set[str]]:
        """Run `job` on the thread; `landed(flight)` then runs on `loop`."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="axo-journal")
        flight = self._executor.submit(job)
        flight.add_done_callback(functools.partial(_deliver, loop, landed))
        return flight

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None


def _deliver(
    loop: asyncio.AbstractEventLoop,
    landed: Callable[[Future[set[str]]], None],
    flight: Future[set[str]],
) -> None:
    with contextlib.suppress(RuntimeError):  # a closed loop: the journal's next use lands it
        loop.call_soon_threadsafe(landed, flight)
