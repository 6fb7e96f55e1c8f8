"""The root app: --version, help, global options, and no traceback ever reaching a user."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from axo_tui import __version__
from axo_tui.cli.context import get_state
from axo_tui.cli.framework import AxoTyper
from tests.support.cli import Invoke, RunAxo, clean_env


def test_version(invoke: Invoke, run_axo: RunAxo) -> None:
    assert invoke("--version").stdout == f"axo {__version__}\n"
    real = run_axo("--version")
    assert (real.returncode, real.stdout) == (0, "axo 0.1.0\n")


def test_help_lists_options_and_commands(invoke: Invoke) -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    out = result.stdout
    assert "Usage: axo [OPTIONS] COMMAND [ARGS]..." in out
    for text in ("--config", "--data-dir", "AXO_DATA_DIR", "--version", "--install-completion"):
        assert text in out
    assert "init" in out and "validate" in out
    # Rich markup in docstrings is rendered, not shown.
    assert "[bold]" not in out


def test_piped_help_is_plain_and_unpadded(run_axo: RunAxo) -> None:
    result = run_axo("init", "--help")
    assert result.returncode == 0
    assert "\x1b[" not in result.stdout
    assert [line for line in result.stdout.splitlines() if line != line.rstrip()] == []
    assert " Usage: axo init [OPTIONS] [NAME]" in result.stdout.splitlines()


def test_no_arguments_shows_help(run_axo: RunAxo) -> None:
    result = run_axo()
    assert "Usage: axo [OPTIONS] COMMAND [ARGS]..." in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_subcommand_help(invoke: Invoke) -> None:
    result = invoke("validate", "--help")
    assert result.exit_code == 0
    assert "Usage: axo validate [OPTIONS] [FILE]" in result.stdout
    assert "file:line:col: error: message" in result.stdout
    assert "--json" in result.stdout


def test_help_does_not_load_typers_rich_help_module() -> None:
    """`typer.rich_utils` drags in markdown-it and pygments (~50 ms); help_format avoids it."""
    code = (
        "import sys\n"
        "sys.argv = ['axo', '--help']\n"
        "from axo_tui.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('typer.rich_utils', "
        "'rich.markdown', 'rich.traceback', 'markdown_it', 'pygments'))), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=clean_env(), check=True
    )
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_unknown_command_is_a_usage_error(run_axo: RunAxo) -> None:
    result = run_axo("valdate")
    assert result.returncode == 2
    assert "valdate" in result.stderr
    assert "Traceback" not in result.stderr


def _crashing_app() -> AxoTyper:
    app = AxoTyper(name="axo")

    @app.callback()
    def main() -> None:
        """Test app."""

    @app.command()
    def boom() -> None:
        """Fail like a bug would."""
        raise ValueError("the flux capacitor is empty\nsecond line")

    @app.command()
    def badconfig() -> None:
        """Let a ConfigError escape, as a command that loads a config might."""
        from axo_tui.core.config import ConfigError, Problem

        raise ConfigError([Problem("axo.yaml", 3, 5, "unknown key `x`", "remove it")])

    @app.command()
    def fine() -> None:
        """Exit with a code on purpose."""
        raise typer.Exit(3)

    return app


def test_a_crash_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AXO_DEBUG", raising=False)
    result = CliRunner().invoke(_crashing_app(), ["boom"], prog_name="axo")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: axo boom failed: ValueError: the flux capacitor is empty"
    )
    assert "AXO_DEBUG=1" in result.stderr
    assert "Traceback" not in result.output


def test_axo_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AXO_DEBUG", "1")
    result = CliRunner().invoke(_crashing_app(), ["boom"], prog_name="axo")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "ValueError: the flux capacitor is empty" in result.stderr


def test_an_escaped_config_error_shows_its_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AXO_DEBUG", raising=False)
    result = CliRunner().invoke(_crashing_app(), ["badconfig"], prog_name="axo")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "axo.yaml:3:5: error: unknown key `x`",
        "    hint: remove it",
        "error: axo badconfig failed: the configuration has problems (listed above)",
    ]


def test_deliberate_exits_pass_through() -> None:
    assert CliRunner().invoke(_crashing_app(), ["fine"]).exit_code == 3


CRASHING_PROGRAM = """
from axo_tui.cli.framework import AxoTyper
app = AxoTyper(name="axo")

@app.callback()
def main() -> None:
    pass

@app.command()
def boom() -> None:
    raise KeyError("journal")

app(["boom"], prog_name="axo")
"""


def test_a_crash_in_a_real_process_has_no_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CRASHING_PROGRAM], capture_output=True, text=True, env=clean_env()
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "error: axo boom failed: KeyError: 'journal'"
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_odd_input_in_a_real_process_has_no_traceback(run_axo: RunAxo, tmp_path: Path) -> None:
    (tmp_path / "axo.yaml").mkdir()  # a directory where the config should be
    result = run_axo("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr


def test_global_options_reach_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    from axo_tui.cli.app import main as root_callback

    app = AxoTyper(name="axo")
    app.callback()(root_callback)
    seen = []

    @app.command()
    def show(ctx: typer.Context) -> None:
        state = get_state(ctx)
        seen.append((state.config, state.data_dir))

    runner = CliRunner()
    monkeypatch.delenv("AXO_DATA_DIR", raising=False)
    assert runner.invoke(app, ["-c", "x.yaml", "--data-dir", "/tmp/state", "show"]).exit_code == 0
    assert runner.invoke(app, ["show"], env={"AXO_DATA_DIR": "/srv/axo"}).exit_code == 0
    assert seen == [(Path("x.yaml"), Path("/tmp/state")), (None, Path("/srv/axo"))]


def test_shell_completion(run_axo: RunAxo) -> None:
    script = run_axo(
        "--show-completion", "bash", env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    )
    assert script.returncode == 0
    assert "_AXO_COMPLETE=complete_bash" in script.stdout

    def complete(words: str) -> list[str]:
        env = {"_AXO_COMPLETE": "complete_bash", "COMP_WORDS": words}
        env["COMP_CWORD"] = str(len(words.split()) - (0 if words.endswith(" ") else 1))
        return run_axo(env=env).stdout.split()

    assert complete("axo va") == ["validate"]
    assert complete("axo init x --template ") == ["assistant", "hello", "research", "wasm"]
