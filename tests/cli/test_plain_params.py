"""Plain parameters convert without pydantic and behave exactly as Typer's conversion."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from typer.testing import CliRunner

from axo_tui.cli.framework import AxoTyper
from tests.support.cli import REPO, clean_env


def probe_app(seen: list[Any]) -> AxoTyper:
    app = AxoTyper(name="probe")

    @app.callback()
    def main() -> None:
        """Probe."""

    @app.command()
    def take(
        where: Annotated[Path, typer.Argument()],
        name: Annotated[str, typer.Option("--name")] = "x",
        count: Annotated[int, typer.Option("--count", "-n")] = 1,
        ratio: Annotated[float, typer.Option("--ratio")] = 0.5,
        loud: Annotated[bool, typer.Option("--loud", envvar="PROBE_LOUD")] = False,
        existing: Annotated[Path | None, typer.Option("--existing", exists=True)] = None,
        folder: Annotated[Path | None, typer.Option("--folder", file_okay=False)] = None,
    ) -> None:
        seen.append((where, name, count, ratio, loud, existing, folder))

    return app


def test_values_have_the_annotated_types(tmp_path: Path) -> None:
    seen: list[Any] = []
    args = ["take", "a/b", "--name", "n", "-n", "3", "--ratio", "2.5", "--loud"]
    result = CliRunner().invoke(probe_app(seen), [*args, "--existing", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert seen == [(Path("a/b"), "n", 3, 2.5, True, tmp_path, None)]
    assert all(type(v) is t for v, t in zip(seen[0][1:5], (str, int, float, bool), strict=True))


def usage_error(app: AxoTyper, *args: str) -> str:
    """The error text of a usage error (exit 2), unwrapped from its panel."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 2, result.output
    return " ".join(result.output.replace("│", " ").split())


def test_bad_values_are_usage_errors(tmp_path: Path) -> None:
    app = probe_app([])
    assert "'three' is not an integer" in usage_error(app, "take", "p", "-n", "three")
    missing = str(tmp_path / "missing")
    assert "does not exist" in usage_error(app, "take", "p", "--existing", missing)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert "is a file" in usage_error(app, "take", "p", "--folder", str(tmp_path / "file"))


@pytest.mark.parametrize(("text", "expected"), [("1", True), ("yes", True), ("0", False)])
def test_booleans_from_the_environment(text: str, expected: bool) -> None:
    seen: list[Any] = []
    result = CliRunner().invoke(probe_app(seen), ["take", "p"], env={"PROBE_LOUD": text})
    assert result.exit_code == 0, result.output
    assert seen[0][4] is expected


def test_axo_validate_does_not_import_pydantic() -> None:
    """Typer would import pydantic (60-80 ms) to convert `validate`'s path arguments."""
    code = (
        "import sys\n"
        "sys.argv = ['axo', '--config', 'examples/hello', 'validate', '--json']\n"
        "from axo_tui.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('pydantic' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=clean_env(),
        check=True,
    )
    assert result.stderr.strip().splitlines()[-1] == "False"
