"""Tier 2: the daily activity log, one JSONL file per agent and day, written as turns happen.

    <state_dir>/logs/daily/<agent>/YYYY-MM-DD.jsonl

One line per thing that happened in a turn: the user message, each tool call and its result,
the assistant's reply, an error. Each line carries an ISO timestamp, the run, session and
activation ids, so `recall_timeframe` (and a person with `grep`) can replay a day. Lines are
appended whole (one `os.write` each, or each agent's lines of a moment together). A line torn
by a crash or a full disk is ended before the next process appends (so the next entry is not
glued to it and lost), and the reader skips it with a warning rather than failing the day.

Inside a runtime (`defer`), the lines made during one turn of the event loop are written at
its next turn, each agent's in one write (`deferred_lines`). A reader in this process always
sees every line (`flush` first).

Each agent's day file stays open between entries (one `os.write` per line, no buffer to
flush), reopened when the day changes or the file was removed under it (`forget`, `axo gc`;
checked at most once a second), and closed with the runtime. At most MAX_OPEN_FILES are open
at once.

Days are local calendar days: "what did we do on Tuesday" means the user's Tuesday.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from axo_tui.core.base import jsonfast
from axo_tui.core.base.errors import AxoError
from axo_tui.core.memory.deferred_lines import (
    DeferredLines,
    open_for_appending,
    skip_torn,
    whole_lines,
)
from axo_tui.core.store.private_files import private_dir

MAX_DAYS = 31
"""The widest range `recall_timeframe` reads: a month, so one call cannot flood a prompt."""
MAX_OUTPUT_CHARS = 12_000
"""recall_timeframe's answer is cut here, with a note saying how to narrow it."""
MAX_FIELD_CHARS = 2_000
"""One entry's text is cut here in the answer (the file keeps all of it)."""
MAX_OPEN_FILES = 256
"""Day files kept open (one per agent that logged lately; a 1 -> 100 -> 1 fan-out must fit,
or every entry would reopen its file); the least recently used is closed beyond it."""


REOPEN_CHECK_SECS = 1.0
"""How often an open day file is checked for having been removed under us."""


@dataclass
class _OpenDay:
    day: dt.date
    fd: int
    checked: float
    """Monotonic time the file was last known to be linked."""


