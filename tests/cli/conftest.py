"""Drive `axo` as a user would: in-process with Typer's CliRunner, or as a real subprocess."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from axo_tui.cli.app import app
from tests.support.cli import OUTPUT_ENV, REPO, Invoke, RunAxo, axo_command, clean_env


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test from an empty temporary directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """`invoke("validate", "x.yaml", env={...})`: run axo in-process, stdout and stderr apart."""
    for key in OUTPUT_ENV:
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
