"""The built-in `shell` tool: run a command in the project directory, with approval.

The command runs as an argv list, or as one command line under `/bin/sh -c`, in the project
directory, with no stdin, a timeout (the whole process group is killed), an output cap, and
an environment without secrets: no variable named like a key, token, secret or password, and
none the project's `.env` sets. It is an asyncio subprocess: the event loop never waits on it.
Every call needs approval (`Tool.needs_approval`), so "check the disk on this box" (`df -h`)
runs only once a human said yes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from axo_tui.core.tools.registry import Tool, ToolContext, ToolError

SHELL_TIMEOUT_SECS = 60.0
MAX_OUTPUT_BYTES = 64 * 1024
"""Output (stdout and stderr together) the model sees; the rest is read and dropped."""
MAX_COMMAND_CHARS = 16 * 1024
SECRET_NAME_PATTERNS = ("*KEY*", "*TOKEN*", "*SECRET*", "*PASSWORD*", "*PASSWD*", "*CREDENTIAL*")
"""Environment variables the command never sees, matched in upper case."""
READ_CHUNK = 16 * 1024


def shell_environment(environ: Mapping[str, str], project_dir: Path) -> dict[str, str]:
    """`environ` without secrets: names like SECRET_NAME_PATTERNS and whatever `.env` sets."""
    from_dotenv = _dotenv_names(project_dir)
    return {
        name: value
        for name, value in environ.items()
        if name not in from_dotenv
        and not any(fnmatch.fnmatchcase(name.upper(), pattern) for pattern in SECRET_NAME_PATTERNS)
    }


def _dotenv_names(project_dir: Path) -> frozenset[str]:
    names: set[str] = set()
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError):
        for path in project_dir.glob(".env*"):
            if path.is_file():
                names.update(dotenv_values(path, encoding="utf-8", interpolate=False))
    return frozenset(names)


def _argv(arguments: dict[str, Any]) -> list[str]:
    command, argv = arguments.get("command"), arguments.get("argv")
    if (command is None) == (argv is None):
        raise ToolError("give either 'command' (a command line) or 'argv' (a list of strings)")
    if command is not None:
        if not isinstance(command, str) or not command.strip():
            raise ToolError("'command' must be a non-empty string")
        if len(command) > MAX_COMMAND_CHARS or "\0" in command:
            raise ToolError(f"'command' must be at most {MAX_COMMAND_CHARS} characters, no NUL")
        return ["/bin/sh", "-c", command]
    if (
        not isinstance(argv, list)
        or not argv
        or not all(isinstance(part, str) and part and "\0" not in part for part in argv)
    ):
        raise ToolError("'argv' must be a non-empty list of non-empty strings")
    if sum(len(part) for part in argv) > MAX_COMMAND_CHARS:
        raise ToolError(f"'argv' must be at most {MAX_COMMAND_CHARS} characters in all")
    return list(argv)


async def _shell(context: ToolContext, arguments: dict[str, Any]) -> str:
    argv = _argv(arguments)
    loop = asyncio.get_running_loop()
    env = await loop.run_in_executor(
        context.threads, shell_environment, dict(os.environ), context.project_dir
    )
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=context.project_dir,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group: a timeout kills all of it
        )
    except OSError as exc:
        raise ToolError(f"cannot run {argv[0]!r}: {exc.strerror or exc}") from None
    try:
        kept, total = await _read_capped(process)
        code = await process.wait()
    except BaseException:  # the timeout cancelled us, or the run was cancelled
        _kill_group(process)
        with contextlib.suppress(Exception):
            await asyncio.shield(process.wait())
        raise
    text = kept.decode("utf-8", errors="replace")
    if total > len(kept):
        text += f"\n[output cut: showed {len(kept)} of {total} bytes]"
    return f"exit code {code}\n{text}" if text else f"exit code {code}"


async def _read_capped(process: asyncio.subprocess.Process) -> tuple[bytes, int]:
    """The first MAX_OUTPUT_BYTES of the output and its whole length: the rest is read and
    dropped, so a chatty command neither fills memory nor blocks on a full pipe."""
    assert process.stdout is not None
    kept = bytearray()
    total = 0
    while chunk := await process.stdout.read(READ_CHUNK):
        total += len(chunk)
        room = MAX_OUTPUT_BYTES - len(kept)
        if room > 0:
            kept += chunk[:room]
    return bytes(kept), total


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


SHELL_TOOL = Tool(
    "shell",
    "Run a command in the project directory: `command` (a command line for /bin/sh -c) or "
    f"`argv` (a list). No stdin; {SHELL_TIMEOUT_SECS:g}s timeout; the first "
    f"{MAX_OUTPUT_BYTES} bytes of its output and its exit code come back. Asks a human first.",
    {
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "e.g. 'df -h'"},
            "argv": {"type": "array", "items": {"type": "string"}},
        },
    },
    _shell,
    idempotent=False,
    timeout_secs=SHELL_TIMEOUT_SECS,
    needs_approval=True,
)
