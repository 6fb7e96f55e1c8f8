"""find_config and reading the file: missing, directory, FIFO, the catch-all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from axo_tui.core.config import ConfigError, find_config, load_config, load_config_text
from tests.support.config_files import only, write

pytestmark = pytest.mark.timeout(5)


@pytest.mark.parametrize("name", ["axo.yaml", "axo.yml", "axocoatl.yaml"])
def test_find_config_by_name(name: str, tmp_path: Path) -> None:
    path = write(tmp_path, "agents: []\n", name)
    assert find_config(tmp_path) == path


def test_find_config_prefers_axo_yaml(tmp_path: Path) -> None:
    write(tmp_path, "agents: []\n", "axocoatl.yaml")
    preferred = write(tmp_path, "agents: []\n", "axo.yaml")
    assert find_config(tmp_path) == preferred


def test_find_config_accepts_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, "agents: []\n", "custom.yaml")
    assert find_config(path) == path


def test_find_config_none_here(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        find_config(tmp_path)
    problem = only(caught.value.problems, "no-config")
    assert "axo.yaml, axo.yml, axocoatl.yaml" in problem.message
    assert "axo init" in problem.hint
    assert str(caught.value).startswith(f"{tmp_path}: error: no config file here")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml")
    problem = only(caught.value.problems, "file-not-found")
    assert problem.file == str(tmp_path / "nope.yaml")


def test_directory_is_not_a_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert only(caught.value.problems, "unreadable").message == "not a regular file"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "axo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError) as caught:
        load_config(fifo)
    only(caught.value.problems, "unreadable")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads all")
def test_permission_denied(tmp_path: Path) -> None:
    path = write(tmp_path, "agents: []\n")
    path.chmod(0)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "cannot read" in only(caught.value.problems, "unreadable").message


def test_unexpected_exceptions_become_config_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import axo_tui.core.config.loader as loader

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(loader, "build_config", explode)
    with pytest.raises(ConfigError) as caught:
        load_config_text("agents: []\n", tmp_path / "axo.yaml", environ={})
    problem = only(caught.value.problems, "internal-error")
    assert "RuntimeError: boom" in problem.message


def test_relative_paths_resolve_against_the_config_dir(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    path = write(
        project,
        """
        data_dir: state
        providers:
          mine: {kind: local, model_path: models/m.gguf}
          abs: {kind: local, model_path: /opt/m.gguf}
        """,
    )
    config = load_config(path, environ={})
    assert config.data_dir == project / "state"
    assert config.state_dir == project / "state"
    assert config.provider("mine").model_path == str(project / "models" / "m.gguf")
    assert config.provider("abs").model_path == "/opt/m.gguf"


def test_default_state_dir(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "agents: []\n"), environ={})
    assert config.data_dir is None
    assert config.state_dir == tmp_path / ".axo"
