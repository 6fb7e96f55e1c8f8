"""The one atomic writer: whole or untouched, private, no temp file left; core memory uses it."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from axo_tui.core.base.atomic_files import atomic_write
from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.memory.core_blocks import CoreMemory


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)  # the writer must not rely on the umask for privacy
    try:
        yield
    finally:
        os.umask(previous)


def fill_disk_mid_write(monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write

    def half_then_full(fd: int, data: bytes | memoryview) -> int:
        if len(data) > 8:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", half_then_full)


def test_a_new_file_is_whole_private_and_leaves_no_temp(tmp_path: Path, open_umask: None) -> None:
    target = tmp_path / "state.json"
    atomic_write(target, b'{"a": 1}')
    atomic_write(target, b'{"a": 2}')
    assert target.read_bytes() == b'{"a": 2}'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_disk_filling_mid_write_leaves_the_old_content_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.json"
    atomic_write(target, b"old and whole")
    fill_disk_mid_write(monkeypatch)
    with pytest.raises(OSError) as caught:
        atomic_write(target, b"new content that will not fit")
    monkeypatch.undo()
    assert caught.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"old and whole"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_recycled_file_becomes_the_new_one(tmp_path: Path) -> None:
    old, target = tmp_path / "1.json", tmp_path / "2.json"
    old.write_bytes(b"a longer stale content than the new one")
    inode = old.stat().st_ino
    atomic_write(target, b"new", recycle=old)
    assert target.read_bytes() == b"new" and target.stat().st_ino == inode
    assert not old.exists()


def test_core_memory_on_a_full_disk_keeps_the_block_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Core memory writes through the same writer, so a short write is caught, not trusted.
    memory = CoreMemory(tmp_path / "core")
    agent = AgentConfig(id="a")
    memory.set(agent, "human", "prefers teal")
    before = sorted(p.name for p in (tmp_path / "core").iterdir())
    fill_disk_mid_write(monkeypatch)
    with pytest.raises(OSError):
        memory.set(agent, "human", "prefers dark teal, and a much longer note " * 4)
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "core").iterdir()) == before
    fresh = CoreMemory(tmp_path / "core")
    assert fresh.block(agent, "human").value == "prefers teal"
