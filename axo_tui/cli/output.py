"""The one place the CLI writes to the terminal.

Colour when the stream is a terminal, plain text when piped or when `NO_COLOR` is set (rich's
Console detects both on its own); errors and diagnostics go to stderr so that stdout stays
clean for data such as `--json`.

Consoles are built per call rather than cached: rich decides "is this a terminal?" when a
Console is created, and tests (CliRunner) swap `sys.stdout` between invocations.

Everything printed here, except `--json` documents, goes through
`axo_tui.core.base.terminal_text.neutralise`: model replies, tool results and what the journal and
memory stored from them must never reach the terminal as escape sequences.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TextIO

from axo_tui.core.base.terminal_text import neutralise

if TYPE_CHECKING:
    from rich.console import Console

DEBUG_ENV = "AXO_DEBUG"


class ProblemLike(Protocol):
    """What the renderer needs of a config problem (`axo_tui.core.config.Problem`)."""

    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int | None: ...
    @property
    def column(self) -> int | None: ...
    @property
    def message(self) -> str: ...
    @property
    def hint(self) -> str | None: ...
    @property
    def severity(self) -> Any: ...


def console(*, stderr: bool = False, soft_wrap: bool = False) -> Console:
    """A rich Console for stdout (or stderr) that follows the terminal's abilities.

    Args:
        stderr: Write to stderr instead of stdout.
        soft_wrap: Never break lines (the terminal wraps them). Diagnostics use this so that
            `file:line:col: error: ...` stays one line for grep and editors, even when piped
            (rich would otherwise wrap piped output at 80 columns).
    """
    # Imported here: rich is slow to import and `axo --version` never needs it.
    from rich.console import Console

    class AxoConsole(Console):
        def on_broken_pipe(self) -> None:
            exit_on_closed_pipe()  # rich's own exits 1, as if the command had failed

    # highlight=False: rich's repr highlighter would colour numbers and paths in prose.
    return AxoConsole(stderr=stderr, highlight=False, soft_wrap=soft_wrap)


def exit_on_closed_pipe() -> NoReturn:
    """stdout's reader has gone (`axo workflow list | head` read what it wanted): exit
    quietly with the status of a tool SIGPIPE stopped (128 + 13), as `yes | head` does.

    stdout is pointed at /dev/null first, so the flush at exit cannot fail on the closed pipe
    again and print "Exception ignored ... BrokenPipeError".
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    raise SystemExit(141)


def print_line(text: str, *, style: str | None = None, stderr: bool = False) -> None:
    """Print one line of plain text (no markup interpretation, controls neutralised)."""
    from rich.text import Text

    console(stderr=stderr, soft_wrap=True).print(Text(neutralise(text), style=style or ""))


def write(text: str, *, stream: TextIO | None = None) -> None:
    """Write text as it is (no newline added, no styling) with its controls neutralised, and
    flush: for replies streamed token by token. `stream` defaults to stdout."""
    out = stream or sys.stdout
    out.write(neutralise(text))
    out.flush()


def error(message: str, *, hint: str | None = None) -> None:
    """Report an error to stderr: `error: message` and an optional `hint:` line."""
    from rich.text import Text

    err = console(stderr=True, soft_wrap=True)
    err.print(Text.assemble(("error", "bold red"), ": ", neutralise(message)))
    if hint:
        err.print(Text.assemble("  ", ("hint", "bold cyan"), ": ", neutralise(hint)))


def warning(message: str, *, hint: str | None = None) -> None:
    """Report a warning to stderr: `warning: message` and an optional `hint:` line."""
    from rich.text import Text

    err = console(stderr=True, soft_wrap=True)
    err.print(Text.assemble(("warning", "bold yellow"), ": ", neutralise(message)))
    if hint:
        err.print(Text.assemble("  ", ("hint", "bold cyan"), ": ", neutralise(hint)))


def _severity_name(problem: ProblemLike) -> str:
    # Severity may be a plain string or a StrEnum; both stringify to the name.
    return str(getattr(problem.severity, "value", problem.severity) or "error").lower()


def format_location(problem: ProblemLike) -> str:
    """`file:line:col`, dropping the parts that are unknown."""
    location = problem.file or "<config>"
    if problem.line:
        location += f":{problem.line}"
        if problem.column:
            location += f":{problem.column}"
    return location


def render_problems(problems: Iterable[ProblemLike], *, stderr: bool = True) -> None:
    """Print problems as `file:line:col: error: message` with indented `hint:` lines.

    The layout is the one compilers use, so editors and terminals can jump to the location.
    """
    from rich.text import Text

    out = console(stderr=stderr, soft_wrap=True)
    styles = {"error": "bold red", "warning": "bold yellow"}
    for problem in problems:
        severity = _severity_name(problem)
        out.print(
            Text.assemble(
                (neutralise(format_location(problem)), "bold"),
                ": ",
                (severity, styles.get(severity, "bold")),
                ": ",
                neutralise(problem.message),
            )
        )
        for hint_line in (problem.hint or "").splitlines():
            out.print(Text.assemble("    ", ("hint", "cyan"), ": ", neutralise(hint_line)))


def debug_enabled() -> bool:
    """True when `AXO_DEBUG` asks for full tracebacks."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def report_crash(exc: BaseException, *, what: str) -> None:
    """Report an unexpected exception in one line (or a traceback when `AXO_DEBUG=1`).

    Args:
        exc: The exception that escaped a command.
        what: Names what failed, e.g. "axo validate".
    """
    problems = getattr(exc, "problems", None)
    if isinstance(problems, list) and problems:
        # A ConfigError that escaped a command is the user's config, not a bug: show the
        # problems file:line:col as `validate` would, and no traceback hint.
        render_problems(problems)
        if debug_enabled():
            traceback.print_exception(exc, file=sys.stderr)
        error(f"{what} failed: the configuration has problems (listed above)")
        return
    if debug_enabled():
        traceback.print_exception(exc, file=sys.stderr)
        return
    text = str(exc).strip()
    detail = text.splitlines()[0] if text else ""
    summary = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    error(
        f"{what} failed: {summary}",
        hint=f"set {DEBUG_ENV}=1 to see the full traceback",
    )