@functools.lru_cache(maxsize=1)
def _zone_for(hour: int) -> dt.tzinfo:
    # The local zone's offset, looked up once an hour (it changes with daylight saving).
    zone = dt.datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def _local_zone() -> dt.tzinfo:
    return _zone_for(int(time.time() // 3600))


_second: tuple[int, str, str, dt.date] = (-1, "", "", dt.date.min)
"""The last whole second stamped: (epoch second, "YYYY-MM-DDTHH:MM:SS", "+HH:MM", day)."""


def _stamp() -> tuple[str, dt.date]:
    """The local ISO timestamp with milliseconds, as `datetime.isoformat`, and the local day.
    Built from a per-second cache: a turn writes several lines within a second, and making
    and formatting a zoned datetime for each would repeat the same work."""
    global _second
    now = time.time()
    second = int(now)
    cached = _second
    if cached[0] != second:
        moment = dt.datetime.fromtimestamp(second, _local_zone())
        text = moment.isoformat()
        cached = _second = (second, text[:19], text[19:], moment.date())
    return f"{cached[1]}.{int((now - second) * 1000):03d}{cached[2]}", cached[3]


class ActivityLogError(AxoError):
    """Bad dates or range; the message says what a valid request looks like."""


@dataclass(frozen=True)
class DayRange:
    start: dt.date
    end: dt.date

    def days(self) -> Iterator[dt.date]:
        day = self.start
        while day <= self.end:
            yield day
            day += dt.timedelta(days=1)


class ActivityLog:
    """Append-only daily logs of every agent in one state directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._open: dict[str, _OpenDay] = {}
        """agent -> its open day file, most recently used last."""
        self._deferred = DeferredLines[tuple[str, dt.date]](self._write_day)

    def defer(
        self, loop: asyncio.AbstractEventLoop, on_error: Callable[[str, OSError], None]
    ) -> None:
        """From now on, write the lines made on `loop`'s thread at the loop's next turn (see
        the module's docstring), until `close()`. `on_error(agent_id, error)` hears of a
        write that failed then."""
        self._deferred.start(loop, lambda key, exc: on_error(key[0], exc))

    def flush(self) -> None:
        """Write every deferred line now."""
        self._deferred.flush()

    @classmethod
    def of_project(cls, state_dir: Path) -> ActivityLog:
        """The activity log of the project whose data directory is `state_dir`."""
        return cls(state_dir / "logs" / "daily")

    def agent_dir(self, agent_id: str) -> Path:
        return self.root / quote(agent_id, safe="-_.")

    def day_path(self, agent_id: str, day: dt.date) -> Path:
        return self.agent_dir(agent_id) / f"{day.isoformat()}.jsonl"

    def append(self, agent_id: str, kind: str, **fields: Any) -> None:
        """Write one entry now (`kind`: user, assistant, tool_call, tool_result, error,
        passive_recall)."""
        self.write(agent_id, kind, fields)

    def write(self, agent_id: str, kind: str, fields: Mapping[str, Any]) -> None:
        """As `append`, with the fields given as a mapping (the turn builds it once)."""
        stamp, day = _stamp()
        data = jsonfast.line({"ts": stamp, "kind": kind, **fields})
        self._deferred.write((agent_id, day), data)

    def _write_day(self, key: tuple[str, dt.date], data: bytes) -> None:
        """One write of whole lines to an agent's day file. One lock for the process: two
        activations of one agent must not interleave bytes within a line. O_APPEND makes each
        write land at the end even when another process (a second runtime) appends too."""
        with self._lock:
            fd = self._fd(*key)
            view = memoryview(data)
            while view:  # a short write (a signal, a nearly full disk): write the rest
                view = view[os.write(fd, view) :]

    def _fd(self, agent_id: str, day: dt.date) -> int:
        """The open descriptor of the agent's file for `day`; the caller holds the lock.

        Whether the file was removed under us (`axo memory forget`, `axo gc` in another
        process) is checked at most every REOPEN_CHECK_SECS, not on every line: an fstat per
        line would add a system call to every write, and lines written in the same instant
        as a forget are racing it anyway."""
        now = time.monotonic()
        held = self._open.get(agent_id)
        if held is not None and held.day == day and now - held.checked < REOPEN_CHECK_SECS:
            # Recently opened or checked: no reordering either. The eviction order is by
            # the last check, refreshed at least once a second for every file in use.
            return held.fd
        held = self._open.pop(agent_id, None)
        if held is not None:
            if held.day == day:  # the check is due
                try:
                    alive = os.fstat(held.fd).st_nlink > 0
                except OSError:
                    alive = False
                if alive:
                    held.checked = now
                    self._open[agent_id] = held  # most recently checked last
                    return held.fd
            with contextlib.suppress(OSError):
                os.close(held.fd)  # another day, or the file was deleted under us
        path = self.day_path(agent_id, day)
        private_dir(path.parent)
        fd = open_for_appending(path)  # 0600, and a torn last line ended first
        self._open[agent_id] = _OpenDay(day, fd, now)
        while len(self._open) > MAX_OPEN_FILES:
            oldest = next(iter(self._open))
            with contextlib.suppress(OSError):
                os.close(self._open.pop(oldest).fd)
        return fd

    def close(self, agent_id: str | None = None) -> None:
        """Close the kept-open day files (of one agent, or all), after writing the deferred
        lines; the next entry reopens. Closing them all also ends the deferral: the loop may
        be about to close."""
        if agent_id is None:
            self._deferred.stop()
        else:
            self.flush()
        with self._lock:
            for key in [agent_id] if agent_id is not None else list(self._open):
                held = self._open.pop(key, None)
                if held is not None:
                    with contextlib.suppress(OSError):
                        os.close(held.fd)

    def read(self, agent_id: str, days: DayRange) -> list[dict[str, Any]]:
        self.flush()
        entries: list[dict[str, Any]] = []
        for day in days.days():
            path = self.day_path(agent_id, day)
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except FileNotFoundError:
                continue
            for number, line in whole_lines(path, text):
                try:
                    entry = json.loads(line)
                except ValueError:
                    entry = None
                if isinstance(entry, dict):
                    entries.append(entry)
                else:  # a line torn by a crash or a full disk: skip it, keep the rest
                    skip_torn(path, number)
        return entries

    def days(self, agent_id: str) -> list[dt.date]:
        """The days that have a log, oldest first."""
        self.flush()
        found = []
        directory = self.agent_dir(agent_id)
        if not directory.is_dir():
            return []
        for path in directory.glob("*.jsonl"):
            try:
                found.append(dt.date.fromisoformat(path.stem))
            except ValueError:
                continue
        return sorted(found)

    def forget(self, agent_id: str, before: dt.date | None = None) -> int:
        """Delete the agent's logs (only days before `before` when given). Returns files."""
        self.close(agent_id)
        if before is None:
            count = len(self.days(agent_id))
            shutil.rmtree(self.agent_dir(agent_id), ignore_errors=True)
            return count
        removed = 0
        for day in self.days(agent_id):
            if day < before:
                self.day_path(agent_id, day).unlink(missing_ok=True)
                removed += 1
        return removed


def parse_range(arguments: dict[str, Any], *, today: dt.date | None = None) -> DayRange:
    """`{date}` or `{from, to}` (YYYY-MM-DD) into a checked range of at most MAX_DAYS."""
    if "date" in arguments and arguments["date"] not in (None, ""):
        day = _date(arguments["date"], "date")
        return DayRange(day, day)
    start_raw, end_raw = arguments.get("from"), arguments.get("to")
    if start_raw in (None, "") and end_raw in (None, ""):
        raise ActivityLogError(
            "give either {date: YYYY-MM-DD} or {from: YYYY-MM-DD, to: YYYY-MM-DD}"
        )
    today = today or dt.date.today()
    start = _date(start_raw, "from") if start_raw not in (None, "") else None
    end = _date(end_raw, "to") if end_raw not in (None, "") else today
    if start is None:
        start = end
    if end < start:
        raise ActivityLogError(f"'from' ({start}) is after 'to' ({end}); swap them")
    span = (end - start).days + 1
    if span > MAX_DAYS:
        raise ActivityLogError(
            f"the range {start} to {end} covers {span} days; at most {MAX_DAYS} at a time"
        )
    return DayRange(start, end)


def _date(value: Any, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ActivityLogError(f"'{name}' must be a date as YYYY-MM-DD (got {value!r})") from None


def render_entries(entries: list[dict[str, Any]], days: DayRange) -> str:
    """A compact, readable transcript for the model, cut at MAX_OUTPUT_CHARS with a note."""
    label = str(days.start) if days.start == days.end else f"{days.start} to {days.end}"
    # What passive recall put in a prompt is a copy of older memories, not activity: left out.
    entries = [entry for entry in entries if entry.get("kind") != "passive_recall"]
    if not entries:
        return f"no activity recorded for {label}"
    lines = [f"activity {label} ({len(entries)} entries):"]
    size = len(lines[0])
    for index, entry in enumerate(entries):
        line = _entry_line(entry)
        if size + len(line) + 1 > MAX_OUTPUT_CHARS:
            left = len(entries) - index
            lines.append(
                f"[truncated: {left} more entries not shown; ask for a single day or a "
                "narrower range, or use recall_search for a topic]"
            )
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def _entry_line(entry: dict[str, Any]) -> str:
    stamp = str(entry.get("ts", ""))[:19].replace("T", " ")
    kind = entry.get("kind", "?")
    if kind == "tool_call":
        arguments = json.dumps(entry.get("arguments", {}), ensure_ascii=False)
        text = f"{entry.get('tool', '?')} {arguments}"
    elif kind == "tool_result":
        status = "ok" if entry.get("ok", True) else "error"
        text = f"{entry.get('tool', '?')} ({status}): {entry.get('content', '')}"
    else:
        text = str(entry.get("content", ""))
    if len(text) > MAX_FIELD_CHARS:
        text = text[:MAX_FIELD_CHARS] + f"... [{len(text) - MAX_FIELD_CHARS} chars cut]"
    session = entry.get("session_id")
    where = f" [{session}]" if session else ""
    return f"{stamp}{where} {kind}: {text}"
