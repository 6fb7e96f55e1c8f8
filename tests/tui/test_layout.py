"""The lattice layout: columns by dependency depth, edges routed in box characters."""

from __future__ import annotations

from axo_tui.tui.lattice_layout import ROW_STEP, compute_layout, depths


def draw(agents: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    widths = {agent_id: len(agent_id) + 2 for agent_id, _ in agents}
    layout = compute_layout(agents, widths)
    grid = [[" "] * layout.width for _ in range(layout.height)]
    for x, y in layout.cells:
        grid[y][x] = layout.glyph(x, y) or " "
    for x, y in layout.arrows:
        grid[y][x] = "▶"
    for node in layout.nodes.values():
        for offset, char in enumerate(f"[{node.agent_id}]"):
            grid[node.y][node.x + offset] = char
    return ["".join(row).rstrip() for row in grid]


def test_depth_is_one_more_than_the_deepest_dependency() -> None:
    agents = [("a", ()), ("b", ("a",)), ("c", ("a", "b")), ("d", ())]
    assert depths(agents) == {"a": 0, "b": 1, "c": 2, "d": 0}


def test_a_chain_is_one_straight_line() -> None:
    lines = draw([("a", ()), ("b", ("a",)), ("c", ("b",))])
    assert lines[0] == "[a]───▶[b]───▶[c]"


def test_diamond_fans_out_and_joins() -> None:
    lines = draw([("p", ()), ("r", ("p",)), ("c", ("p",)), ("w", ("r", "c"))])
    assert lines[0].startswith("[p]─┬─▶[r]")
    assert "▶[w]" in lines[0]
    assert "╰─▶[c]" in lines[ROW_STEP]
    assert "╯" in lines[ROW_STEP]  # c's edge climbs back up to w


def test_an_edge_skipping_a_column_never_crosses_a_node() -> None:
    agents = [("a", ()), ("b", ("a",)), ("c", ("a", "b"))]
    layout = compute_layout(agents, {"a": 3, "b": 3, "c": 3})
    # draw() uses the same widths: "[a]" is 3 wide.
    b = layout.nodes["b"]
    for x in range(b.x, b.x + b.width):
        assert (x, b.y) not in layout.cells  # the long edge goes around b, not through it
    c = layout.nodes["c"]
    assert (c.x - 1, c.y) in layout.arrows
    assert draw(agents)[ROW_STEP].lstrip().startswith("╰")  # the detour runs under b


def test_a_cycle_does_not_hang_and_every_agent_is_placed() -> None:
    layout = compute_layout([("a", ("b",)), ("b", ("a",))], {"a": 3, "b": 3})
    assert set(layout.nodes) == {"a", "b"}


def test_unknown_dependencies_are_ignored() -> None:
    layout = compute_layout([("a", ("ghost",))], {"a": 3})
    assert layout.nodes["a"].column == 0
    assert not layout.cells
