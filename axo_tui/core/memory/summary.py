"""Compaction with a summary written by the agent's own model.

`compaction.compact` folds the oldest turns of a long session into a note of first lines: it
cannot fail and costs nothing, but a first line is a poor memory of a turn. When the agent's
model can be asked, the folded turns are summarised by it instead:

- The summary is *rolling*: it covers the first `covers` messages of the session, and when
  more must be folded the model is given the summary so far plus the newly folded messages,
  never the whole history again. Each summary is kept on disk (one small file per session,
  `memory/summaries/`), so a restart does not pay for it again.
- A new summary folds more than the bare minimum (SLACK of the room is left free), so the
  next turns reuse it instead of asking the model again on every turn of a long chat.
- Every summary request goes through the same door as the agent's own calls (`Ask`: the
  budget check before the call, the usage ledger after it) and fits the context window
  itself: folded text that would not fit is summarised in chunks, each chunk updating the
  summary so far.
- When the model cannot be asked (the token budget refuses, the provider fails, the reply
  is empty), the extractive note is used, and it says why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from axo_tui.core.base.errors import AxoError
from axo_tui.core.memory.compaction import (
    Compaction,
    Counter,
    compact,
    last_user_index,
    shorten_tool_results,
    with_note,
)
from axo_tui.core.memory.files import write_json_atomic
from axo_tui.core.providers.base import Message, ToolSpec
from axo_tui.core.store.json_documents import json_documents
from axo_tui.core.store.private_files import private_dir

log = logging.getLogger(__name__)

Ask = Callable[[tuple[Message, ...], int, int], Awaitable[str]]
"""(request messages, reply token cap, tokens to keep) -> the model's reply text. Raises when
the call is refused or fails. The caller runs it through the budget check and the ledger,
and refuses it unless the budget keeps `keep` tokens for the turn's own call after it."""

SUMMARY_SHARE = 0.10
"""The summary may take this share of the context window (bounded below)."""
SUMMARY_TOKENS = (64, 800)
"""Bounds of the summary's size in tokens, whatever the window."""
SLACK = 0.5
"""Share of the room for verbatim history left free after a new summary, so the next turns
reuse it: with an 8k window that is a summary every 15-20 ordinary turns, not every turn."""
MESSAGE_CHARS = 2000
"""A folded message is shown to the summariser up to this many characters."""
MAX_CALLS = 4
"""Summary requests per compaction at most; an older backlog is left to recall."""
SUMMARY_CALLER = "compaction"
"""Sent as the request's purpose: the scripted provider scripts it as `<agent>#compaction`."""

INSTRUCTIONS = (
    "You condense conversations. Below is the summary so far (it may be empty) and the next "
    "part of a conversation between a user and an assistant. Write the updated summary for "
    "the assistant to keep in mind: facts, names, numbers, decisions, what the user wants, "
    "open questions, what tools found. Plain sentences, no preamble, no more than about "
    "{words} words."
)


class SummaryUnavailable(AxoError):
    """The model could not give a summary; the message says why (shown in the note)."""


@dataclass(frozen=True)
class Summary:
    covers: int
    """How many messages of the session's history (from its start) it summarises."""
    fingerprint: str
    """Of those messages: a summary of another history is never reused."""
    text: str


