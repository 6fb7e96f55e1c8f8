"""Damaged state on disk: a clear error or a fallback, never a traceback, never more damage."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from axo_tui.core.config.schema import WorkflowConfig
from axo_tui.core.providers.base import Message
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.store.checkpoints import CheckpointStore
from axo_tui.core.store.journal import Journal, JournalError
from tests.support.builders import agent, make_config, scripted

YAML = """
agents:
  - id: a
    provider: scripted
workflows:
  - id: w
    agents: [a]
providers:
  scripted:
    replies:
      a: ["fine"]
"""


def config_for(tmp_path: Path):  # type: ignore[no-untyped-def]
    return make_config(
        tmp_path,
        [agent("a")],
        workflows=[WorkflowConfig("w", ("a",))],
        providers=[scripted({"a": ["fine"]})],
    )


async def journal_with_runs(tmp_path: Path, runs: int = 8) -> Path:
    """A journal of several pages, so that cutting it in half loses some."""
    async with build_runtime(config_for(tmp_path)) as runtime:
        for i in range(runs):
            await runtime.run_workflow("w", f"input {i} " + "x" * 3000)
    return tmp_path / ".axo" / "axo.db"


Damage = Callable[[bytes], bytes]
DAMAGES: dict[str, tuple[Damage, str]] = {
    "garbage": (lambda raw: os.urandom(len(raw)), "is not an axo journal"),
    "short-garbage": (lambda raw: b"not sqlite", "is not an axo journal"),
    "truncated": (lambda raw: raw[: len(raw) // 2], "the journal is damaged: it is truncated"),
    "garbage-after-header": (
        lambda raw: raw[:100] + os.urandom(len(raw) - 100),
        "the journal is damaged",
    ),
}


@pytest.mark.parametrize("name", DAMAGES)
async def test_damaged_journal_is_a_clear_error(tmp_path: Path, name: str) -> None:
    path = await journal_with_runs(tmp_path)
    damage, expected = DAMAGES[name]
    original = path.read_bytes()
    path.write_bytes(damage(original))
    damaged = path.read_bytes()
    with pytest.raises(JournalError) as caught:
        async with build_runtime(config_for(tmp_path)):
            pass
    assert str(path) in str(caught.value) and expected in str(caught.value)
    assert "aside" in str(caught.value)
    assert path.read_bytes() == damaged  # the damaged file is left as it was, for forensics


@pytest.mark.parametrize("name", ["garbage", "truncated"])
def test_damaged_journal_through_the_cli(tmp_path: Path, name: str) -> None:
    import asyncio

    path = asyncio.run(journal_with_runs(tmp_path))
    path.write_bytes(DAMAGES[name][0](path.read_bytes()))
    (tmp_path / "axo.yaml").write_text(YAML)
    runner = CliRunner()
    base = ["--config", str(tmp_path / "axo.yaml")]
    for args in (
        ["runs", "list"],
        ["runs", "resume"],
        ["workflow", "run", "w", "-i", "x"],
        ["agents", "status"],
        ["gc"],
    ):
        done = runner.invoke(app_module().app, [*base, *args])
        assert done.exit_code == 1, (args, done.output)
        assert str(path) in done.output, (args, done.output)
        assert "Traceback" not in done.output and "internal error" not in done.output


def app_module():  # type: ignore[no-untyped-def]
    from axo_tui.cli import app

    return app


async def test_an_empty_journal_file_is_a_new_journal(tmp_path: Path) -> None:
    path = tmp_path / ".axo" / "axo.db"
    path.parent.mkdir()
    path.write_bytes(b"")
    async with build_runtime(config_for(tmp_path)) as runtime:
        assert (await runtime.run_workflow("w", "x")).ok


async def test_a_garbage_wal_file_is_ignored_and_nothing_committed_is_lost(
    tmp_path: Path,
) -> None:
    path = await journal_with_runs(tmp_path, runs=3)
    path.with_name("axo.db-wal").write_bytes(os.urandom(8192))
    async with build_runtime(config_for(tmp_path)) as runtime:
        assert len(runtime.journal.list_runs()) == 3
        assert (await runtime.run_workflow("w", "x")).ok


async def test_a_directory_in_place_of_the_journal(tmp_path: Path) -> None:
    (tmp_path / ".axo" / "axo.db").mkdir(parents=True)
    with pytest.raises(JournalError, match=r"axo\.db: cannot read the journal"):
        async with build_runtime(config_for(tmp_path)):
            pass


async def test_a_file_in_place_of_the_data_directory(tmp_path: Path) -> None:
    (tmp_path / ".axo").write_text("oops")
    with pytest.raises(JournalError) as caught:
        async with build_runtime(config_for(tmp_path)):
            pass
    assert f"{tmp_path / '.axo'}: is a file, not a directory" in str(caught.value)


async def test_junk_in_the_checkpoint_directories(tmp_path: Path) -> None:
    checkpoints = tmp_path / ".axo" / "checkpoints"
    async with build_runtime(config_for(tmp_path)) as runtime:
        await runtime.run_workflow("w", "x")
    (checkpoints / "a" / "notes.txt").write_text("not a checkpoint")
    (checkpoints / "a" / "000009.json").mkdir()  # a directory with a checkpoint's name
    (checkpoints / "a" / ".000010.json.123.tmp").write_bytes(b'{"half": ')
    (checkpoints / "ghost").write_text("a file where an agent directory would be")
    async with build_runtime(config_for(tmp_path)) as runtime:
        assert runtime.supervisor.checkpoint("a").activations == 1
        result = await runtime.run_workflow("w", "y")
        warnings = [
            e["message"] for e in runtime.journal.events() if e["kind"] == "runtime.warning"
        ]
    assert result.ok
    assert any("000009.json: damaged checkpoint (unreadable" in w for w in warnings)
    latest = CheckpointStore(checkpoints).load("a").checkpoint
    assert latest is not None and latest.activations == 2


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A directory another user can enter (pytest's tmp_path is private to its user)."""
    path = Path(tempfile.mkdtemp(prefix="axo-ro-"))
    path.chmod(0o755)
    yield path
    for sub in path.rglob("*"):
        if sub.is_dir():
            sub.chmod(0o755)
    shutil.rmtree(path)


