"""Typer classes every `axo` command group uses: lean help and no tracebacks for users.

Use `AxoTyper` instead of `typer.Typer` for the root app and for sub-groups
(`workflow = AxoTyper(name="workflow", help="...")`): its groups and commands render help with
`help_format` (fast) and turn an unexpected exception into a one-line error and exit code 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup

from axo_tui.cli import help_format
from axo_tui.cli.output import error, exit_on_closed_pipe, report_crash
from axo_tui.cli.plain_params import use_plain_conversion

F = TypeVar("F", bound=Callable[..., Any])


class _AxoBehaviour(_click.Command):
    """What every axo command and group adds to Typer's: lean help, pydantic-free params.

    A mixin placed before Typer's class, so `super()` reaches Typer's implementation.
    """

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        # Here rather than in __init__: Typer appends the completion options and Click makes
        # --help after the command is built; get_params() has them all.
        use_plain_conversion(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        if getattr(self, "rich_markup_mode", None) != "rich":
            return super().format_help(ctx, formatter)
        help_format.print_help(self, ctx)
        return None


class AxoCommand(_AxoBehaviour, TyperCommand):
    """A leaf command."""


class AxoGroup(_AxoBehaviour, TyperGroup):
    """A command group, and the last line of defence against tracebacks."""

    def invoke(self, ctx: _click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, KeyboardInterrupt, EOFError):
            raise
        except BrokenPipeError:
            exit_on_closed_pipe()  # a plain print() (`--json`) into `| head`
        except _click.ClickException:
            # Click's own errors (usage errors, bad parameters) carry their formatting.
            raise
        except Exception as exc:
            if _is_state_error(exc):
                # The data on disk (a damaged journal, a full disk), not a bug: its message
                # names the file and the fix; a traceback would only hide it.
                error(str(exc))
            else:
                report_crash(exc, what=_failed_command_path(ctx))
            raise typer.Exit(1) from exc


def _is_state_error(exc: Exception) -> bool:
    """Whether `exc` is a JournalError; looked up loaded, never imported (`axo --help`)."""
    journal = sys.modules.get("axo_tui.core.store.journal")
    return journal is not None and isinstance(exc, journal.JournalError)


def _failed_command_path(ctx: _click.Context) -> str:
    """The deepest command that was running, e.g. `axo workflow run`."""
    invoked = ctx.invoked_subcommand
    return f"{ctx.command_path} {invoked}" if invoked else ctx.command_path


class AxoTyper(typer.Typer):
    """`typer.Typer` with axo's defaults: rich markup, lean help, no pretty tracebacks."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", AxoGroup)
        kwargs.setdefault("rich_markup_mode", "rich")
        # Our own handler (AxoGroup.invoke) reports crashes; Typer's would print a traceback.
        kwargs.setdefault("pretty_exceptions_enable", False)
        super().__init__(**kwargs)

    def command(self, name: str | None = None, **kwargs: Any) -> Callable[[F], F]:
        kwargs.setdefault("cls", AxoCommand)
        decorator: Callable[[F], F] = super().command(name, **kwargs)
        return decorator
