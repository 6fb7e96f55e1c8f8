"""`axo validate [FILE] [--json]`: check a config file and report every problem at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from axo_tui.cli import output
from axo_tui.cli.context import get_state
from axo_tui.cli.framework import AxoTyper

if TYPE_CHECKING:
    from axo_tui.core.config import Config, Problem

# The `summary` keys of `--json`, in order. Counts are null when the config did not load.
SUMMARY_SECTIONS = (
    "agents",
    "workflows",
    "skills",
    "providers",
    "mcp_servers",
    "schedules",
    "proactive",
)


def register(app: AxoTyper) -> None:
    app.command("validate")(validate)


def validate(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE",
            help="Config file or project directory (default: --config, else ./axo.yaml).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print a JSON report on stdout (shape: docs/cli.md)."),
    ] = False,
) -> None:
    """Check a config file: syntax, keys, types, references, cycles.

    Prints every problem as [bold]file:line:col: error: message[/bold] with a hint, and exits
    1 if there is any error; warnings alone still exit 0.
    """
    # Imported here: the loader pulls in yaml and the whole schema.
    from axo_tui.core.config import ConfigError, load_config

    path: Path | None = None
    config: Config | None = None
    problems: list[Problem]
    try:
        path = get_state(ctx).config_path(file)
        config = load_config(path)
        problems = list(config.warnings)
    except ConfigError as exc:
        # Every failure is a ConfigError, a missing or unreadable file included.
        problems = list(exc.problems)
    _finish(
        file=str(path) if path is not None else None,
        config=config,
        problems=problems,
        as_json=as_json,
    )


def _finish(
    *, file: str | None, config: Config | None, problems: list[Problem], as_json: bool
) -> None:
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    valid = config is not None and not errors
    if as_json:
        report = {
            "valid": valid,
            "file": file,
            "problems": [p.to_json() for p in problems],
            "summary": summary(config, errors=len(errors), warnings=len(warnings)),
        }
        print(json.dumps(report, indent=2))
    else:
        output.render_problems(problems)
        if valid and config is not None:
            output.print_line(f"{file}: ok ({describe(config)}){_count(warnings, 'warning')}")
        elif any(p.line > 0 for p in problems):
            # A closing count, except when the one problem is that there is no file to read.
            shown = file or "config"
            counts = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
            output.print_line(
                f"{shown}: invalid, {counts}{_count(warnings, 'warning')}", stderr=True
            )
    if not valid:
        raise typer.Exit(1)


def _count(items: list[Problem], noun: str) -> str:
    if not items:
        return ""
    return f", {len(items)} {noun}{'s' if len(items) != 1 else ''}"


def summary(config: Config | None, *, errors: int, warnings: int) -> dict[str, Any]:
    """The `summary` object of `--json`: section counts (null if invalid) and problem counts."""
    counts: dict[str, Any] = {
        section: (len(getattr(config, section)) if config is not None else None)
        for section in SUMMARY_SECTIONS
    }
    counts["errors"] = errors
    counts["warnings"] = warnings
    return counts


def describe(config: Config) -> str:
    """`2 agents, 1 workflow, 1 provider`: agents and workflows always, others when present."""
    parts = []
    for section in SUMMARY_SECTIONS:
        count = len(getattr(config, section))
        if count or section in ("agents", "workflows"):
            singular, plural = _NOUNS[section]
            parts.append(f"{count} {singular if count == 1 else plural}")
    return ", ".join(parts)


_NOUNS = {
    "agents": ("agent", "agents"),
    "workflows": ("workflow", "workflows"),
    "skills": ("skill", "skills"),
    "providers": ("provider", "providers"),
    "mcp_servers": ("MCP server", "MCP servers"),
    "schedules": ("schedule", "schedules"),
    "proactive": ("proactive trigger", "proactive triggers"),
}
