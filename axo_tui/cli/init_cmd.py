"""`axo init NAME [--template T] [--force] [--list-templates]`: scaffold a new project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from axo_tui.cli import output
from axo_tui.cli.framework import AxoTyper
from axo_tui.cli.scaffold import (
    DEFAULT_TEMPLATE,
    ScaffoldError,
    ScaffoldResult,
    UnknownTemplateError,
    available_templates,
    get_template,
    scaffold,
)

# What to run after `axo init`, shown to the user. Add commands here as they land.
NEXT_STEPS = (
    ("cd {dir}", "go to the project"),
    ("axo validate", "check axo.yaml"),
    ("axo dev", "open the workbench: run workflows, chat, watch the lattice"),
)


def _complete_template(incomplete: str) -> list[str]:
    """Shell completion for --template: the installed template names."""
    return [name for name in available_templates() if name.startswith(incomplete)]


def register(app: AxoTyper) -> None:
    app.command("init")(init)


def init(
    name: Annotated[
        Path | None,
        typer.Argument(
            metavar="NAME",
            help="Directory to create; its name becomes the project name.",
            show_default=False,
        ),
    ] = None,
    template: Annotated[
        str,
        typer.Option(
            "--template",
            "-t",
            metavar="TEMPLATE",
            help="Template to start from (see --list-templates).",
            autocompletion=_complete_template,
        ),
    ] = DEFAULT_TEMPLATE,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            "-f",
            help="Write into a non-empty directory (overwrites the template's files only).",
        ),
    ] = False,
    list_templates: Annotated[
        bool,
        typer.Option("--list-templates", help="List the available templates and exit."),
    ] = False,
) -> None:
    """Create a new project from a template.

    The templates use the [bold]scripted[/bold] provider, so a new project runs offline with
    no model; its README says how to switch to a real one.
    """
    if list_templates:
        _print_templates()
        return
    if name is None:
        output.error(
            "missing project NAME",
            hint="run `axo init NAME`, e.g. `axo init my-agents`; "
            "`axo init --list-templates` shows the templates",
        )
        raise typer.Exit(2)
    try:
        result = scaffold(get_template(template), name, force=force)
    except ScaffoldError as exc:
        output.error(exc.message, hint=exc.hint or None)
        # Exit 2 like any other bad option value; 1 when the file system said no.
        raise typer.Exit(2 if isinstance(exc, UnknownTemplateError) else 1) from None
    _print_created(result, template)


def _print_templates() -> None:
    templates = available_templates()
    labels = {name: f"{name} (default)" if name == DEFAULT_TEMPLATE else name for name in templates}
    width = max((len(label) for label in labels.values()), default=0)
    for template_name, template in templates.items():
        output.print_line(f"{labels[template_name].ljust(width)}  {template.description}")


def _print_created(result: ScaffoldResult, template: str) -> None:
    import shlex

    from rich.text import Text

    here = result.directory.resolve() == Path.cwd().resolve()
    where = "the current directory" if here else str(result.directory)
    out = output.console(soft_wrap=True)
    out.print(
        Text.assemble(
            "Created project ",
            (result.project_name, "bold"),
            f" from the {template} template in ",
            (where, "bold"),
        )
    )
    overwritten = set(result.overwritten)
    for path in result.written:
        note = "  (overwritten)" if path in overwritten else ""
        out.print(Text.assemble("  ", (str(path), "green"), (note, "yellow")))
    out.print()
    out.print(Text("Next steps:", style="bold"))
    directory = shlex.quote(str(result.directory))
    steps = [
        (command.format(dir=directory), why)
        for command, why in NEXT_STEPS
        if not (here and "{dir}" in command)  # no `cd .`
    ]
    width = max(len(command) for command, _ in steps)
    for command, why in steps:
        out.print(Text.assemble("  ", (command.ljust(width), "cyan"), ("   # " + why, "dim")))
