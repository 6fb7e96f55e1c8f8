"""Memory in plain sentences, for the embedded small model.

A 135M model echoes prompt scaffolding it does not understand: given `<core_memory>`,
`<block label=...>` and `<recalled_memories>`, it answered with "</block>", "You are the agent
...", or a recalled line with its date and score. Plain sentences were answered right as
often or more and echoed no markup (tests/bench/README.md), so the `local` provider gets this
layout: one sentence a block, and what the user wrote before as quoted lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from axo_tui.core.memory.core_blocks import CoreBlock
from axo_tui.core.memory.semantic import RecallHit

SUBJECTS = {
    "persona": "yourself",
    "human": "the user",
    "user": "the user",
    "project": "the project",
}
"""How the default blocks are named in a sentence; other labels are named as written."""


def plain_core_memory(blocks: Iterable[CoreBlock]) -> str:
    """`Your memory of the user: ...`, one line per block that holds something."""
    lines = [
        f"Your memory of {subject(block.label)}: {one_line(block.value)}"
        for block in blocks
        if block.value.strip()
    ]
    return "\n".join(lines)


def plain_recall(hits: Iterable[RecallHit], *, limit: int) -> str:
    """`On 2026-12-02 the user wrote: "..."`, one line per recalled statement."""
    lines = []
    for hit in hits:
        text = one_line(hit.text)
        if len(text) > limit:
            text = text[:limit] + "..."
        when = dt.datetime.fromtimestamp(hit.ts).date().isoformat() if hit.ts else "an earlier day"
        lines.append(f'On {when} the user wrote: "{text}"')
    return "\n".join(lines)


def subject(label: str) -> str:
    return SUBJECTS.get(label, f"the {label.replace('_', ' ')}")


def one_line(text: str) -> str:
    return " ".join(text.split())
