"""How the memory screen words an agent's recall settings. Imports no textual.

The recalls themselves come from the core (`ProjectState.recent_recalls`); `Recall` and
`recalls_from_entries` are named here too, where the screen's tests import them from.
"""

from __future__ import annotations

from axo_tui.core.memory.recall_history import Recall, recalls_from_entries

__all__ = ["Recall", "recall_note", "recalls_from_entries"]


def recall_note(passive_inject: bool, top_k: int, min_score: float) -> str:
    if not passive_inject:
        return "passive recall off"
    return f"passive recall: top {top_k} above {min_score:g} each turn"
