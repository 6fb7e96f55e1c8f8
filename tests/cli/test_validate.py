"""`axo validate`: exit codes, the text report, the JSON report, and where the file comes from."""

from __future__ import annotations

import json
import re
from pathlib import Path

from axo_tui.core.config.keys import TOP_LEVEL
from tests.support.cli import REPO, Invoke, RunAxo

HELLO = REPO / "examples" / "hello" / "axo.yaml"

BROKEN = """\
agnets:
  - id: writer
workflows:
  - id: daily
    agents: [writer, ghost]
"""

WITH_WARNING = """\
agents:
  - id: helper
    provider: openai
providers:
  openai:
    base_url: "https://api.openai.com/v1"
    api_key: ${AXO_TEST_SURELY_UNSET_KEY}
"""

JSON_KEYS = {"valid", "file", "problems", "summary"}
SUMMARY_KEYS = {
    "agents",
    "workflows",
    "skills",
    "providers",
    "mcp_servers",
    "schedules",
    "proactive",
    "errors",
    "warnings",
}
PROBLEM_KEYS = {"file", "line", "column", "severity", "code", "message", "hint"}


_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colour_codes(text: str) -> set[str]:
    """SGR parameters that set a colour (30-38, 40-48, 90-107); bold and reset are not."""
    codes = set()
    for params in _SGR.findall(text):
        for code in params.split(";"):
            if code and (30 <= int(code) <= 48 or 90 <= int(code) <= 107):
                codes.add(code)
    return codes


def write(directory: Path, text: str, name: str = "axo.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_prints_a_summary_and_exits_0(invoke: Invoke) -> None:
    result = invoke("validate", str(HELLO))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{HELLO}: ok (2 agents, 1 workflow, 2 providers)"
    assert result.stderr == ""


def test_invalid_config_prints_every_problem_and_exits_1(invoke: Invoke, in_tmp: Path) -> None:
    write(in_tmp, BROKEN)
    result = invoke("validate", "axo.yaml")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    # Compiler-style: file:line:col: error: message, then an indented hint.
    assert lines[0] == "axo.yaml:1:1: error: unknown key `agnets` in the top level"
    assert lines[1].startswith("    hint: did you mean 'agents'?")
    assert any(line.startswith("axo.yaml:5:") and "`ghost`" in line for line in lines)
    assert lines[-1] == "axo.yaml: invalid, 3 errors"
    assert result.stdout == ""


def test_json_report_of_a_valid_config(invoke: Invoke) -> None:
    result = invoke("validate", str(HELLO), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert set(report) == JSON_KEYS
    assert report["valid"] is True
    assert report["file"] == str(HELLO)
    assert report["problems"] == []
    assert report["summary"] == {
        "agents": 2,
        "workflows": 1,
        "skills": 0,
        "providers": 2,
        "mcp_servers": 0,
        "schedules": 0,
        "proactive": 0,
        "errors": 0,
        "warnings": 0,
    }


def test_json_report_of_an_invalid_config(invoke: Invoke, in_tmp: Path) -> None:
    write(in_tmp, BROKEN)
    result = invoke("validate", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert set(report) == JSON_KEYS
    assert report["valid"] is False
    assert report["file"] == "axo.yaml"
    assert set(report["summary"]) == SUMMARY_KEYS
    assert report["summary"]["errors"] == 3
    assert report["summary"]["agents"] is None  # unknown when the config did not load
    first = report["problems"][0]
    assert set(first) == PROBLEM_KEYS
    assert (first["line"], first["column"], first["code"]) == (1, 1, "unknown-key")
    assert {p["code"] for p in report["problems"]} == {"unknown-key", "unknown-reference"}


def test_warnings_are_shown_but_the_config_is_valid(invoke: Invoke, in_tmp: Path) -> None:
    write(in_tmp, WITH_WARNING)
    result = invoke("validate")
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr
    assert "AXO_TEST_SURELY_UNSET_KEY" in result.stderr
    assert result.stdout.strip().endswith("1 warning")

    report = json.loads(invoke("validate", "--json").stdout)
    assert report["valid"] is True
    assert report["summary"]["warnings"] == 1
    assert report["problems"][0]["severity"] == "warning"


def test_missing_file(invoke: Invoke, in_tmp: Path) -> None:
    result = invoke("validate", "nope.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "nope.yaml: error: config file not found"
    report = json.loads(invoke("validate", "nope.yaml", "--json").stdout)
    assert report["valid"] is False
    assert report["problems"][0]["code"] == "file-not-found"


def test_no_config_in_the_current_directory(invoke: Invoke, in_tmp: Path) -> None:
    result = invoke("validate")
    assert result.exit_code == 1
    assert "no config file here" in result.stderr
    assert "axo init" in result.stderr
    report = json.loads(invoke("validate", "--json").stdout)
    assert report["file"] is None
    assert report["problems"][0]["code"] == "no-config"


def test_finds_axo_yaml_in_the_current_directory(invoke: Invoke, in_tmp: Path) -> None:
    write(in_tmp, HELLO.read_text(encoding="utf-8"))
    result = invoke("validate")
    assert result.exit_code == 0
    assert result.stdout.startswith("axo.yaml: ok")


def test_a_directory_stands_for_its_config(invoke: Invoke) -> None:
    result = invoke("validate", str(HELLO.parent))
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{HELLO}: ok")


def test_global_config_option_is_the_default_file(invoke: Invoke, in_tmp: Path) -> None:
    broken = write(in_tmp, BROKEN, "broken.yaml")
    assert invoke("--config", str(HELLO), "validate").exit_code == 0
    assert invoke("-c", str(broken), "validate").exit_code == 1
    # An explicit FILE wins over --config.
    assert invoke("-c", str(broken), "validate", str(HELLO)).exit_code == 0


def test_piped_output_has_no_ansi_escapes(run_axo: RunAxo, tmp_path: Path) -> None:
    write(tmp_path, BROKEN)
    invalid = run_axo("validate", cwd=tmp_path)
    assert invalid.returncode == 1
    assert "error:" in invalid.stderr
    assert "\x1b[" not in invalid.stderr + invalid.stdout
    valid = run_axo("validate", str(HELLO))
    assert valid.returncode == 0
    assert "\x1b[" not in valid.stdout + valid.stderr


def test_colour_on_a_terminal_unless_no_color(run_axo: RunAxo, tmp_path: Path) -> None:
    write(tmp_path, BROKEN)
    # FORCE_COLOR makes rich behave as on a terminal; NO_COLOR must still win over it.
    coloured = run_axo("validate", cwd=tmp_path, env={"FORCE_COLOR": "1"})
    assert colour_codes(coloured.stderr)
    # NO_COLOR (no-color.org) removes colour; rich keeps bold, which the convention allows.
    plain = run_axo("validate", cwd=tmp_path, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert not colour_codes(plain.stderr)
    assert "unknown key `agnets`" in plain.stderr


def test_long_problems_stay_on_one_line_when_piped(run_axo: RunAxo, tmp_path: Path) -> None:
    write(tmp_path, BROKEN)
    result = run_axo("validate", cwd=tmp_path, env={"COLUMNS": "40"})
    hint = result.stderr.splitlines()[1]
    assert hint.startswith("    hint: did you mean 'agents'?")
    # The whole list of keys, not cut at the width: it ends with the last top-level key.
    assert hint.endswith(f"`{TOP_LEVEL[-1]}`")
