"""Shell completion of the project's ids: workflows, agents, skills and runs.

The shell runs `axo` on every Tab, so these read as little as they can: the YAML of the
config (parsed, not validated, so a config being edited still completes) and the journal's
run ids through a read-only SQLite connection. A completion never prints a traceback or a
warning into the user's command line: any failure completes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

MAX_RUNS = 50
"""The newest runs offered: enough to find a recent one, few enough to read on every Tab."""

Completer = Callable[[typer.Context, str], list[str]]


def _root_option(ctx: typer.Context, name: str) -> Path | None:
    # The root callback does not run while completing; its parsed options are still there.
    value = ctx.find_root().params.get(name)
    return Path(value) if value else None


def _config_path(ctx: typer.Context) -> Path:
    from axo_tui.core.config import find_config

    return find_config(_root_option(ctx, "config") or Path.cwd())


def _section_ids(ctx: typer.Context, section: str) -> list[str]:
    from axo_tui.core.config.yaml_compose import compose
    from axo_tui.core.config.yaml_nodes import Map, Scalar, Seq

    path = _config_path(ctx)
    root, _ = compose(path.read_text(encoding="utf-8"), str(path))
    if not isinstance(root, Map):
        return []
    ids: list[str] = []
    for key, value in root.entries:
        if key.text != section or not isinstance(value, Seq):
            continue
        for item in value.items:
            if isinstance(item, Map):
                ids += [v.text for k, v in item.entries if k.text == "id" and isinstance(v, Scalar)]
    return ids


def _run_ids(ctx: typer.Context) -> list[str]:
    import sqlite3

    from axo_tui.core.config import readable_state_dir

    state = _root_option(ctx, "data_dir") or readable_state_dir(_config_path(ctx))
    database = state / "axo.db"
    if not database.is_file():
        return []
    connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=0.2)
    try:
        rows = connection.execute(
            "SELECT id FROM runs ORDER BY created_at DESC LIMIT ?", (MAX_RUNS,)
        ).fetchall()
    finally:
        connection.close()
    return [str(row[0]) for row in rows]


def _completer(find: Callable[[typer.Context], list[str]]) -> Completer:
    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        try:
            return [name for name in find(ctx) if name.startswith(incomplete)]
        except Exception:  # a half-written config, a locked journal: offer nothing
            return []

    return complete


complete_workflow = _completer(lambda ctx: _section_ids(ctx, "workflows"))
complete_agent = _completer(lambda ctx: _section_ids(ctx, "agents"))
complete_skill = _completer(lambda ctx: _section_ids(ctx, "skills"))
complete_run = _completer(_run_ids)


def complete_agent_list(ctx: typer.Context, incomplete: str) -> list[str]:
    """`--agents a,b,`: the ids for the item after the last comma, each with what precedes."""
    done, _, last = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    chosen = set(done.split(",")) if done else set()
    return [prefix + name for name in complete_agent(ctx, last) if name not in chosen]
