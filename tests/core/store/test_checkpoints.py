"""Checkpoints: atomic, numbered, the last three kept, damaged ones skipped with a warning."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from pathlib import Path

import pytest

from axo_tui.core.events.catalog import AgentCompleted, Event
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.store.checkpoints import (
    AgentCheckpoint,
    CheckpointError,
    CheckpointStore,
)
from tests.support.builders import agent, make_config, scripted


def write_n(store: CheckpointStore, agent_id: str, n: int) -> list[AgentCheckpoint]:
    return [
        store.write(AgentCheckpoint(agent_id, activations=i, prompt_tokens=10 * i))
        for i in range(1, n + 1)
    ]


def with_field(raw: bytes, name: str, value: object) -> bytes:
    """The checkpoint file with one field changed (it must be there to change)."""
    document = json.loads(raw)
    assert name in document
    document[name] = value
    return json.dumps(document).encode()


def test_round_trip_numbering_and_keep_three(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    written = write_n(store, "a", 5)
    assert [c.seq for c in written] == [1, 2, 3, 4, 5]
    assert [p.name for p in store.files("a")] == ["000003.json", "000004.json", "000005.json"]
    loaded = store.load("a")
    assert loaded.warnings == ()
    assert loaded.checkpoint == written[-1]
    assert loaded.path == tmp_path / "a" / "000005.json"


def test_numbers_sort_numerically_past_six_digits(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    (tmp_path / "a").mkdir()
    old = AgentCheckpoint("a", seq=999_999, activations=1)
    (tmp_path / "a" / "999999.json").write_text(json.dumps(old.to_json()))
    new = store.write(AgentCheckpoint("a", activations=2))
    assert new.seq == 1_000_000
    loaded = store.load("a").checkpoint
    assert loaded is not None and loaded.activations == 2


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda raw: raw[: len(raw) // 2], id="truncated"),
        pytest.param(lambda raw: b"", id="empty"),
        pytest.param(lambda raw: os.urandom(200), id="garbage"),
        pytest.param(lambda raw: b"[1, 2, 3]", id="not-an-object"),
        pytest.param(lambda raw: raw.replace(b'"a"', b'"zz"'), id="another-agent"),
        pytest.param(lambda raw: with_field(raw, "version", 9), id="version"),
        pytest.param(lambda raw: with_field(raw, "activations", -3), id="mistyped"),
    ],
)
def test_damaged_newest_falls_back_to_the_previous_with_a_warning(
    tmp_path: Path, damage: object
) -> None:
    store = CheckpointStore(tmp_path)
    write_n(store, "a", 3)
    newest = store.files("a")[-1]
    assert callable(damage)
    newest.write_bytes(damage(newest.read_bytes()))
    loaded = store.load("a")
    assert loaded.checkpoint is not None and loaded.checkpoint.activations == 2
    [warning] = loaded.warnings
    assert str(newest) in warning and "falling back to 000002.json" in warning


def test_every_checkpoint_damaged_starts_fresh(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    write_n(store, "a", 2)
    for path in store.files("a"):
        path.write_bytes(b"\x00\xff garbage")
    loaded = store.load("a")
    assert loaded.checkpoint is None
    assert len(loaded.warnings) == 2 and "starting fresh" in loaded.warnings[-1]
    # The next write goes past the damaged files rather than over them.
    assert store.write(AgentCheckpoint("a")).seq == 3


def test_disk_full_keeps_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CheckpointStore(tmp_path)
    write_n(store, "a", 2)
    before = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    real_write = os.write

    def fill_up(fd: int, data: bytes | memoryview) -> int:
        # The disk fills in the middle of the file: half lands, then ENOSPC.
        if len(data) > 8:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", fill_up)
    with pytest.raises(CheckpointError) as caught:
        store.write(AgentCheckpoint("a", activations=3))
    monkeypatch.undo()
    message = str(caught.value)
    assert "no space left" in message and "previous checkpoint is kept" in message
    assert str(tmp_path / "a") in message
    after = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    assert after == before  # no new file, no temp file, nothing rewritten
    loaded = store.load("a").checkpoint
    assert loaded is not None and loaded.activations == 2


def test_the_oldest_file_is_recycled_and_a_failed_write_keeps_the_newest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CheckpointStore(tmp_path)
    write_n(store, "a", 3)
    inode = (tmp_path / "a" / "000001.json").stat().st_ino
    store.write(AgentCheckpoint("a", activations=4))
    assert [p.name for p in store.files("a")] == ["000002.json", "000003.json", "000004.json"]
    assert (tmp_path / "a" / "000004.json").stat().st_ino == inode  # reused, not created
    newest = {p.name: p.read_bytes() for p in store.files("a")[1:]}

    def no_space(fd: int, data: bytes | memoryview) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", no_space)
    with pytest.raises(CheckpointError, match="no space left"):
        store.write(AgentCheckpoint("a", activations=5))
    monkeypatch.undo()
    # The oldest, about to go anyway, served as the temp file; the two newest are intact.
    assert {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()} == newest
    loaded = store.load("a").checkpoint
    assert loaded is not None and loaded.activations == 4 and not store.load("a").warnings


def test_a_file_in_place_of_the_directory_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("not a directory")
    store = CheckpointStore(tmp_path)
    loaded = store.load("a")
    assert loaded.checkpoint is None and "is not a directory" in loaded.warnings[0]
    with pytest.raises(CheckpointError, match="a file is in the way"):
        store.write(AgentCheckpoint("a"))


async def test_each_turn_is_checkpointed_behind_its_committed_completion(
    tmp_path: Path,
) -> None:
    """Checkpoints are written behind the turn; the journal is committed before the
    completion is reported (another process sees it), and closing the runtime waits for the
    last checkpoint, which then covers every turn."""
    config = make_config(tmp_path, [agent("a")], providers=[scripted({"a": ["one", "two"]})])
    store = CheckpointStore(tmp_path / ".axo" / "checkpoints")
    committed_at_completion: list[str] = []

    def on_event(event: Event) -> None:
        if isinstance(event, AgentCompleted):  # inline, as the bus delivers it
            with sqlite3.connect(tmp_path / ".axo" / "axo.db") as other:
                row = other.execute(
                    "SELECT status FROM activations WHERE id=?", (event.activation_id,)
                ).fetchone()
            committed_at_completion.append(row[0] if row else "missing")

    async with build_runtime(config) as runtime:
        runtime.bus.add_sink(on_event)
        await runtime.run_agent("a", "hello", session_id="chat:x")
        second = await runtime.run_agent("a", "again", session_id="chat:x")
        tokens = runtime.journal.usage_report(group_by="agent")[0]
    assert committed_at_completion == ["completed", "completed"]
    last = store.load("a").checkpoint  # written by the time the runtime closed
    assert last is not None and last.activations == 2 and last.run_id == second.run_id
    assert last.session_id == "chat:x" and last.sessions == {"chat:x": 4}
    assert (last.prompt_tokens, last.completion_tokens) == (
        tokens.prompt_tokens,
        tokens.completion_tokens,
    )


async def test_a_damaged_checkpoint_is_reported_and_does_not_block_start_up(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path, [agent("a")], providers=[scripted({"a": ["ok"]})])
    async with build_runtime(config) as runtime:
        await runtime.run_agent("a", "x")
        await runtime.run_agent("a", "y")
    store = CheckpointStore(tmp_path / ".axo" / "checkpoints")
    store.files("a")[-1].write_text('{"version": 1, "agent_id": "a", "se')
    async with build_runtime(config) as runtime:
        restored = runtime.supervisor.checkpoint("a")
        result = await runtime.run_agent("a", "z")
        warnings = [
            e["message"] for e in runtime.journal.events() if e["kind"] == "runtime.warning"
        ]
    assert restored.activations == 1
    assert result.ok
    assert any("damaged checkpoint" in w and "falling back" in w for w in warnings)


async def test_a_failed_checkpoint_write_warns_and_keeps_the_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path, [agent("a")], providers=[scripted({"a": ["ok"]})])
    async with build_runtime(config) as runtime:
        await runtime.run_agent("a", "x")
        await runtime.supervisor.settled("a")  # written behind the turn
        store = runtime.supervisor.store
        kept = store.files("a")[-1].read_bytes()

        def no_space(fd: int, data: bytes | memoryview) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "write", no_space)
        result = await runtime.run_agent("a", "y")
        await runtime.supervisor.settled("a")
        monkeypatch.undo()
        warnings = [
            e["message"] for e in runtime.journal.events() if e["kind"] == "runtime.warning"
        ]
    assert result.ok and result.output == "ok"
    assert [p.read_bytes() for p in store.files("a")] == [kept]
    assert any("no space left" in w for w in warnings)


def test_numbering_kept_in_memory_still_sees_other_writers_and_a_removed_directory(
    tmp_path: Path,
) -> None:
    store = CheckpointStore(tmp_path)
    write_n(store, "a", 2)
    # Another process (`axo agents restart`) writes the next number behind our back.
    other = CheckpointStore(tmp_path).write(AgentCheckpoint("a", activations=99))
    assert other.seq == 3
    mine = store.write(AgentCheckpoint("a", activations=3))
    assert mine.seq == 4 and store.load("a").checkpoint == mine
    assert CheckpointStore(tmp_path).load("a").checkpoint == mine
    # `axo gc` removed the whole directory: the next write makes it again.
    for path in store.files("a"):
        path.unlink()
    store.agent_dir("a").rmdir()
    again = store.write(AgentCheckpoint("a", activations=4))
    assert store.load("a").checkpoint == again


def test_many_writes_keep_exactly_the_last_three(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    (tmp_path / "a").mkdir()
    stale = tmp_path / "a" / ".000001.json.x.tmp"
    stale.write_text("{")
    os.utime(stale, (1, 1))
    write_n(store, "a", 150)  # past a full sweep (every PRUNE_SWEEP_EVERY writes)
    assert [p.name for p in store.files("a")] == ["000148.json", "000149.json", "000150.json"]
    assert not stale.exists()


def test_evolve_changes_only_what_it_is_given_and_refuses_unknown_fields() -> None:
    before = AgentCheckpoint(agent_id="a", seq=4, sessions={"s": 2}, activations=3)
    after = before.evolve(seq=5, activations=4)
    assert (after.seq, after.activations, after.sessions) == (5, 4, {"s": 2})
    assert (before.seq, before.activations) == (4, 3)  # the original is untouched
    assert after == AgentCheckpoint(agent_id="a", seq=5, sessions={"s": 2}, activations=4)
    with pytest.raises(TypeError, match="no field sequence"):
        before.evolve(sequence=1)
