"""Built-in tools: file access confined to the project; the ones that act ask a human first.

Blocking work (file reads, directory scans, arithmetic) runs off the event loop, and every
argument and result is bounded.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import stat
from pathlib import Path
from typing import Any

from axo_tui.core.tools.arithmetic import evaluate_arithmetic
from axo_tui.core.tools.file_access import FileAccess
from axo_tui.core.tools.file_edits import FILE_EDIT_TOOLS
from axo_tui.core.tools.registry import Tool, ToolContext, ToolError, off_loop
from axo_tui.core.tools.shell import SHELL_TOOL

MAX_READ_BYTES = 64 * 1024
"""read_file returns at most this many bytes per call, and reads no more than that."""
MAX_LIST_ENTRIES = 500
MAX_SCAN_ENTRIES = 10_000
"""list_dir reads at most this many entries of one directory before it stops counting."""
MAX_EVENT_NAME_CHARS = 200
MAX_EVENT_PAYLOAD_CHARS = 16 * 1024

__all__ = ["BUILTIN_TOOLS", "MAX_READ_BYTES", "evaluate_arithmetic"]


def _text_argument(arguments: dict[str, Any], name: str, default: str | None = None) -> str:
    value = arguments.get(name, default)
    if not isinstance(value, str):
        got = "nothing" if value is None else type(value).__name__
        raise ToolError(f"'{name}' must be a string (got {got})")
    return value


def _offset_argument(arguments: dict[str, Any]) -> int:
    value = arguments.get("offset", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ToolError(f"'offset' must be a whole number of bytes, 0 or more (got {value!r})")
    return value


async def _current_time(context: ToolContext, arguments: dict[str, Any]) -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _calculator(context: ToolContext, arguments: dict[str, Any]) -> str:
    return str(evaluate_arithmetic(_text_argument(arguments, "expression")))


def _read_file(context: ToolContext, arguments: dict[str, Any]) -> str:
    raw = _text_argument(arguments, "path")
    offset = _offset_argument(arguments)
    path = FileAccess.of(context).resolve(raw)
    data, size = _read_slice(path, raw, offset)
    if not data and offset:
        raise ToolError(f"offset {offset} is past the end of '{raw}' ({size} bytes)")
    if b"\0" in data:
        raise ToolError(f"'{raw}' is a binary file (it contains NUL bytes); read_file shows text")
    if len(data) <= MAX_READ_BYTES:
        return codecs.decode(data, "utf-8", errors="replace")
    # Cut at a character boundary, so the next call's offset starts on a whole character.
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = decoder.decode(data[:MAX_READ_BYTES], final=False)
    end = offset + MAX_READ_BYTES - len(decoder.getstate()[0])
    total = f"{size} bytes" if size > end else "more"
    return (
        f"{text}\n[cut: showed bytes {offset}-{end} of {total}; "
        f"call read_file with offset={end} for the next part]"
    )


def _read_slice(path: Path, raw: str, offset: int) -> tuple[bytes, int]:
    """Up to MAX_READ_BYTES + 1 bytes from `offset` (the extra byte tells a cut), and the size.

    No symlink is followed at open (the path was resolved and checked already), and a FIFO
    or device is refused without blocking on it.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ToolError(f"no such file: {raw}") from None
    except OSError as exc:
        raise ToolError(f"cannot open '{raw}': {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ToolError(f"'{raw}' is a directory; use list_dir")
        if not stat.S_ISREG(info.st_mode):
            raise ToolError(f"'{raw}' is not a regular file")
        chunks: list[bytes] = []
        wanted = MAX_READ_BYTES + 1
        while wanted > 0:
            chunk = os.pread(fd, wanted, offset)
            if not chunk:
                break
            chunks.append(chunk)
            wanted -= len(chunk)
            offset += len(chunk)
        return b"".join(chunks), info.st_size
    finally:
        os.close(fd)


def _list_dir(context: ToolContext, arguments: dict[str, Any]) -> str:
    raw = _text_argument(arguments, "path", ".")
    access = FileAccess.of(context)
    path = access.resolve(raw or ".")
    if not path.is_dir():
        raise ToolError(f"no such directory: {raw}")
    names: list[str] = []
    hidden = scanned = 0
    with os.scandir(path) as entries:
        for entry in entries:
            scanned += 1
            if scanned > MAX_SCAN_ENTRIES:
                break
            if access.hides_entry(entry):
                hidden += 1
                continue
            names.append(_entry_name(entry))
    names.sort()
    notes: list[str] = []
    if scanned > MAX_SCAN_ENTRIES:
        notes.append(
            f"[listing stopped: the directory holds more than {MAX_SCAN_ENTRIES} entries; "
            f"showing {min(len(names), MAX_LIST_ENTRIES)} of the first {MAX_SCAN_ENTRIES} read]"
        )
    elif len(names) > MAX_LIST_ENTRIES:
        notes.append(f"[showing the first {MAX_LIST_ENTRIES} of {len(names)} entries by name]")
    if hidden:
        notes.append(f"[{hidden} entries hidden: tools never see secrets or axo's state]")
    listing = names[:MAX_LIST_ENTRIES] or ["(empty)"]
    return "\n".join([*listing, *notes])


def _entry_name(entry: os.DirEntry[str]) -> str:
    try:
        is_dir = entry.is_dir()
    except OSError:
        is_dir = False
    # A newline in a file name must not pass for a second entry.
    name = entry.name if entry.name.isprintable() else repr(entry.name)
    return name + ("/" if is_dir else "")


async def _emit_event(context: ToolContext, arguments: dict[str, Any]) -> str:
    if context.emit_signal is None:
        raise ToolError("no lattice is attached")
    name = _text_argument(arguments, "name").strip()
    payload = _text_argument(arguments, "payload", "")
    if not name or len(name) > MAX_EVENT_NAME_CHARS:
        raise ToolError(f"'name' must be 1 to {MAX_EVENT_NAME_CHARS} characters")
    if len(payload) > MAX_EVENT_PAYLOAD_CHARS:
        raise ToolError(f"'payload' is longer than {MAX_EVENT_PAYLOAD_CHARS} characters")
    await context.emit_signal(name, payload)
    return f"emitted {name}"


BUILTIN_TOOLS: tuple[Tool, ...] = (
    Tool(
        "current_time",
        "The current local date and time (ISO 8601).",
        {"type": "object", "properties": {}},
        _current_time,
    ),
    Tool(
        "calculator",
        "Evaluate an arithmetic expression such as '2 * (3 + 4) / sqrt(16)'.",
        {
            "type": "object",
            "properties": {"expression": {"type": "string"}},
            "required": ["expression"],
        },
        off_loop(_calculator),
    ),
    Tool(
        "read_file",
        f"Read a text file inside the project directory, at most {MAX_READ_BYTES} bytes per "
        "call; a longer file is cut with a note giving the offset of the next part.",
        {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "offset": {"type": "integer", "minimum": 0, "description": "byte to start at"},
            },
            "required": ["path"],
        },
        off_loop(_read_file),
    ),
    Tool(
        "list_dir",
        f"List a directory inside the project directory (at most {MAX_LIST_ENTRIES} entries).",
        {"type": "object", "properties": {"path": {"type": "string"}}},
        off_loop(_list_dir),
    ),
    Tool(
        "emit_event",
        "Publish a named event into the lattice; agents whose skills react to it activate.",
        {
            "type": "object",
            "properties": {"name": {"type": "string"}, "payload": {"type": "string"}},
            "required": ["name"],
        },
        _emit_event,
        idempotent=False,
    ),
    *FILE_EDIT_TOOLS,
    SHELL_TOOL,
)
"""Every built-in tool; an agent gets only those its `tools:` lists. The ones that act
(write_file, edit_file, shell) ask a human first (`Tool.needs_approval`)."""
