"""`axo trace`'s tree, built from the journal's events alone."""

from __future__ import annotations

from pathlib import Path

from axo_tui.core.config.schema import WorkflowConfig
from axo_tui.core.runtime.build import build_runtime, open_state
from axo_tui.core.telemetry.trace_tree import build_tree, render_lines
from tests.support.builders import agent, make_config, scripted, step


async def test_the_tree_shows_agents_their_calls_and_tools_from_the_journal(
    tmp_path: Path,
) -> None:
    config = make_config(
        tmp_path,
        [agent("researcher", tools=("calculator",)), agent("writer", "researcher")],
        workflows=[WorkflowConfig(id="w", agents=("researcher", "writer"))],
        providers=[
            scripted(
                {
                    "researcher": [step("", ("calculator", {"expression": "2+2"})), "four"],
                    "writer": ["it is \x1b]0;owned\x07 four"],
                }
            )
        ],
    )
    async with build_runtime(config) as rt:
        run_id = (await rt.run_workflow("w", "what is 2+2")).run_id
    state = open_state(tmp_path / ".axo")  # read back with no runtime
    try:
        tree = build_tree(run_id, state.open().events(run_id=run_id))
    finally:
        state.close()
    assert tree.label == "workflow w" and not tree.failed
    assert [c.label for c in tree.children] == ["researcher", "writer"]
    researcher = tree.children[0]
    assert [(c.kind, c.label) for c in researcher.children] == [
        ("chat", "chat scripted"),
        ("tool", "tool calculator"),
        ("chat", "chat scripted"),
    ]
    assert researcher.children[1].note == "4"
    assert researcher.tokens_in == sum(c.tokens_in for c in researcher.children) > 0
    assert tree.tokens_out == researcher.tokens_out + tree.children[1].tokens_out
    assert all(node.duration is not None for node in (tree, researcher))
    lines = [text for text, _ in render_lines(tree)]
    assert lines[1].startswith("├─ researcher") and lines[-1].startswith("   └─ chat")
    assert all("\x1b" not in line and "\x07" not in line for line in lines)
