"""docs/config.md stays in step with the code: keys, error codes, the full example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from axo_tui.core.config import CODES, load_config_text
from axo_tui.core.config import keys as config_keys

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs" / "config.md"
PACKAGE = ROOT / "axo_tui" / "core" / "config"


@pytest.fixture(scope="module")
def docs() -> str:
    return DOCS.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "key", sorted({key for section in config_keys.ALL_SECTIONS.values() for key in section})
)
def test_every_key_is_documented(key: str, docs: str) -> None:
    assert f"| `{key}` |" in docs, f"docs/config.md has no table row for `{key}`"


def test_every_error_code_is_documented(docs: str) -> None:
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", docs.split("## Error codes", 1)[1], re.M))
    assert documented == set(CODES)


def test_every_code_used_in_the_source_is_registered() -> None:
    # Codes are the only hyphenated lowercase string literals in the package (plus three
    # one-word codes), so a scan finds every one a check can report.
    literal = re.compile(r'"([a-z]+(?:-[a-z]+)+|cycle|unreadable|invalid)"')
    used: set[str] = set()
    for source in PACKAGE.glob("*.py"):
        if source.name != "problems.py":
            used |= set(literal.findall(source.read_text(encoding="utf-8")))
    assert used, "the scan found no codes at all"
    assert used <= set(CODES), used - set(CODES)


def test_full_example_loads(docs: str, tmp_path: Path) -> None:
    section = docs.split("## Full example", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = load_config_text(example, tmp_path / "axo.yaml", environ={"OPENAI_API_KEY": "sk-test"})
    assert config.warnings == ()
    assert {a.id for a in config.agents} == {"researcher", "critic", "writer", "lead", "helper"}


def test_section_examples_parse_as_yaml(docs: str) -> None:
    import yaml

    for block in re.findall(r"```yaml\n(.*?)```", docs, re.S):
        yaml.safe_load(block)
