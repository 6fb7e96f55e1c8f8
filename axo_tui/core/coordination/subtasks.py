"""A coordinator pass's subtasks: what was planned, who took each, how it ended.

The plan is journaled once (`coordinator.plan`) before any subtask starts, so a resumed
pass works on the very same subtasks, by id, without asking the model again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from axo_tui.core.coordination.htn import Task


@dataclass
class Subtask:
    id: str
    name: str
    tools: tuple[str, ...] = ()
    source: str = "htn"
    worker: str | None = None
    ok: bool | None = None
    """None while unfinished."""
    text: str = ""
    """The result, or the error."""

    @property
    def finished(self) -> bool:
        return self.ok is not None

    def plan_entry(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "tools": list(self.tools), "source": self.source}


def number(tasks: Sequence[Task]) -> list[Subtask]:
    """Plan order gives the ids: s1, s2, ..."""
    return [Subtask(f"s{i}", t.name, t.tools, t.source) for i, t in enumerate(tasks, 1)]


def plan_json(subtasks: Sequence[Subtask]) -> str:
    return json.dumps([s.plan_entry() for s in subtasks], ensure_ascii=False)


def from_plan_json(text: str) -> list[Subtask]:
    entries = json.loads(text)
    return [
        Subtask(
            str(e["id"]),
            str(e["name"]),
            tuple(str(t) for t in e.get("tools", ())),
            str(e.get("source", "htn")),
        )
        for e in entries
    ]
