"""Tier 3 storage: blocks, limits, shared blocks, config changes, damaged files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from axo_tui.core.config.schema import AgentConfig, CoreBlockSpec, MemorySettings
from axo_tui.core.memory.core_blocks import CoreMemory, CoreMemoryError, render_core_memory


def agent_with(agent_id: str, *blocks: CoreBlockSpec) -> AgentConfig:
    return AgentConfig(id=agent_id, memory=MemorySettings(core_blocks=blocks))


@pytest.fixture
def notices() -> list[tuple[str | None, str]]:
    return []


@pytest.fixture
def store(tmp_path: Path, notices: list[tuple[str | None, str]]) -> CoreMemory:
    return CoreMemory(tmp_path / "core", notify=lambda a, m: notices.append((a, m)))


def test_defaults_come_from_the_config(store: CoreMemory) -> None:
    blocks = store.blocks(AgentConfig(id="a"))
    assert [b.label for b in blocks] == ["persona", "human", "project"]
    assert all(b.value == "" and b.limit == 2000 for b in blocks)
    assert not store.agent_path("a").exists()  # nothing is written until an edit


def test_edits_persist_at_once_and_survive_a_new_store(store: CoreMemory, tmp_path: Path) -> None:
    agent = AgentConfig(id="a")
    store.append(agent, "human", "Name: Ada.")
    store.append(agent, "human", "Likes teal.")
    store.replace(agent, "human", "teal", "dark teal")
    store.set(agent, "project", "axo memory")
    fresh = CoreMemory(tmp_path / "core")
    assert fresh.block(agent, "human").value == "Name: Ada.\nLikes dark teal."
    assert fresh.block(agent, "project").value == "axo memory"
    document = json.loads(store.agent_path("a").read_text())
    assert document["agent"] == "a" and set(document["blocks"]) == {"persona", "human", "project"}


def test_the_limit_is_enforced_with_a_message_the_model_can_act_on(store: CoreMemory) -> None:
    agent = agent_with("a", CoreBlockSpec("human", limit=2000))
    store.set(agent, "human", "x" * 1990)
    with pytest.raises(CoreMemoryError) as error:
        store.append(agent, "human", "y" * 109)
    message = str(error.value)
    assert "block 'human' would hold 2100 of 2000 characters" in message
    assert "core_memory_replace" in message
    assert store.block(agent, "human").value == "x" * 1990  # nothing half-applied


def test_unknown_block_and_missing_text_are_clear_errors(store: CoreMemory) -> None:
    agent = AgentConfig(id="a")
    with pytest.raises(
        CoreMemoryError,
        match="no core memory block 'humans'; the blocks are: persona, human, project",
    ):
        store.append(agent, "humans", "x")
    store.set(agent, "human", "Name: Ada")
    with pytest.raises(CoreMemoryError, match="not found in block 'human'"):
        store.replace(agent, "human", "Name: Bob", "Name: Eve")
    with pytest.raises(CoreMemoryError, match="empty"):
        store.append(agent, "human", "  ")


def test_shared_blocks_are_stored_once_for_the_team(store: CoreMemory) -> None:
    team = CoreBlockSpec("team", limit=500, description="Team agreements.", shared=True)
    alice = agent_with("alice", CoreBlockSpec("human"), team)
    bob = agent_with("bob", team)
    store.append(alice, "team", "Deploys happen on Fridays.")
    assert store.block(bob, "team").value == "Deploys happen on Fridays."
    store.replace(bob, "team", "Fridays", "Tuesdays")
    assert store.block(alice, "team").value == "Deploys happen on Tuesdays."
    assert json.loads(store.shared_path.read_text())["blocks"]["team"]["value"].endswith(
        "Tuesdays."
    )
    assert not store.agent_path("alice").exists()  # only the shared file was written


def test_a_config_change_adds_blocks_and_updates_limits_without_erasing_values(
    store: CoreMemory,
) -> None:
    before = agent_with("a", CoreBlockSpec("human", limit=100, description="old"))
    store.set(before, "human", "Name: Ada")
    after = agent_with(
        "a",
        CoreBlockSpec("human", limit=300, description="Who the user is."),
        CoreBlockSpec("goals", limit=200, value="Ship v1."),
    )
    human, goals = store.blocks(after)
    assert (human.value, human.limit, human.description) == ("Name: Ada", 300, "Who the user is.")
    assert goals.value == "Ship v1."
    # A block dropped from the config keeps its text on disk and comes back when re-added.
    dropped = agent_with("a", CoreBlockSpec("goals"))
    assert [b.label for b in store.blocks(dropped)] == ["goals"]
    assert [b.label for b in store.all_blocks(dropped) if not b.in_config] == ["human"]
    assert store.block(after, "human").value == "Name: Ada"


def test_a_block_over_a_lowered_limit_can_still_shrink(store: CoreMemory) -> None:
    store.set(agent_with("a", CoreBlockSpec("notes", limit=100)), "notes", "z" * 80)
    tight = agent_with("a", CoreBlockSpec("notes", limit=50))
    with pytest.raises(CoreMemoryError, match="would hold 82 of 50"):
        store.append(tight, "notes", "!")
    assert store.set(tight, "notes", "z" * 60).chars == 60  # smaller, still over: allowed
    store.set(tight, "notes", "short")


def test_a_corrupt_file_falls_back_to_the_backup_with_one_warning(
    store: CoreMemory, notices: list[tuple[str | None, str]]
) -> None:
    agent = AgentConfig(id="a")
    store.set(agent, "human", "Name: Ada")
    store.set(agent, "project", "axo")  # the .bak now holds the file with the name only
    path = store.agent_path("a")
    path.write_text('{"blocks": {"human": {"value": "Name: A', encoding="utf-8")
    assert store.block(agent, "human").value == "Name: Ada"
    assert len(notices) == 1
    assert notices[0][0] == "a"
    assert "damaged" in notices[0][1] and "restored the previous copy" in notices[0][1]
    kept = list(path.parent.glob("a.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text().startswith('{"blocks"')
    store.blocks(agent)
    assert len(notices) == 1  # restored on disk: no warning on every turn


def test_a_corrupt_file_without_backup_means_defaults_not_a_crash(
    store: CoreMemory, notices: list[tuple[str | None, str]]
) -> None:
    path = store.agent_path("a")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00\xff garbage")
    blocks = store.blocks(AgentConfig(id="a"))
    assert [b.value for b in blocks] == ["", "", ""]
    assert "no usable backup" in notices[0][1]
    store.append(AgentConfig(id="a"), "human", "fresh start")
    assert store.block(AgentConfig(id="a"), "human").value == "fresh start"


def test_writes_are_atomic_and_leave_no_temp_files(store: CoreMemory) -> None:
    agent = AgentConfig(id="a")
    for index in range(5):
        store.append(agent, "human", f"fact {index}")
    names = sorted(p.name for p in store.root.iterdir())
    assert names == ["a.json", "a.json.bak", "a.json.lock"]
    assert json.loads((store.root / "a.json.bak").read_text())["blocks"]["human"]["value"] == (
        "fact 0\nfact 1\nfact 2\nfact 3"
    )


def test_agent_ids_become_safe_file_names(store: CoreMemory) -> None:
    assert store.agent_path("../evil").parent == store.root
    assert store.agent_path("../evil").name == "..%2Fevil.json"


def test_rendering_shows_label_description_size_and_value() -> None:
    store_blocks = [
        *CoreMemory(Path("/nonexistent")).blocks(
            agent_with(
                "a",
                CoreBlockSpec("human", 2000, "What you know about the user.", value="Ada"),
                CoreBlockSpec("team", 500, "", shared=True),
            )
        )
    ]
    text = render_core_memory(store_blocks)
    assert text.startswith("<core_memory>") and text.endswith("</core_memory>")
    assert '<block label="human" chars="3/2000">' in text
    assert "(What you know about the user.)\nAda\n</block>" in text
    assert '<block label="team" chars="0/500" shared>\n(empty)' in text
    assert "core_memory_append {block, text}" in text