class SummaryStore:
    """The latest summary of each session, one JSON file per session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[str, Summary | None] = {}

    def path(self, session_id: str) -> Path:
        # Session ids are free text: the file is named by a hash of it.
        digest = hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:32]
        return self.root / f"{digest}.json"

    def get(self, session_id: str) -> Summary | None:
        if session_id in self._cache:
            return self._cache[session_id]
        summary = None
        try:
            document = json.loads(self.path(session_id).read_text(encoding="utf-8"))
            if document.get("session_id") == session_id:
                summary = Summary(
                    int(document["covers"]), str(document["fingerprint"]), str(document["text"])
                )
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            # Only a cache of what the journal holds: a damaged one is summarised again.
            log.warning("ignoring the damaged compaction summary of %r: %s", session_id, exc)
        self._cache[session_id] = summary
        return summary

    def put(self, session_id: str, agent_id: str, summary: Summary) -> None:
        self._cache[session_id] = summary
        document = {
            "session_id": session_id,
            "agent_id": agent_id,
            "covers": summary.covers,
            "fingerprint": summary.fingerprint,
            "text": summary.text,
            "updated_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        try:
            private_dir(self.root)
            write_json_atomic(self.path(session_id), document, keep_backup=False)
        except OSError as exc:  # kept in memory for this process; a full disk is not fatal
            log.warning("cannot save the compaction summary of %r: %s", session_id, exc)

    def stored(self) -> Iterator[tuple[Path, dict[str, Any]]]:
        """Every summary file with its document; unreadable ones are skipped (not provably
        ours, so nobody deletes them on that basis)."""
        return json_documents(self.root)

    def forget(self, agent_id: str, before: float | None = None) -> int:
        """Delete the agent's summaries (only those last written before `before`, a Unix
        time, when given): they hold the content of its conversations. Returns how many."""
        removed = 0
        for path, document in self.stored():
            if document.get("agent_id") != agent_id:
                continue
            try:
                if before is not None and path.stat().st_mtime >= before:
                    continue
                path.unlink()
            except OSError:
                continue
            self._cache.pop(str(document.get("session_id")), None)
            removed += 1
        return removed


@dataclass(frozen=True)
class Fit:
    """What the summarising compaction needs besides the messages."""

    window: int
    reserve: int
    count: Counter
    ask: Ask
    store: SummaryStore
    session_id: str
    agent_id: str
    hint: str = ""


async def compact_with_summary(
    messages: Sequence[Message], tools: tuple[ToolSpec, ...], fit: Fit
) -> Compaction:
    """Like `compact`, with the folded turns summarised by the model when it can be asked."""
    plain = compact(
        messages,
        tools,
        window=fit.window,
        reserve=fit.reserve,
        count=fit.count,
        recall_hint=fit.hint,
    )
    if not plain.condensed:
        return plain  # it fits, or only old tool results had to be cut
    system, body = messages[0], list(messages[1:])
    turn_start = last_user_index(body)
    raw_history, turn = body[:turn_start], body[turn_start:]
    history, truncated = shorten_tool_results(raw_history)
    budget = fit.window - fit.reserve
    cap = summary_tokens(fit.window)
    starts = [i for i, m in enumerate(history) if m.role == "user"] + [len(history)]

    def build(start: int, text: str) -> tuple[Message, ...]:
        note = summary_note(start, text, fit.hint)
        return (with_note(system, note), *history[start:], *turn)

    cached = fit.store.get(fit.session_id)
    if cached is not None and (
        cached.covers not in starts
        or cached.fingerprint != fingerprint(raw_history[: cached.covers])
    ):
        cached = None  # another history (an edited transcript): never reuse it
    if cached is not None:
        reused = build(cached.covers, cached.text)
        if fit.count(reused, tools) <= budget:
            return Compaction(reused, condensed=cached.covers, truncated=truncated, summarised=True)

    # Fold more, from where the summary so far ends: the fewest turns that, with a full-size
    # summary, leave SLACK of the room for verbatim history free.
    done = cached.covers if cached is not None else 0
    options = [start for start in starts if start > done]

    def size(start: int) -> int:
        return fit.count(build(start, ""), tools) + cap

    floor = size(options[-1]) if options else budget  # everything folded
    target = budget - int(SLACK * max(0, budget - floor))
    cut = _smallest_fitting(options, size, target)
    if cut is None:
        return plain  # even the current turn alone does not fit: compact handles that
    keep = size(cut) + fit.reserve  # the turn's own call after the summary, with its reply
    try:
        text = await summarise(
            raw_history[done:cut], cached.text if cached else "", fit, cap, keep=keep
        )
    except SummaryUnavailable as exc:
        return _extractive(messages, tools, fit, str(exc))
    summary = Summary(cut, fingerprint(raw_history[:cut]), text)
    fit.store.put(fit.session_id, fit.agent_id, summary)
    result = build(cut, text)
    if fit.count(result, tools) > budget:
        return _extractive(messages, tools, fit, "the summary came back too long")
    return Compaction(result, condensed=cut, truncated=truncated, summarised=True)


async def summarise(
    folded: Sequence[Message], previous: str, fit: Fit, cap: int, *, keep: int
) -> str:
    """The summary so far updated with `folded`, in as many requests as the window needs
    (at most MAX_CALLS: an older backlog is skipped, and the summary says so)."""
    lines = [_line(message) for message in folded if message.content.strip() or message.tool_calls]
    chunks = _chunks(lines, fit, cap)
    skipped = 0
    if len(chunks) > MAX_CALLS:
        skipped = sum(len(chunk) for chunk in chunks[:-MAX_CALLS])
        chunks = chunks[-MAX_CALLS:]
        previous = ""
    text = previous
    for chunk in chunks:
        try:
            reply = await fit.ask(_request(text, chunk, cap), cap, keep)
        except Exception as exc:  # the budget, the provider, anything: the note says so
            reason = str(exc).strip() or type(exc).__name__
            raise SummaryUnavailable(reason) from exc
        reply = reply.strip()
        if not reply:
            raise SummaryUnavailable("the model returned an empty summary")
        text = _bounded(reply, cap)
    if skipped:
        text = f"({skipped} older messages were too many to summarise; recall has them.)\n{text}"
    return text


def _chunks(lines: list[str], fit: Fit, cap: int) -> list[list[str]]:
    """Lines packed into requests that fit the window with the reply and a full summary."""
    room = fit.window - cap
    placeholder = "x" * (cap * 4)  # the summary so far may be that long by then

    def fits(chunk: list[str]) -> bool:
        return fit.count(_request(placeholder, chunk, cap), ()) <= room

    chunks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        while not fits([line]):  # one long message in a small window: keep its start
            if len(line) < 200:
                raise SummaryUnavailable("the context window is too small to summarise in")
            line = line[: len(line) // 2] + " [...]"
        candidate = [*current, line]
        if current and not fits(candidate):
            chunks.append(current)
            candidate = [line]
        current = candidate
    if current:
        chunks.append(current)
    return chunks


def _request(previous: str, lines: list[str], cap: int) -> tuple[Message, ...]:
    words = max(30, int(cap * 0.7))
    body = (
        f"<summary_so_far>\n{previous or '(none yet)'}\n</summary_so_far>\n\n"
        "<conversation>\n" + "\n".join(lines) + "\n</conversation>\n\nThe updated summary:"
    )
    return (Message("system", INSTRUCTIONS.format(words=words)), Message("user", body))


def _line(message: Message) -> str:
    text = message.content.strip()
    if len(text) > MESSAGE_CHARS:
        text = text[:MESSAGE_CHARS] + " [...]"
    calls = ", ".join(call.name for call in message.tool_calls)
    if calls:
        text = f"{text} (called {calls})".strip()
    who = f"tool {message.name}" if message.role == "tool" and message.name else message.role
    return f"{who}: {text}"


def _bounded(text: str, cap: int) -> str:
    """A reply that ignored the reply cap is cut (about four characters a token)."""
    limit = cap * 4
    return text if len(text) <= limit else text[:limit].rstrip() + " [...]"


def _smallest_fitting(options: list[int], size: Callable[[int], int], budget: int) -> int | None:
    """The smallest option whose size fits `budget`; sizes shrink as options grow."""
    low, high, best = 0, len(options) - 1, None
    while low <= high:
        middle = (low + high) // 2
        if size(options[middle]) <= budget:
            best, high = options[middle], middle - 1
        else:
            low = middle + 1
    return best


def _extractive(
    messages: Sequence[Message], tools: tuple[ToolSpec, ...], fit: Fit, reason: str
) -> Compaction:
    hint = f"No model summary this time ({reason[:200]}). {fit.hint}".strip()
    result = compact(
        messages, tools, window=fit.window, reserve=fit.reserve, count=fit.count, recall_hint=hint
    )
    return replace(result, summary_problem=reason)


def summary_tokens(window: int) -> int:
    low, high = SUMMARY_TOKENS
    return max(low, min(high, int(window * SUMMARY_SHARE)))


def summary_note(covers: int, text: str, hint: str) -> str:
    header = (
        f"[Context compacted: the {covers} earliest messages of this session are summarised "
        "below (you wrote the summary earlier) to fit the context window."
        + (f" {hint}" if hint else "")
        + "]"
    )
    return f"{header}\n{text}" if text else header


def fingerprint(messages: Sequence[Message]) -> str:
    digest = hashlib.sha256()
    for message in messages:
        digest.update(message.role.encode())
        digest.update(b"\x00")
        digest.update(message.content.encode("utf-8", "surrogatepass"))
        for call in message.tool_calls:
            digest.update(call.name.encode("utf-8", "surrogatepass"))
        digest.update(b"\x01")
    return digest.hexdigest()[:32]
