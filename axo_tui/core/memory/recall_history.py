"""What an agent recalled lately, read back from its daily activity log.

Every call of a `recall_*` tool and its result are logged there as they happen, and so is
what passive recall injects into a prompt (`passive_recall` entries, shown as the tool
"passive"). Reading can mean reading a busy day's file: `RecallReader` is plain file reading
(no events, no shared state, safe in a worker thread) and re-reads a day only when its file
changed. The public query is `ProjectState.recent_recalls`.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axo_tui.core.memory.activity_log import ActivityLog, DayRange

RECALLS_SHOWN = 20
DAYS_SCANNED = 7
"""How far back (days with a log) `RecallReader.recent` looks."""
RESULT_CHARS = 600
"""A recall's result is kept up to here: a summary, the log has the rest."""


@dataclass(frozen=True)
class Recall:
    """One call of a recall tool and what it returned."""

    ts: str
    """ISO timestamp of the call, as logged."""
    tool: str
    arguments: dict[str, Any]
    ok: bool | None
    """None while the call has no logged result (in flight, or the process stopped)."""
    result: str
    run_id: str | None = None
    session_id: str | None = None

    @property
    def when(self) -> str:
        """`YYYY-MM-DD HH:MM:SS` of the call."""
        return self.ts[:19].replace("T", " ")

    @property
    def summary(self) -> str:
        """The arguments as a person reads them: `"photosynthesis" k=3`, `2026-11-20`."""
        arguments = dict(self.arguments)
        parts = []
        query = arguments.pop("query", None)
        if query is not None:
            parts.append(json.dumps(str(query), ensure_ascii=False))
        date = arguments.pop("date", None)
        if date is not None:
            parts.append(str(date))
        start, end = arguments.pop("from", None), arguments.pop("to", None)
        if start is not None or end is not None:
            parts.append(f"{start or '…'} to {end or '…'}")
        parts += [f"{key}={value}" for key, value in arguments.items()]
        return " ".join(parts)


def _is_recall(entry: dict[str, Any]) -> bool:
    return str(entry.get("tool", "")).startswith("recall_")


def recalls_from_entries(entries: list[dict[str, Any]]) -> list[Recall]:
    """Pair each logged recall call with its result (same activation, same tool, next
    result), oldest first."""
    recalls: list[Recall] = []
    waiting: dict[tuple[object, str], list[int]] = {}
    for entry in entries:
        kind = entry.get("kind")
        if kind == "passive_recall":  # injected into the prompt, no tool call
            recalls.append(
                Recall(
                    ts=str(entry.get("ts", "")),
                    tool="passive",
                    arguments={"query": str(entry.get("query", ""))},
                    ok=True,
                    result=_hits(str(entry.get("content", "")))[:RESULT_CHARS],
                    run_id=_text(entry.get("run_id")),
                    session_id=_text(entry.get("session_id")),
                )
            )
            continue
        if kind not in ("tool_call", "tool_result") or not _is_recall(entry):
            continue
        tool = str(entry.get("tool"))
        key = (entry.get("activation_id"), tool)
        if kind == "tool_call":
            arguments = entry.get("arguments")
            waiting.setdefault(key, []).append(len(recalls))
            recalls.append(
                Recall(
                    ts=str(entry.get("ts", "")),
                    tool=tool,
                    arguments=arguments if isinstance(arguments, dict) else {},
                    ok=None,
                    result="",
                    run_id=_text(entry.get("run_id")),
                    session_id=_text(entry.get("session_id")),
                )
            )
        elif waiting.get(key):
            index = waiting[key].pop(0)
            call = recalls[index]
            content = str(entry.get("content", ""))[:RESULT_CHARS]
            recalls[index] = Recall(
                call.ts,
                call.tool,
                call.arguments,
                bool(entry.get("ok", True)),
                content,
                call.run_id,
                call.session_id,
            )
    return recalls


def _hits(section: str) -> str:
    """The recalled memories of a `<recalled_memories>` section, without its wrapping."""
    lines = section.splitlines()
    if lines and lines[0].startswith("<recalled_memories>"):
        lines = lines[2:]  # the tag and the line that introduces the memories
    if lines and lines[-1].startswith("</recalled_memories>"):
        lines = lines[:-1]
    return "\n".join(lines)


def _text(value: object) -> str | None:
    return str(value) if value else None


class RecallReader:
    """Recent recalls of agents from their activity logs, newest first.

    Keeps the recalls of each day file with the file's size and modification time, so a
    refresh reads only the days that changed (today's, usually). Safe to call from a
    worker thread; one lock guards the cache."""

    def __init__(self, log: ActivityLog) -> None:
        self.log = log
        self._cache: dict[tuple[str, dt.date], tuple[tuple[int, int], list[Recall]]] = {}
        self._lock = threading.Lock()

    def recent(self, agent_id: str, limit: int = RECALLS_SHOWN) -> list[Recall]:
        found: list[Recall] = []
        for day in reversed(self.log.days(agent_id)[-DAYS_SCANNED:]):
            found.extend(reversed(self._day(agent_id, day)))
            if len(found) >= limit:
                break
        return found[:limit]

    def _day(self, agent_id: str, day: dt.date) -> list[Recall]:
        stamp = file_stamp(self.log.day_path(agent_id, day))
        key = (agent_id, day)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        recalls = recalls_from_entries(self.log.read(agent_id, DayRange(day, day)))
        with self._lock:
            self._cache[key] = (stamp or (0, 0), recalls)
        return recalls


def activity_stamp(log: ActivityLog, agent_id: str) -> tuple[int, int] | None:
    """Size and modification time of the agent's newest day file (None without one):
    cheap to poll, and it changes with every logged entry."""
    days = log.days(agent_id)
    if not days:
        return None
    return file_stamp(log.day_path(agent_id, days[-1]))


def file_stamp(path: Path) -> tuple[int, int] | None:
    """Size and modification time of a file (None if it is missing): changes with a write."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns
