"""Property tests: whatever text arrives, only ConfigError (or a Config) comes back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from axo_tui.core.config import Config, ConfigError, load_config_text
from axo_tui.core.config import keys as config_keys

ALL_KEYS = sorted({key for section in config_keys.ALL_SECTIONS.values() for key in section})

YAML_TOKENS = [
    ": ",
    ":",
    "- ",
    "\n",
    "\n  ",
    "\n    ",
    "\n      ",
    "  ",
    "\t",
    '"',
    "'",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "---\n",
    "...\n",
    "# c\n",
    "? ",
    "|\n",
    ">-\n",
    "!!str ",
    "!!int ",
    "!!python/object ",
    "!x ",
    "${X}",
    "${X:-d}",
    "$${",
    "~",
    "null",
    "true",
    "0",
    "-1",
    "1.5",
    ".inf",
    "1h",
    "0s",
    "\ufeff",
    "\x85",
    "\u2028",
]

yaml_like = st.lists(
    st.one_of(
        st.sampled_from(YAML_TOKENS),
        st.sampled_from(ALL_KEYS),
        st.text(max_size=6),
    ),
    max_size=60,
).map("".join)

PATH = Path("/nonexistent-axo-dir/axo.yaml")  # no .env beside it


def check(text: str) -> None:
    try:
        config = load_config_text(text, PATH, environ={"X": "x"})
    except ConfigError as error:
        assert error.problems, "a ConfigError must carry at least one problem"
        for problem in error.problems:
            assert problem.file == str(PATH)
            assert problem.line >= 0 and problem.column >= 0
            assert problem.code and problem.message
        assert str(error)
    else:
        assert isinstance(config, Config)


@pytest.mark.timeout(120)
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_like)
def test_yaml_like_text_never_escapes(text: str) -> None:
    check(text)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(["ollama", "worker", "coordinator", "1h", "0s", "a", "b", "w", "${X}"]),
)


def mappings(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(ALL_KEYS), children, max_size=6)


values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), mappings(children)),
    max_leaves=30,
)
# Shaped like a config (known sections, lists of mappings with known keys), with wrong bits.
configs = st.dictionaries(
    st.sampled_from(list(config_keys.TOP_LEVEL)),
    st.one_of(values, st.lists(mappings(values), max_size=4)),
    max_size=8,
)


@pytest.mark.timeout(120)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs)
def test_config_shaped_documents_never_escape(document: dict[str, Any]) -> None:
    check(yaml.safe_dump(document, allow_unicode=True))
