"""Built-in tools that change files: `write_file` and `edit_file`.

Confined like the reading tools (`file_access`: inside the project, never `.env*`, VCS
metadata, credentials or axo's state), narrowed further by the agent's `writes:` list, and
bounded in size. Both need approval (`Tool.needs_approval`) and run on a worker thread.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from pathlib import Path, PurePosixPath
from typing import Any

from axo_tui.core.tools.file_access import FileAccess
from axo_tui.core.tools.registry import Tool, ToolContext, ToolError, off_loop

MAX_WRITE_BYTES = 1024 * 1024
"""The most a write_file call writes, or an edited file may hold."""
NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _text(arguments: dict[str, Any], name: str) -> str:
    value = arguments.get(name)
    if not isinstance(value, str):
        got = "nothing" if value is None else type(value).__name__
        raise ToolError(f"'{name}' must be a string (got {got})")
    return value


def _flag(arguments: dict[str, Any], name: str) -> bool:
    value = arguments.get(name, False)
    if not isinstance(value, bool):
        raise ToolError(f"'{name}' must be true or false")
    return value


def writable_path(context: ToolContext, raw: str) -> Path:
    """The real path a file tool may write, or a ToolError saying why not."""
    access = FileAccess.of(context)
    path = access.resolve(raw)
    if path == access.root:
        raise ToolError(f"'{raw}' is the project directory, not a file")
    writes = getattr(context.extras.get("agent"), "writes", None)
    if writes is not None:
        relative = PurePosixPath(path.relative_to(access.root).as_posix())
        if not any(_covers(pattern, relative) for pattern in writes):
            listed = ", ".join(writes) or "nothing"
            raise ToolError(f"'{raw}' is not in the agent's `writes:` list ({listed})")
    return path


def _covers(pattern: str, relative: PurePosixPath) -> bool:
    """A `writes:` entry covers a file it matches as a glob, or a folder it lies under."""
    pattern = pattern.strip("/") or "."
    if pattern == ".":
        return True
    text = relative.as_posix()
    return fnmatch.fnmatchcase(text, pattern) or text.startswith(pattern + "/")


def _write(path: Path, data: bytes, raw: str, *, append: bool = False) -> None:
    """Write without following a symlink planted after the check, nor blocking on a FIFO."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK | NO_FOLLOW
    flags |= os.O_APPEND if append else 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise ToolError(f"cannot write '{raw}': {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ToolError(f"'{raw}' is not a regular file")
        if not append:
            os.ftruncate(fd, 0)  # only once it is known to be a regular file
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _read_limited(path: Path, raw: str) -> bytes:
    """Up to MAX_WRITE_BYTES + 1 bytes of a regular file (the extra one tells it is too big)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | NO_FOLLOW)
    except FileNotFoundError:
        raise ToolError(f"no such file: {raw}") from None
    except OSError as exc:
        raise ToolError(f"cannot read '{raw}': {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ToolError(f"'{raw}' is not a regular file")
        chunks: list[bytes] = []
        wanted = MAX_WRITE_BYTES + 1
        while wanted > 0 and (chunk := os.read(fd, wanted)):
            chunks.append(chunk)
            wanted -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _write_file(context: ToolContext, arguments: dict[str, Any]) -> str:
    raw = _text(arguments, "path")
    content = _text(arguments, "content")
    append = _flag(arguments, "append")
    data = content.encode("utf-8", errors="replace")
    if len(data) > MAX_WRITE_BYTES:
        raise ToolError(
            f"'content' is {len(data)} bytes; write_file writes at most {MAX_WRITE_BYTES}"
        )
    path = writable_path(context, raw)
    if path.is_dir():
        raise ToolError(f"'{raw}' is a directory")
    _write(path, data, raw, append=append)
    return f"{'appended' if append else 'wrote'} {len(data)} bytes to {raw}"


def _edit_file(context: ToolContext, arguments: dict[str, Any]) -> str:
    raw = _text(arguments, "path")
    old, new = _text(arguments, "old"), _text(arguments, "new")
    every = _flag(arguments, "replace_all")
    if not old:
        raise ToolError("'old' must not be empty (use write_file to create a file)")
    path = writable_path(context, raw)
    data = _read_limited(path, raw)
    if len(data) > MAX_WRITE_BYTES:
        raise ToolError(f"'{raw}' is larger than {MAX_WRITE_BYTES} bytes; edit_file edits less")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"'{raw}' is not UTF-8 text") from None
    found = text.count(old)
    if found == 0:
        raise ToolError(
            f"'old' does not occur in '{raw}' (it must match exactly, whitespace included)"
        )
    if found > 1 and not every:
        raise ToolError(
            f"'old' occurs {found} times in '{raw}'; give more context to make it unique, "
            "or set replace_all"
        )
    edited = text.replace(old, new).encode("utf-8", errors="replace")
    if len(edited) > MAX_WRITE_BYTES:
        raise ToolError(f"the edited '{raw}' would exceed {MAX_WRITE_BYTES} bytes")
    _write(path, edited, raw)
    return f"edited {raw}: {found} replacement{'s' if found != 1 else ''}"


FILE_EDIT_TOOLS: tuple[Tool, ...] = (
    Tool(
        "write_file",
        f"Write a text file inside the project directory (at most {MAX_WRITE_BYTES} bytes), "
        "replacing it, or adding to its end with append=true. Asks a human first.",
        {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "content": {"type": "string"},
                "append": {"type": "boolean", "description": "add to the end instead"},
            },
            "required": ["path", "content"],
        },
        off_loop(_write_file),
        idempotent=False,
        needs_approval=True,
    ),
    Tool(
        "edit_file",
        "Replace an exact piece of text in a file inside the project directory: `old` must "
        "occur exactly once (or set replace_all). Asks a human first.",
        {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "old": {"type": "string", "description": "the exact text to replace"},
                "new": {"type": "string"},
                "replace_all": {"type": "boolean"},
            },
            "required": ["path", "old", "new"],
        },
        off_loop(_edit_file),
        idempotent=False,
        needs_approval=True,
    ),
)
