"""A journal SQLite can read is opened; one it cannot is explained: file, damage, what is left.

The interrupted checkpoint is made by SQLite itself: a process whose file-size limit is the
journal's size closes its connection, SQLite's exit checkpoint writes the new first page
(whose header counts every page) and dies on the first write past the end (SIGXFSZ, the
kernel's kill for a file grown too far), exactly as a kill -9 or a full disk at that moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from axo_tui.core.config.schema import WorkflowConfig
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runs import chat_session_id
from axo_tui.core.store.journal import Journal, JournalError
from tests.support.builders import agent, make_config, scripted

YAML = """
agents:
  - id: a
    provider: scripted
providers:
  scripted:
    replies:
      a: ["fine"]
"""
AXO = [sys.executable, "-c", "from axo_tui.cli.main import run; run()"]

# Writes RUNS runs into a journal whose WAL is never checkpointed, then closes it with the
# file-size limit at the database file's size: the exit checkpoint dies half-way.
CUT_CHECKPOINT = """
import resource, signal, sys
from pathlib import Path
from axo_tui.core.store.journal import Journal

path = Path(sys.argv[1])
Journal(path).close()  # the schema, checkpointed: a small database file
journal = Journal(path)
journal.connection.execute("PRAGMA wal_autocheckpoint=0")
for i in range(int(sys.argv[2])):
    journal.create_run(f"r{i}", "workflow", "w", f"input {i} " + "x" * 3000)
    journal.finish_run(f"r{i}", "completed", output=f"output {i}")
size = path.stat().st_size
resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it; the kernel's kill, please
print("checkpointing", flush=True)
journal.close()
print("closed", flush=True)
"""


def header_promises_more_than_the_file(path: Path) -> bool:
    header = path.read_bytes()[:100]
    pages = int.from_bytes(header[28:32], "big")
    return header[24:28] == header[92:96] and pages * 4096 > path.stat().st_size


def test_a_checkpoint_killed_half_way_leaves_a_journal_that_opens_whole(tmp_path: Path) -> None:
    path = tmp_path / "axo.db"
    cut = subprocess.run(
        [sys.executable, "-c", CUT_CHECKPOINT, str(path), "200"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cut.returncode == -signal.SIGXFSZ, cut.stdout + cut.stderr  # killed mid-checkpoint
    wal = path.with_name("axo.db-wal")
    assert wal.stat().st_size > 500_000  # the rest of the journal is still in the WAL
    assert header_promises_more_than_the_file(path)  # what the old header check refused

    journal = Journal(path)
    try:
        runs = journal.list_runs(limit=1000)
        assert len(runs) == 200 and {r.status for r in runs} == {"completed"}
        assert journal.get_run("r0") is not None and journal.get_run("r199") is not None
    finally:
        journal.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()


def test_the_cli_reads_a_journal_whose_checkpoint_was_cut(tmp_path: Path) -> None:
    (tmp_path / "axo.yaml").write_text(YAML)
    path = tmp_path / ".axo" / "axo.db"
    path.parent.mkdir(mode=0o700)
    subprocess.run([sys.executable, "-c", CUT_CHECKPOINT, str(path), "50"], timeout=120)
    assert header_promises_more_than_the_file(path)
    listed = subprocess.run(
        [*AXO, "runs", "list", "--json", "--limit", "100"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count('"status": "completed"') == 50
    assert "truncated" not in listed.stderr and "move" not in listed.stderr


def test_a_journal_cut_short_without_its_wal_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "axo.db"
    subprocess.run([sys.executable, "-c", CUT_CHECKPOINT, str(path), "50"], timeout=120)
    path.with_name("axo.db-wal").unlink()  # now the rest really is gone
    path.with_name("axo.db-shm").unlink(missing_ok=True)
    damaged = path.read_bytes()
    with pytest.raises(JournalError) as caught:
        Journal(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: the journal is damaged: it is truncated (")
    assert "logs/daily/" in message and "mv " in message
    assert path.read_bytes() == damaged


# ------------------------------------------------------------------ a full disk at start-up
@pytest.fixture
def tiny_disk() -> Iterator[Path]:
    """A 2 MiB tmpfs (needs root, or the test is skipped: a full disk cannot be faked)."""
    where = Path(tempfile.mkdtemp(prefix="axo-full-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        where.rmdir()
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)
        with contextlib.suppress(OSError):
            where.rmdir()


def test_a_full_disk_at_start_up_says_the_disk_is_full(tiny_disk: Path) -> None:
    (tiny_disk / "axo.yaml").write_text(YAML)
    first = subprocess.run([*AXO, "run", "a", "-i", "hi"], cwd=tiny_disk, capture_output=True)
    assert first.returncode == 0, first.stderr
    filler = tiny_disk / "filler"
    with filler.open("wb") as file, contextlib.suppress(OSError):
        while True:
            file.write(b"\0" * 65536)
    for args in (["run", "a", "-i", "again"], ["runs", "list"]):
        full = subprocess.run([*AXO, *args], cwd=tiny_disk, capture_output=True, text=True)
        assert full.returncode == 1
        assert f"{tiny_disk / '.axo'}: the disk is full" in full.stderr, full.stderr
        assert "move" not in full.stderr and "damaged" not in full.stderr
        assert "Traceback" not in full.stderr
    filler.unlink()
    after = subprocess.run([*AXO, "runs", "list"], cwd=tiny_disk, capture_output=True, text=True)
    assert after.returncode == 0 and "completed" in after.stdout


# ------------------------------------------------------------ garbage in the middle pages
async def journal_with_a_session(tmp_path: Path) -> Path:
    config = make_config(
        tmp_path,
        [agent("a")],
        workflows=[WorkflowConfig("w", ("a",))],
        providers=[scripted({"a": ["fine"] * 40})],
    )

    async with build_runtime(config) as runtime:
        for i in range(30):
            await runtime.run_agent(
                "a", f"turn {i} " + "x" * 3000, session_id=chat_session_id("a", "main")
            )
    return tmp_path / ".axo" / "axo.db"


def garble_session_pages(path: Path) -> None:
    """Random bytes over the session table's leaf pages, as a bad sector would leave."""
    db = sqlite3.connect(path)
    pages = [
        page
        for (page,) in db.execute(
            "SELECT pageno FROM dbstat WHERE name = 'session_messages' AND pagetype = 'leaf'"
        )
    ]
    db.close()
    assert len(pages) > 4
    with path.open("r+b") as file:
        for page in pages[1:-1]:
            file.seek((page - 1) * 4096)
            file.write(os.urandom(4096))


