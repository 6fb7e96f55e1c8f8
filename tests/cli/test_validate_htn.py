"""`axo validate` checks a workflow's `htn_methods_file`: every problem at its file:line."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import Invoke

PROJECT = """\
agents:
  - id: lead
    provider: scripted
    role: coordinator
  - id: helper
    provider: scripted
    role: worker
workflows:
  - id: study
    agents: [lead, helper]
    entry_point: lead
    htn_methods_file: {methods}
"""

GOOD = """\
- task_pattern: "research {topic}"
  preconditions: [{key: online, expected: true}]
  subtasks:
    - {name: "find sources on {topic}", parameters: {tools: [read_file]}, task_type: Primitive}
    - {name: "summarise {topic}", task_type: Compound}
"""


def project(tmp_path: Path, methods: str, name: str = "methods.yaml") -> Path:
    (tmp_path / name).write_text(methods, encoding="utf-8")
    config = tmp_path / "axo.yaml"
    config.write_text(PROJECT.format(methods=name), encoding="utf-8")
    return config


def test_valid_methods_file_validates(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("validate", str(project(tmp_path, GOOD)))
    assert result.exit_code == 0, result.output


def test_syntax_error_is_reported_at_its_line_in_the_methods_file(
    invoke: Invoke, tmp_path: Path
) -> None:
    broken = GOOD.replace("  subtasks:\n", "  subtasks: [\n", 1)
    result = invoke("validate", str(project(tmp_path, broken)))
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{tmp_path / 'methods.yaml'}:"), first
    assert "syntax" in first.lower()


def test_unknown_task_type_tool_and_variable_point_at_their_lines(
    invoke: Invoke, tmp_path: Path
) -> None:
    broken = (
        GOOD.replace("task_type: Compound", "task_type: Compund")
        .replace("tools: [read_file]", "tools: [read_fil]")
        .replace('"summarise {topic}"', '"summarise {subject}"')
    )
    result = invoke("validate", str(project(tmp_path, broken)))
    assert result.exit_code == 1
    where = str(tmp_path / "methods.yaml")
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert any(
        line.startswith(f"{where}:5:") and "unknown task_type `Compund`" in line for line in errors
    ), errors
    assert any(line.startswith(f"{where}:4:") and "`read_fil`" in line for line in errors), errors
    assert any(line.startswith(f"{where}:5:") and "`{subject}`" in line for line in errors), errors
    assert "did you mean 'Compound'?" in result.stderr


def test_missing_methods_file_points_at_the_key_in_axo_yaml(invoke: Invoke, tmp_path: Path) -> None:
    config = tmp_path / "axo.yaml"
    config.write_text(PROJECT.format(methods="nowhere.yaml"), encoding="utf-8")
    result = invoke("validate", str(config))
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{config}:12:"), first
    assert "nowhere.yaml" in first
