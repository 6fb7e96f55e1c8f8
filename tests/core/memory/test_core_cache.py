"""Core blocks are rendered every turn: read from a cache, yet never stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from axo_tui.core.config.schema import AgentConfig
from axo_tui.core.memory import core_blocks
from axo_tui.core.memory.core_blocks import CoreMemory


def values(store: CoreMemory, agent: AgentConfig) -> dict[str, str]:
    return {block.label: block.value for block in store.blocks(agent)}


def test_an_unchanged_file_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    agent = AgentConfig(id="a")
    store = CoreMemory(tmp_path / "core")
    store.set(agent, "human", "likes tea")
    parsed = []
    real_parse = core_blocks._parse

    def counting(raw: bytes) -> core_blocks._Stored:
        parsed.append(raw)
        return real_parse(raw)

    monkeypatch.setattr(core_blocks, "_parse", counting)
    for _ in range(5):
        assert values(store, agent)["human"] == "likes tea"
    assert len(parsed) == 1


def test_an_edit_by_another_process_is_seen_at_the_next_read(tmp_path: Path) -> None:
    agent = AgentConfig(id="a")
    mine, theirs = CoreMemory(tmp_path / "core"), CoreMemory(tmp_path / "core")
    mine.set(agent, "human", "likes tea")
    assert values(mine, agent)["human"] == "likes tea"
    theirs.set(agent, "human", "likes tee")  # same size, right after
    assert values(mine, agent)["human"] == "likes tee"
    theirs.reset(agent)  # `axo memory forget --core`
    assert values(mine, agent)["human"] == AgentConfig(id="a").memory.core_blocks[1].value


def test_the_rendered_section_follows_edits_and_config_changes(tmp_path: Path) -> None:
    agent = AgentConfig(id="a")
    store, other = CoreMemory(tmp_path / "core"), CoreMemory(tmp_path / "core")
    first = store.render(agent)
    assert store.render(agent) is first  # nothing changed: not rendered again
    other.set(agent, "human", "likes tea")
    assert "likes tea" in store.render(agent)
    assert "core_memory_append" not in store.render(agent, editable=False)
    renamed = AgentConfig(id="a", memory=agent.memory.__class__(core_blocks=()))
    assert store.render(renamed) == ""
