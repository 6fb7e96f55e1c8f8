"""Every example and template we ship loads cleanly, and the templates are inside the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from axo_tui.cli.scaffold import PLACEHOLDER, available_templates, render
from tests.support.cli import REPO

EXAMPLES = sorted(REPO.glob("examples/*/axo.yaml"))
TEMPLATE_CONFIGS = sorted(REPO.glob("templates/*/axo.yaml"))


def test_there_is_something_to_check() -> None:
    assert REPO / "examples" / "hello" / "axo.yaml" in EXAMPLES
    assert len(TEMPLATE_CONFIGS) == len(available_templates()) >= 3


@pytest.mark.parametrize("path", EXAMPLES + TEMPLATE_CONFIGS, ids=lambda p: p.parent.name)
def test_shipped_config_is_valid_without_warnings(path: Path) -> None:
    from axo_tui.core.config import ConfigError, load_config

    try:
        config = load_config(path, environ={})
    except ConfigError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"{path} is invalid:\n{exc}")
    assert config.warnings == ()
    assert config.agents


def test_example_hello_has_the_shape_of_the_hello_template(tmp_path: Path) -> None:
    from axo_tui.core.config import Config, load_config

    template = available_templates()["hello"]
    rendered = tmp_path / "axo.yaml"
    source = (template.root / "axo.yaml").read_text(encoding="utf-8")
    rendered.write_text(render(source, PurePosixPath("axo.yaml"), "hello"), encoding="utf-8")
    example = load_config(REPO / "examples" / "hello" / "axo.yaml", environ={})
    fresh = load_config(rendered, environ={})

    def shape(config: Config) -> object:
        return (
            [(a.id, a.depends_on, a.role) for a in config.agents],
            [(w.id, w.agents, w.entry_point) for w in config.workflows],
        )

    assert shape(example) == shape(fresh)
    example_files = {p.name for p in (REPO / "examples" / "hello").iterdir() if p.is_file()}
    assert example_files >= {str(path) for path, _ in template.files()}


def test_templates_name_the_project_through_the_placeholder() -> None:
    for template in available_templates().values():
        text = (template.root / "axo.yaml").read_text(encoding="utf-8")
        assert f'name: "{PLACEHOLDER}"' in text, template.name


@pytest.mark.slow
def test_the_wheel_ships_the_templates(tmp_path: Path) -> None:
    # Build from a copy so that concurrent runs never share a build/ directory; symlinks are
    # copied as symlinks, exactly as a git checkout has them.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for name in ("axo_tui", "templates"):
        shutil.copytree(
            REPO / name,
            source / name,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".axo"),
        )
    out = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",  # offline: use this environment's setuptools
            "--quiet",
            "-w",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out.glob("axo_tui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template_dir in (REPO / "templates").iterdir():
        for file in template_dir.rglob("*"):
            if file.is_file():
                relative = file.relative_to(REPO).as_posix()
                assert f"axo_tui/{relative}" in names, f"{relative} is missing from the wheel"

    # Installed from the wheel (no repository around), `axo init` still finds them.
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "-t", str(target), wheel],
        check=True,
        capture_output=True,
        timeout=300,
    )
    probe = (
        "from axo_tui.cli.scaffold import available_templates, templates_root\n"
        "print(templates_root())\n"
        "print(' '.join(available_templates()))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    shown = subprocess.run(
        [sys.executable, "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # not the repository, whose axo_tui would shadow the installed one
    ).stdout.splitlines()
    assert shown[0].startswith(str(target))
    assert shown[1] == "assistant hello research wasm"
