"""A lean, rich-markup help screen for `axo` commands.

Why not Typer's own rich help? `typer.rich_utils` imports `rich.markdown` (and with it
markdown-it) and `rich.traceback` (pygments) at module level, an import cost every `axo --help`
would pay for features we don't use. This renderer draws the same panels (usage, help text,
Arguments, Options, Commands, grouped by `rich_help_panel`) with only rich's console, table and
panel. Rich markup in docstrings and `help=` strings works as it does in Typer.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from typer.core import TyperArgument, TyperGroup

from axo_tui.cli.output import console

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text
    from typer import _click

ARGUMENTS_TITLE = "Arguments"
OPTIONS_TITLE = "Options"
COMMANDS_TITLE = "Commands"


def _markup(text: str, style: str = "") -> Text:
    """Rich markup to Text; text that is not valid markup is shown as written."""
    from rich.errors import MarkupError
    from rich.text import Text

    try:
        return Text.from_markup(text, style=style)
    except MarkupError:
        return Text(text, style=style)


def _paragraphs(help_text: str) -> list[str]:
    """Click conventions: cut at a form feed, unwrap lines unless a paragraph starts with \\b."""
    text = inspect.cleandoc(help_text).partition("\f")[0]
    paragraphs = []
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("\b"):
            paragraphs.append(paragraph[1:].strip("\n"))
        else:
            paragraphs.append(" ".join(line.strip() for line in paragraph.splitlines()))
    return [p for p in paragraphs if p.strip()]


def _first_paragraph(help_text: str | None) -> str:
    paragraphs = _paragraphs(help_text or "")
    return paragraphs[0] if paragraphs else ""


def _param_row(param: _click.Parameter, ctx: _click.Context) -> tuple[Text, Text] | None:
    from rich.text import Text

    record = param.get_help_record(ctx)
    if record is None:
        return None
    declaration, full_help = record
    if isinstance(param, TyperArgument):
        # The record says "name <type>"; the metavar (NAME, FILE) is what usage shows.
        declaration = param.metavar or (param.name or "").upper()
    body = getattr(param, "help", None) or ""
    # The record appends "[default: ...; env var: ...]" to the help; that tail is plain text
    # (it would be misread as markup), the body is the author's markup.
    extra = full_help[len(body) :].strip() if full_help.startswith(body) else ""
    if not body and not extra:
        extra = full_help
    help_text = _markup(" ".join(body.split())) if body else Text()
    if extra:
        if help_text:
            help_text.append("  ")
        help_text.append(extra, style="dim")
    name = Text(declaration, style="bold cyan")
    if getattr(param, "required", False) and not isinstance(param, TyperArgument):
        name.append(" *", style="red")
    return name, help_text


def _panel(title: str, rows: list[tuple[Text, Text]]) -> RenderableType:
    from rich.panel import Panel
    from rich.table import Table

    table = Table.grid(padding=(0, 2), expand=True)
    table.add_column(no_wrap=True)
    table.add_column(ratio=1)
    for name, help_text in rows:
        table.add_row(name, help_text)
    return Panel(table, title=title, title_align="left", border_style="dim")


def _grouped(
    items: list[tuple[str | None, tuple[Text, Text]]], default_title: str
) -> dict[str, list[tuple[Text, Text]]]:
    panels: dict[str, list[tuple[Text, Text]]] = {default_title: []}
    for panel_name, row in items:
        panels.setdefault(panel_name or default_title, []).append(row)
    return {title: rows for title, rows in panels.items() if rows}


def _print_block(out: Console, text: Text) -> None:
    """Print `text` wrapped and indented by one space, with a blank line before it.

    Wrapped by hand rather than with rich's Padding, which pads every line with spaces to
    the full width: invisible on a terminal, noise in a pipe or a file.
    """
    from rich.text import Text

    out.print()
    for line in text.wrap(out, max(20, out.width - 2)):
        line.rstrip()
        out.print(Text(" ") + line, soft_wrap=True)


def print_help(command: _click.Command, ctx: _click.Context) -> None:
    """Print the help screen of `command` to stdout."""
    from rich.text import Text

    out = console()
    _print_block(out, Text(command.get_usage(ctx), style="bold"))
    if command.deprecated:
        _print_block(out, Text("(deprecated)", style="red"))
    for index, paragraph in enumerate(_paragraphs(command.help or "")):
        _print_block(out, _markup(paragraph, style="" if index == 0 else "dim"))
    out.print()

    arguments: list[tuple[str | None, tuple[Text, Text]]] = []
    options: list[tuple[str | None, tuple[Text, Text]]] = []
    for param in command.get_params(ctx):
        row = _param_row(param, ctx)
        if row is None:
            continue
        panel_name = getattr(param, "rich_help_panel", None)
        (arguments if isinstance(param, TyperArgument) else options).append((panel_name, row))

    commands: list[tuple[str | None, tuple[Text, Text]]] = []
    if isinstance(command, TyperGroup):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            summary = _markup(_first_paragraph(sub.short_help or sub.help))
            if sub.deprecated:
                summary = Text("(deprecated) ", style="red") + summary
            row = (Text(name, style="bold cyan"), summary)
            commands.append((getattr(sub, "rich_help_panel", None), row))

    for items, title in ((arguments, ARGUMENTS_TITLE), (options, OPTIONS_TITLE)):
        for panel_title, rows in _grouped(items, title).items():
            out.print(_panel(panel_title, rows))
    for panel_title, rows in _grouped(commands, COMMANDS_TITLE).items():
        out.print(_panel(panel_title, rows))

    for paragraph in _paragraphs(command.epilog or ""):
        _print_block(out, _markup(paragraph, style="dim"))
