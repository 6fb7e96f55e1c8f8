"""The global options (`--config`, `--data-dir`, `--remote`) as one small object commands read.

The root callback stores a `CliState` in Click's context object; a command takes a
`ctx: typer.Context` parameter and calls `get_state(ctx)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer


@dataclass(frozen=True)
class CliState:
    """Global options shared by every command."""

    config: Path | None = None
    """`--config/-c`: the project's config file, if given."""
    data_dir: Path | None = None
    """`--data-dir` / `AXO_DATA_DIR`: where `.axo/` state lives, if overridden."""
    remote: str | None = None
    log_format: str = "text"
    """`--log-format` / `AXO_LOG_FORMAT`: `text`, or `json` lines (docs/observability.md)."""
    """`--remote` / `AXO_REMOTE`: the URL of an `axo serve` to talk to instead of a project
    here (cli/remote.py)."""

    def config_path(self, explicit: Path | None = None, *, cwd: Path | None = None) -> Path:
        """The config file a command should use.

        Precedence: a FILE argument given to the command, then `--config`, then the config
        in `cwd` (default: the current directory). A directory stands for the config in it,
        so `axo validate examples/hello` works.

        Raises:
            ConfigError: (code `no-config`) a directory holds no config file.
        """
        candidate = explicit if explicit is not None else self.config
        if candidate is not None and not candidate.is_dir():
            return candidate
        # The loader lives in core and pulls in yaml; only commands that need a config pay.
        from axo_tui.core.config import find_config

        if candidate is not None:
            return find_config(candidate)
        start = cwd if cwd is not None else Path.cwd()
        return _relative_to_cwd(find_config(start), start)


def _relative_to_cwd(path: Path, cwd: Path) -> Path:
    """Show `axo.yaml` rather than `/home/me/project/axo.yaml` when it is right here."""
    try:
        return path.relative_to(cwd)
    except ValueError:
        return path


def get_state(ctx: typer.Context) -> CliState:
    """The `CliState` of this invocation (defaults when the root callback did not run)."""
    state = ctx.find_object(CliState)
    return state if state is not None else CliState()
