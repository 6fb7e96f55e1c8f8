"""Context compaction: fit a long conversation into the model's context window.

A session transcript grows without end; the model's window does not. Before a request would
overflow it, the request (never the stored transcript) is compacted, in this order:

1. long tool results of earlier turns are cut to a short head with a note;
2. the oldest whole turns are condensed into one note: the first line of each message,
   bounded, so the agent keeps the thread without the bulk;
3. what is condensed is said plainly, with where the full text is: the journal keeps the
   session, tier 2 (the activity log) and tier 4 (semantic recall) keep every exchange, and
   the note names the tools that reach them.

Turns are cut only at a user message, so a tool result never loses the assistant message
that asked for it (providers reject such a request). The system prompt and the current turn
are never dropped. The condensing here is extractive (no extra model call): it costs
nothing and cannot fail. `summary` builds on it to have the agent's model summarise the
folded turns when it can (within the token budget), and falls back to this note when not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from axo_tui.core.providers.base import Message, ToolSpec

Counter = Callable[[tuple[Message, ...], tuple[ToolSpec, ...]], int]

OLD_TOOL_RESULT_CHARS = 400
"""An earlier turn's tool result is cut to this many characters when space is short."""
CONDENSED_LINE_CHARS = 160
"""Each condensed message keeps at most this much of its first line."""
CONDENSED_SHARE = 0.15
"""The condensed note may take this share of the window at most; older lines go first."""


@dataclass(frozen=True)
class Compaction:
    messages: tuple[Message, ...]
    condensed: int = 0
    """How many earlier messages were condensed into the note."""
    truncated: int = 0
    """How many tool results were cut."""
    summarised: bool = False
    """The condensed turns are a model-written summary (`summary`), not first lines."""
    summary_problem: str = ""
    """Why a model summary was wanted but not made (the note says it too)."""

    @property
    def changed(self) -> bool:
        return bool(self.condensed or self.truncated)


def compact(
    messages: Sequence[Message],
    tools: tuple[ToolSpec, ...],
    *,
    window: int,
    reserve: int,
    count: Counter,
    recall_hint: str = "",
) -> Compaction:
    """`messages` (system first, then history, then the current turn from its last user
    message on) fitted into `window - reserve` tokens as well as it can be."""
    budget = window - reserve
    current = tuple(messages)
    if count(current, tools) <= budget or len(current) < 3:
        return Compaction(current)
    system, body = current[0], list(current[1:])
    turn_start = last_user_index(body)
    history, truncated = shorten_tool_results(body[:turn_start])
    turn = body[turn_start:]
    candidate = (system, *history, *turn)
    if count(candidate, tools) <= budget:
        return Compaction(candidate, truncated=truncated)

    starts = [i for i, message in enumerate(history) if message.role == "user"] + [len(history)]
    note_budget = max(200, int(window * CONDENSED_SHARE))

    def cut_at(start: int) -> tuple[Message, ...]:
        note = _note(history[:start], note_budget, count, recall_hint)
        return (with_note(system, note), *history[start:], *turn)

    # Drop whole turns, oldest first, as few as will fit. Fewer dropped turns means a longer
    # request, so the smallest cut that fits is found by bisection: a few counts per call
    # instead of one per turn, which matters when a session has hundreds of turns.
    low, high = 1, len(starts) - 1
    best: tuple[Message, ...] | None = None
    while low <= high:
        middle = (low + high) // 2
        candidate = cut_at(starts[middle])
        if count(candidate, tools) <= budget:
            best, best_start, high = candidate, starts[middle], middle - 1
        else:
            low = middle + 1
    if best is not None:
        return Compaction(best, condensed=best_start, truncated=truncated)
    # Even the current turn alone is too long: send the note and the turn; the provider or
    # the budget check reports what is still too large.
    if history:
        system = with_note(system, _note(history, note_budget, count, recall_hint))
    kept_turn = _truncate_turn_tools(turn)
    cut = sum(1 for before, after in zip(turn, kept_turn, strict=True) if before is not after)
    return Compaction((system, *kept_turn), condensed=len(history), truncated=truncated + cut)


def shorten_tool_results(history: list[Message]) -> tuple[list[Message], int]:
    """Earlier turns' long tool results cut to a short head; and how many were cut."""
    shortened, truncated = [], 0
    for message in history:
        if message.role == "tool" and len(message.content) > OLD_TOOL_RESULT_CHARS:
            cut = len(message.content) - OLD_TOOL_RESULT_CHARS
            message = replace(
                message,
                content=message.content[:OLD_TOOL_RESULT_CHARS]
                + f"\n[{cut} more characters cut to fit the context window]",
            )
            truncated += 1
        shortened.append(message)
    return shortened, truncated


def with_note(system: Message, note: str) -> Message:
    # In the system message rather than as a message of its own: some providers insist that
    # user and assistant messages alternate, and a note is not something the user said.
    return replace(system, content=f"{system.content}\n\n{note}")


def last_user_index(body: list[Message]) -> int:
    for index in range(len(body) - 1, -1, -1):
        if body[index].role == "user":
            return index
    return 0


def _note(dropped: list[Message], note_budget: int, count: Counter, hint: str) -> str:
    header = (
        f"[Context compacted: the {len(dropped)} earliest messages of this session are "
        "condensed below (first lines only) to fit the context window."
        + (f" {hint}" if hint else "")
        + "]"
    )
    lines = [_condensed_line(message) for message in dropped if message.role != "tool"]
    # Keep the most recent condensed lines when even the note is too long.
    while lines:
        note = "\n".join([header, *lines])
        if count((Message("system", note),), ()) <= note_budget:
            return note
        lines = lines[max(1, len(lines) // 5) :]
    return header


def _condensed_line(message: Message) -> str:
    first = message.content.strip().splitlines()[0] if message.content.strip() else ""
    if len(first) > CONDENSED_LINE_CHARS:
        first = first[:CONDENSED_LINE_CHARS] + "..."
    calls = ", ".join(call.name for call in message.tool_calls)
    if calls:
        first = f"{first} (called {calls})".strip()
    return f"- {message.role}: {first or '(no text)'}"


def _truncate_turn_tools(turn: list[Message]) -> list[Message]:
    return [
        replace(message, content=message.content[:OLD_TOOL_RESULT_CHARS] + "\n[cut]")
        if message.role == "tool" and len(message.content) > OLD_TOOL_RESULT_CHARS
        else message
        for message in turn
    ]
