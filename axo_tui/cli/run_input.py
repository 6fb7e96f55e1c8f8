"""Where a run's input comes from: `-i TEXT`, `-i -` (stdin), `-i @FILE`, or, without `-i`,
stdin when it is piped and a prompt when it is a terminal.

Running every agent of a workflow on an empty input wastes minutes of model time for
nothing, so a missing input is asked for or refused, never assumed to be "".
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import typer

from axo_tui.cli import output

INPUT_HELP = (
    "The input text; `-` reads stdin, `@FILE` reads a file (for long inputs: arguments stop "
    "at 128 KiB). Without it: stdin when piped, else asked for."
)


def resolve_input(given: str | None, *, target: str) -> str:
    """The run's input text, or exit 2 with a message naming what was wrong."""
    if given is None:
        if sys.stdin is None or sys.stdin.isatty():
            return _ask(target)
        return _from_stdin(target, explicit=False)
    if given == "-":
        return _from_stdin(target, explicit=True)
    if given.startswith("@"):
        return _from_file(given[1:])
    return given


def _ask(target: str) -> str:
    if sys.stdin is None or not sys.stderr.isatty():
        _refuse(f"no input for {target}", "give one with -i TEXT, -i @FILE or -i - (stdin)")
    try:
        sys.stderr.write(f"input for {target} (Enter sends, Ctrl+C quits): ")
        sys.stderr.flush()
        line = sys.stdin.readline()
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        raise typer.Exit(130) from None
    text = line.rstrip("\n")
    if not text.strip():
        _refuse(f"no input for {target}", "type a question, or give one with -i TEXT")
    return text


def _from_stdin(target: str, *, explicit: bool) -> str:
    try:
        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    text = _decode(data, "stdin")
    if not text.strip():
        how = "-i -" if explicit else "no -i, so stdin was read"
        _refuse(
            f"no input for {target}: stdin was empty ({how})",
            "pipe the input in, or give it with -i TEXT or -i @FILE",
        )
    return text.rstrip("\n")


def _from_file(name: str) -> str:
    if not name:
        _refuse("-i @ names no file", "write -i @notes.txt (or -i - for stdin)")
    path = Path(name).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        _refuse(
            f"-i @{name}: no such file ({path.resolve()})",
            "to send text that starts with @, pipe it in with -i -",
        )
    except IsADirectoryError:
        _refuse(f"-i @{name}: is a directory, not a file", None)
    except OSError as exc:
        _refuse(f"-i @{name}: cannot read it ({exc.strerror or exc})", None)
    return _decode(data, name)


def _decode(data: bytes | str, source: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _refuse(f"{source}: not UTF-8 text (byte {exc.start + 1} is not)", None)


def _refuse(message: str, hint: str | None) -> NoReturn:
    output.error(message, hint=hint)
    raise typer.Exit(2)
