"""Config tests' helpers: write YAML text, pick problems out by code."""

from __future__ import annotations

import textwrap
from pathlib import Path

from axo_tui.core.config import Problem


def write(directory: Path, text: str, name: str = "axo.yaml") -> Path:
    """Write dedented YAML text; line 1 is the first non-blank line of `text`."""
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def only(found: list[Problem], code: str) -> Problem:
    """The single problem with `code`, failing with the full list otherwise."""
    matching = [p for p in found if p.code == code]
    assert len(matching) == 1, "\n".join(p.render() for p in found)
    return matching[0]


def codes(found: list[Problem]) -> list[str]:
    return [p.code for p in found]
