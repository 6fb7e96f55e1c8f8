"""Fixtures for the workbench tests: small offline projects (scripted provider) in tmp dirs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from axo_tui.core.config import load_config
from axo_tui.tui.app import AxoApp, build_app
from axo_tui.tui.settings import WorkbenchSettings, frozen_clock
from tests.support.tui import DIAMOND_YAML, MEMORY_YAML, SLOW_YAML


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A diamond workflow project; returns the config file."""
    config = tmp_path / "axo.yaml"
    config.write_text(DIAMOND_YAML, encoding="utf-8")
    return config


@pytest.fixture
def still_settings() -> WorkbenchSettings:
    """No clocks, no animation, no file watching: deterministic screens."""
    return WorkbenchSettings(
        show_times=False,
        animate=False,
        watch_config=False,
        notify_runs=False,
        clock=frozen_clock(),
    )


@pytest.fixture
def make_app(project: Path) -> Callable[..., AxoApp]:
    def make(
        config_path: Path | None = None, settings: WorkbenchSettings | None = None, **kwargs: object
    ) -> AxoApp:
        path = config_path or project
        if "config" not in kwargs:
            # `wait` is the tests' own tool (support.tui.add_wait_tool), registered after the build.
            kwargs["config"] = load_config(path, extra_tools=("wait",))
        return build_app(
            path,
            data_dir=path.parent / ".axo",
            settings=settings or WorkbenchSettings(show_times=False, watch_config=False),
            **kwargs,  # type: ignore[arg-type]
        )

    return make


@pytest.fixture
def slow_project(tmp_path: Path) -> Path:
    config = tmp_path / "slow" / "axo.yaml"
    config.parent.mkdir()
    config.write_text(SLOW_YAML, encoding="utf-8")
    return config


@pytest.fixture
def memory_project(tmp_path: Path) -> Path:
    config = tmp_path / "memory" / "axo.yaml"
    config.parent.mkdir()
    today = dt.date.today().isoformat()
    config.write_text(MEMORY_YAML.replace("TODAY", today), encoding="utf-8")
    return config
