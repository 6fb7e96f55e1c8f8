"""Tab completion of the project's ids, asked as bash asks: the real `axo` script with
`_AXO_COMPLETE=complete_bash` and the words typed so far in COMP_WORDS / COMP_CWORD."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import RunAxo, axo_command, clean_env

PROJECT = """\
agents:
  - id: alpha
    provider: scripted
  - id: beta
    provider: scripted
workflows:
  - id: triage
    agents: [alpha]
  - id: release
    agents: [beta]
skills:
  - id: review-draft
    agents: [alpha]
"""


def complete(project: Path, line: str) -> subprocess.CompletedProcess[str]:
    """What bash gets back for Tab at the end of `line` (a trailing space: a new word)."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    return subprocess.run(
        axo_command(),
        cwd=project,
        env=clean_env(_AXO_COMPLETE="complete_bash", COMP_WORDS=line, COMP_CWORD=str(cword)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def offered(project: Path, line: str) -> list[str]:
    result = complete(project, line)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return result.stdout.split()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "axo.yaml").write_text(PROJECT, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("axo workflow run ", ["triage", "release"]),
        ("axo workflow run r", ["release"]),
        ("axo run ", ["alpha", "beta"]),
        ("axo chat -a b", ["beta"]),
        ("axo memory show ", ["alpha", "beta"]),
        ("axo agents restart a", ["alpha"]),
        ("axo skills fire ", ["review-draft"]),
        ("axo events --agents alpha,", ["alpha,beta"]),
    ],
)
def test_ids_from_the_config(project: Path, line: str, expected: list[str]) -> None:
    assert offered(project, line) == expected


def test_run_ids_from_the_journal(project: Path, run_axo: RunAxo) -> None:
    assert offered(project, "axo runs show ") == []  # no journal yet: nothing, quietly
    first = json.loads(run_axo("run", "alpha", "-i", "one", "--json", cwd=project).stdout)
    second = json.loads(run_axo("run", "beta", "-i", "two", "--json", cwd=project).stdout)
    newest_first = [second["run_id"], first["run_id"]]
    assert offered(project, "axo runs show ") == newest_first
    assert offered(project, "axo events --run ") == newest_first
    assert offered(project, "axo tokens report --run ") == newest_first
    assert offered(project, f"axo runs resume {first['run_id'][:-2]}") == [first["run_id"]]


def test_the_config_named_by_c_is_the_one_read(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    assert offered(elsewhere, f"axo -c {project / 'axo.yaml'} workflow run ") == [
        "triage",
        "release",
    ]


def test_a_config_being_edited_completes_what_it_can_and_never_complains(project: Path) -> None:
    config = project / "axo.yaml"
    # Mid-edit YAML (an open bracket): nothing to offer, and not a word of complaint.
    config.write_text(PROJECT + "  - id: half\n    bogus: [\n", encoding="utf-8")
    assert offered(project, "axo run ") == []
    # Invalid (an unknown provider) but readable: its ids still complete.
    config.write_text(PROJECT.replace("provider: scripted", "provider: nowhere"), encoding="utf-8")
    assert offered(project, "axo run ") == ["alpha", "beta"]
    config.write_bytes(b"\x00\xff")
    assert offered(project, "axo workflow run ") == []
    config.unlink()
    assert offered(project, "axo skills fire ") == []
