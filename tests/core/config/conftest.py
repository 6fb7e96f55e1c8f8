"""Fixtures: load YAML text written into tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from axo_tui.core.config import Config, ConfigError, Problem, load_config
from tests.support.config_files import write


@pytest.fixture
def load(tmp_path: Path) -> Callable[..., Config]:
    """Load YAML text (dedented) as `tmp_path/axo.yaml` with an empty environment."""

    def _load(text: str, environ: dict[str, str] | None = None) -> Config:
        return load_config(write(tmp_path, text), environ=environ or {})

    return _load


@pytest.fixture
def problems(tmp_path: Path) -> Callable[..., list[Problem]]:
    """Load YAML text that must fail; return its problems."""

    def _problems(text: str, environ: dict[str, str] | None = None) -> list[Problem]:
        path = write(tmp_path, text)
        with pytest.raises(ConfigError) as caught:
            load_config(path, environ=environ or {})
        return caught.value.problems

    return _problems