# Imports everything first, then (as root) drops to `nobody`, for whom the data directory is
# read-only: root ignores file modes, so only another user sees a read-only directory.
READ_ONLY_PROBE = """
import asyncio, os, sys
from pathlib import Path
from axo_tui.core.config import load_config
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.store.journal import JournalError
import axo_tui.core.providers.scripted

config = load_config(Path(sys.argv[1]))
if os.getuid() == 0:
    os.setgid(65534)
    os.setuid(65534)

async def main():
    async with build_runtime(config, data_dir=Path(sys.argv[2])) as runtime:
        await runtime.run_workflow("w", "x")

try:
    asyncio.run(main())
except JournalError as exc:
    print("clear error:", exc)
    sys.exit(1)
print("ran")
"""


@pytest.mark.parametrize("with_journal", [False, True], ids=["empty", "existing-journal"])
def test_a_read_only_data_directory_is_a_clear_error(shared_tmp: Path, with_journal: bool) -> None:
    (shared_tmp / "axo.yaml").write_text(YAML)
    data = shared_tmp / ".axo"
    data.mkdir()
    if with_journal:
        Journal(data / "axo.db").close()
        (data / "axo.db").chmod(0o644)
    data.chmod(0o555)
    probe = subprocess.run(
        [sys.executable, "-c", READ_ONLY_PROBE, str(shared_tmp / "axo.yaml"), str(data)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 1, probe.stdout + probe.stderr
    assert "Traceback" not in probe.stderr
    assert f"clear error: {data}: the data directory is read-only" in probe.stdout
    assert "--data-dir" in probe.stdout
    if with_journal:
        db = sqlite3.connect(data / "axo.db")
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone() == (0,)
        db.close()


def test_a_batch_commits_its_writes_together_even_when_it_ends_in_an_error(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "journal.db")
    other = sqlite3.connect(tmp_path / "journal.db")
    try:
        with journal.batch():
            journal.create_run("r1", "workflow", "w", "x")
            journal.start_activation("a1", "r1", "a", "start", "x", session_id="s")
            with journal.batch():  # nested: joins the outer transaction
                length = journal.append_session("s", "a", [Message("user", "hi")])
            # Not visible to another connection until the batch ends.
            assert other.execute("SELECT COUNT(*) FROM activations").fetchone()[0] == 0
        assert length == 1
        assert other.execute("SELECT COUNT(*) FROM activations").fetchone()[0] == 1
        with pytest.raises(RuntimeError), journal.batch():
            journal.finish_activation("a1", "completed", "ok")
            raise RuntimeError("a bug after the write")
        assert [a.status for a in journal.activations("r1")] == ["completed"]
        assert journal.append_session("s", "a", [Message("assistant", "yo")]) == 2
        assert journal.session_length("s") == 2
    finally:
        other.close()
        journal.close()
