"""Lay agents out by dependency depth and route the edges between them in box characters.

A small layered (Sugiyama-style) layout, enough for the tens of agents a project has:

1. depth: an agent with no dependencies is in column 0, any other one column right of its
   deepest dependency;
2. an edge that skips columns is split by *dummy* nodes, one per skipped column, so every
   edge joins neighbouring columns and never runs through a node;
3. rows: each column is ordered by the mean row of its parents and placed as close to that
   row as the column allows, so a chain A→B→C stays on one straight line;
4. each source gets its own vertical channel in the gap to the next column; cells record
   which directions lines leave them in, and the union becomes ─│╭╮╰╯├┤┬┴┼.

Imports no textual: the widget turns this into styled text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

N, E, S, W = 1, 2, 4, 8
ROW_STEP = 3
"""Rows per node slot: the label, a status line, and a blank line."""
GAP_MIN = 4

BOX = {
    E | W: "─",
    N | S: "│",
    E: "─",
    W: "─",
    N: "│",
    S: "│",
    E | S: "╭",
    W | S: "╮",
    N | E: "╰",
    N | W: "╯",
    N | S | E: "├",
    N | S | W: "┤",
    E | W | S: "┬",
    E | W | N: "┴",
    N | E | S | W: "┼",
}
ARROW = "▶"


@dataclass(frozen=True)
class NodeBox:
    agent_id: str
    column: int
    x: int
    y: int
    width: int
    """The width of the column the node sits in (labels are padded to it)."""


@dataclass
class LatticeLayout:
    nodes: dict[str, NodeBox] = field(default_factory=dict)
    cells: dict[tuple[int, int], int] = field(default_factory=dict)
    """(x, y) -> the directions edge lines leave the cell in (N|E|S|W bits)."""
    owners: dict[tuple[int, int], set[str]] = field(default_factory=dict)
    """(x, y) -> the source agents whose edges pass through the cell (for colouring)."""
    arrows: set[tuple[int, int]] = field(default_factory=set)
    width: int = 0
    height: int = 0

    def glyph(self, x: int, y: int) -> str | None:
        if (x, y) in self.arrows:
            return ARROW
        bits = self.cells.get((x, y))
        return BOX.get(bits) if bits else None


@dataclass
class _Item:
    key: str
    agent_id: str | None
    """None for a dummy node (a bend point of a long edge)."""
    source: str
    """The real agent the edges out of this item belong to (itself, or the dummy's origin)."""
    column: int
    order: int
    y: int = 0


def depths(agents: Sequence[tuple[str, Sequence[str]]]) -> dict[str, int]:
    """Column of each agent. Unknown dependencies are ignored; a cycle (rejected by config
    validation, but the widget must not hang on one) is cut where it closes."""
    deps = {
        agent_id: [d for d in dependencies if d != agent_id] for agent_id, dependencies in agents
    }
    known = set(deps)
    result: dict[str, int] = {}
    visiting: set[str] = set()

    def visit(agent_id: str) -> int:
        if agent_id in result:
            return result[agent_id]
        if agent_id in visiting:
            return -1
        visiting.add(agent_id)
        parents = [visit(dep) for dep in deps[agent_id] if dep in known]
        visiting.discard(agent_id)
        result[agent_id] = 1 + max(parents, default=-1)
        return result[agent_id]

    for agent_id in deps:
        visit(agent_id)
    return result


def compute_layout(
    agents: Sequence[tuple[str, Sequence[str]]],
    widths: Mapping[str, int],
    *,
    min_column_width: int = 1,
) -> LatticeLayout:
    """Place `agents` ((id, depends_on) in config order); `widths` are their label widths.

    Columns are at least `min_column_width` wide, leaving room for text under the labels.
    """
    if not agents:
        return LatticeLayout()
    column_of = depths(agents)
    order = {agent_id: index for index, (agent_id, _) in enumerate(agents)}
    items: dict[str, _Item] = {
        agent_id: _Item(agent_id, agent_id, agent_id, column_of[agent_id], order[agent_id])
        for agent_id, _ in agents
    }
    edges: list[tuple[str, str]] = []
    for agent_id, dependencies in agents:
        for dep in dict.fromkeys(dependencies):
            if dep not in items or column_of[dep] >= column_of[agent_id]:
                continue  # unknown, or the back edge of a cycle
            previous = dep
            for column in range(column_of[dep] + 1, column_of[agent_id]):
                key = f"{dep}>{agent_id}@{column}"
                items[key] = _Item(key, None, dep, column, order[agent_id])
                edges.append((previous, key))
                previous = key
            edges.append((previous, agent_id))

    columns = _order_columns(items, edges)
    _assign_rows(columns, items, edges)
    return _route(columns, items, edges, widths, min_column_width)


def _order_columns(items: Mapping[str, _Item], edges: Sequence[tuple[str, str]]) -> list[list[str]]:
    count = 1 + max(item.column for item in items.values())
    columns: list[list[str]] = [[] for _ in range(count)]
    for key in sorted(items, key=lambda k: (items[k].column, items[k].order, k)):
        columns[items[key].column].append(key)
    parents: dict[str, list[str]] = {}
    for source, target in edges:
        parents.setdefault(target, []).append(source)
    for index in range(1, count):
        position = {key: row for row, key in enumerate(columns[index - 1])}

        def barycenter(key: str, position: dict[str, int] = position) -> tuple[float, int]:
            rows = [position[p] for p in parents.get(key, []) if p in position]
            return (sum(rows) / len(rows) if rows else float("inf"), items[key].order)

        columns[index].sort(key=barycenter)
    return columns


def _assign_rows(
    columns: Sequence[Sequence[str]],
    items: Mapping[str, _Item],
    edges: Sequence[tuple[str, str]],
) -> None:
    parents: dict[str, list[str]] = {}
    for source, target in edges:
        parents.setdefault(target, []).append(source)
    for column in columns:
        next_free = 0
        for key in column:
            rows = [items[p].y for p in parents.get(key, [])]
            wanted = round(sum(rows) / len(rows) / ROW_STEP) * ROW_STEP if rows else 0
            items[key].y = max(wanted, next_free)
            next_free = items[key].y + ROW_STEP


def _route(
    columns: Sequence[Sequence[str]],
    items: Mapping[str, _Item],
    edges: Sequence[tuple[str, str]],
    widths: Mapping[str, int],
    min_column_width: int,
) -> LatticeLayout:
    layout = LatticeLayout()
    column_width = [
        max(min_column_width, *(widths.get(items[key].agent_id or "", 1) for key in column))
        for column in columns
    ]
    sources_in_gap: list[list[str]] = [[] for _ in columns]
    for source_key, _ in edges:
        gap = sources_in_gap[items[source_key].column]
        if source_key not in gap:
            gap.append(source_key)
    for gap in sources_in_gap:
        gap.sort(key=lambda key: items[key].y)
    column_x: list[int] = []
    x = 0
    for index, width in enumerate(column_width):
        column_x.append(x)
        x += width + max(GAP_MIN, 2 + 2 * len(sources_in_gap[index]))
    for column in columns:
        for key in column:
            item = items[key]
            cx = column_x[item.column]
            if item.agent_id is not None:
                layout.nodes[item.agent_id] = NodeBox(
                    item.agent_id, item.column, cx, item.y, column_width[item.column]
                )
            else:  # a dummy is a straight line through its column
                _horizontal(layout, item.source, item.y, cx, cx + column_width[item.column] - 1)
    for source_key, target_key in edges:
        tail, head = items[source_key], items[target_key]
        start = column_x[tail.column]
        if tail.agent_id is not None:
            start += widths.get(tail.agent_id, 1)
        else:
            start += column_width[tail.column]
        channel = (
            column_x[tail.column]
            + column_width[tail.column]
            + 1
            + 2 * sources_in_gap[tail.column].index(source_key)
        )
        end = column_x[head.column] - 1
        _horizontal(layout, tail.source, tail.y, start, channel, open_start=True)
        _vertical(layout, tail.source, channel, tail.y, head.y)
        if head.agent_id is not None:
            _horizontal(layout, tail.source, head.y, channel, end)
            layout.arrows.add((end, head.y))
        else:
            _horizontal(layout, tail.source, head.y, channel, end + 1)
    layout.width = column_x[-1] + column_width[-1]  # no gap after the last column
    layout.height = max((item.y for item in items.values()), default=0) + 2
    return layout


def _mark(layout: LatticeLayout, owner: str, x: int, y: int, bits: int) -> None:
    layout.cells[(x, y)] = layout.cells.get((x, y), 0) | bits
    layout.owners.setdefault((x, y), set()).add(owner)


def _horizontal(
    layout: LatticeLayout, owner: str, y: int, x1: int, x2: int, *, open_start: bool = False
) -> None:
    low, high = min(x1, x2), max(x1, x2)
    for x in range(low, high + 1):
        bits = (E if x < high else 0) | (W if x > low or (open_start and x == low) else 0)
        if bits:
            _mark(layout, owner, x, y, bits)


def _vertical(layout: LatticeLayout, owner: str, x: int, y1: int, y2: int) -> None:
    low, high = min(y1, y2), max(y1, y2)
    for y in range(low, high + 1):
        bits = (S if y < high else 0) | (N if y > low else 0)
        if bits:
            _mark(layout, owner, x, y, bits)
