"""Everything under the data directory is private: files 0600, folders 0700, whatever the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from axo_tui.core.config.schema import WorkflowConfig
from axo_tui.core.memory.semantic import SemanticMemory
from axo_tui.core.runtime.build import build_runtime
from tests.support.builders import agent, make_config, scripted
from tests.support.embedders import HashEmbedder


@pytest.fixture(params=[0o022, 0o002, 0o000], ids=["umask-022", "umask-002", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def broader_than_private(root: Path) -> list[str]:
    found = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        if mode != wanted:
            found.append(f"{oct(mode)} {path.relative_to(root.parent)}")
    return found


async def test_the_state_a_run_leaves_is_private(tmp_path: Path, umask: int) -> None:
    config = make_config(
        tmp_path,
        [agent("a")],
        workflows=[WorkflowConfig("w", ("a",))],
        providers=[scripted({"a": ["fine"]})],
    )
    async with build_runtime(config) as runtime:
        assert (await runtime.run_workflow("w", "hello")).ok
        runtime.memory.core.append(config.agents[0], "human", "likes tea")
        journal_files = {p.name for p in (tmp_path / ".axo").glob("axo.db*")}
        assert {"axo.db", "axo.db-wal", "axo.db-shm"} <= journal_files
        assert broader_than_private(tmp_path / ".axo") == []  # while it runs (WAL, shm)
    assert broader_than_private(tmp_path / ".axo") == []
    assert (tmp_path / ".axo" / "logs" / "daily").is_dir()
    assert (tmp_path / ".axo" / "checkpoints" / "a").is_dir()


def test_the_recall_store_is_private(tmp_path: Path, umask: int) -> None:
    store = SemanticMemory(tmp_path / "memory" / "semantic", embedder=HashEmbedder())
    store.add("a", ["the deploy key lives in the vault"])
    store.close()
    assert list((tmp_path / "memory" / "semantic").rglob("*"))  # chromadb wrote files
    assert broader_than_private(tmp_path / "memory") == []


def test_an_older_journal_left_readable_is_made_private(tmp_path: Path) -> None:
    from axo_tui.core.store.journal import Journal

    path = tmp_path / "axo.db"
    Journal(path).close()
    path.chmod(0o644)
    Journal(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


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


@pytest.mark.parametrize("mode", [0o755, 0o750])
def test_every_command_warns_of_a_data_dir_others_can_read(tmp_path: Path, mode: int) -> None:
    (tmp_path / "axo.yaml").write_text(YAML)
    data = tmp_path / "state"
    data.mkdir()
    data.chmod(mode)
    env = {**os.environ, "AXO_DATA_DIR": str(data)}
    who = "anyone" if mode & 0o007 else "its group"
    for args in (["run", "a", "-i", "hi"], ["runs", "list"], ["agents", "status"]):
        done = subprocess.run([*AXO, *args], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (args, done.stderr)
        warning = f"warning: {data}: the data directory can be read by {who} (mode 0{mode:o})"
        assert done.stderr.count(warning) == 1, (args, done.stderr)
        assert f"chmod 700 {data}" in done.stderr
    assert stat.S_IMODE(data.stat().st_mode) == mode  # the user's folder: warned, not changed
    data.chmod(0o700)
    quiet = subprocess.run([*AXO, "runs", "list"], cwd=tmp_path, env=env, capture_output=True)
    assert b"warning" not in quiet.stderr