def test_garbage_in_the_middle_is_named_and_explained_never_a_traceback(tmp_path: Path) -> None:
    path = asyncio.run(journal_with_a_session(tmp_path))
    (tmp_path / "axo.yaml").write_text(YAML)
    garble_session_pages(path)
    for args in (["run", "a", "-s", "main", "-i", "hello"], ["memory", "show", "a"]):
        done = subprocess.run([*AXO, *args], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr + done.stdout, args
        assert f"error: {path}: the journal is damaged: " in done.stderr, (args, done.stderr)
        assert "quick_check: " in done.stderr
        # What is left: the tables that still read back whole, and the files beside it.
        assert "still readable: runs (30 rows)" in done.stderr
        assert "usage (30 rows)" in done.stderr and "session_messages (" not in done.stderr
        assert "logs/daily/" in done.stderr
    db = sqlite3.connect(path)  # still there, still damaged: nothing was moved or "repaired"
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):
        db.execute("SELECT * FROM session_messages").fetchall()
    db.close()


async def test_a_damaged_page_met_during_a_turn_is_a_journal_error(tmp_path: Path) -> None:
    path = await journal_with_a_session(tmp_path)
    garble_session_pages(path)
    config = make_config(tmp_path, [agent("a")], providers=[scripted({"a": ["fine"]})])
    async with build_runtime(config) as runtime:
        with pytest.raises(JournalError) as caught:
            await runtime.run_agent("a", "hello", session_id=chat_session_id("a", "main"))
    assert str(caught.value).startswith(f"{path}: the journal is damaged: ")
