"""Loading a minimal valid config and the shape of ConfigError."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from axo_tui.core.config import Config, ConfigError, Problem, ProviderKind


def test_minimal_config_loads(load: Callable[..., Config], tmp_path: Path) -> None:
    config = load(
        """
        agents:
          - id: a
          - id: b
            depends_on: [a]
        workflows:
          - id: w
            agents: [a, b]
        """
    )
    assert [a.id for a in config.agents] == ["a", "b"]
    assert config.agent("b").depends_on == ("a",)
    assert config.workflow("w").agents == ("a", "b")
    assert config.path == tmp_path / "axo.yaml"
    assert config.provider("local").kind is ProviderKind.LOCAL
    assert config.agent("a").span is not None and config.agent("a").span.line == 2


def test_config_error_renders_every_problem(problems: Callable[..., list[Problem]]) -> None:
    found = problems(
        """
        agents:
          - id: a
            modle: x
            rol: worker
        """
    )
    error = ConfigError(found)
    text = str(error)
    assert "axo.yaml:3:5: error: unknown key `modle` in agent `a`" in text
    assert "    hint: did you mean 'model'?" in text
    assert "axo.yaml:4:5: error: unknown key `rol`" in text
    assert error.problems == found and len(error.errors) == 2 and error.warnings == []
    assert found[0].to_json() == {
        "file": found[0].file,
        "line": 3,
        "column": 5,
        "severity": "error",
        "code": "unknown-key",
        "message": "unknown key `modle` in agent `a`",
        "hint": found[0].hint,
    }


def test_config_package_imports_no_ui_library() -> None:
    code = (
        "import sys, axo_tui.core.config\n"
        "print(sorted(m for m in ('textual', 'typer', 'rich') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
