"""Drive `axo` as a user would: in-process with Typer's CliRunner, or as a real subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from axo_tui.cli.app import app

REPO = Path(__file__).resolve().parents[2]

# Variables that change what axo prints; tests start from none of them.
_OUTPUT_ENV = ("NO_COLOR", "FORCE_COLOR", "AXO_DEBUG", "AXO_DATA_DIR", "COLUMNS", "TTY_COMPATIBLE")

Invoke = Callable[..., Result]
RunAxo = Callable[..., subprocess.CompletedProcess[str]]


def clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _OUTPUT_ENV}
    env.update(extra)
    return env


def axo_command() -> list[str]:
    """The installed `axo` script of this interpreter's environment."""
    script = shutil.which("axo", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script]
    return [sys.executable, "-c", "from axo_tui.cli.main import run; run()"]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test from an empty temporary directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """`invoke("validate", "x.yaml", env={...})`: run axo in-process, stdout and stderr apart."""
    for key in _OUTPUT_ENV:
        monkeypatch.delenv(key, raising=False)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), env=env, prog_name="axo")

    yield run


@pytest.fixture
def run_axo() -> RunAxo:
    """`run_axo("validate", cwd=path)`: run the real `axo` script in a subprocess (piped)."""

    def run(
        *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*axo_command(), *args],
            cwd=cwd or REPO,
            env=clean_env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return run
