"""A WASM deploy through a running server takes modules of real size (a Python component is
~40 MB) although every other request body stops at 2 MiB."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.core.wasm import guests
from tests.support.cli import axo_command, clean_env
from tests.support.served_project import served, write_scripted

BIG_DATA = 3 * 1024 * 1024


def big_module() -> bytes:
    """A valid ABI v1 guest carrying 3 MiB of data: over the ordinary body limit."""
    return guests.module(
        '(func (export "handle_message") (param i32 i32) (result i32) (i32.const 0))',
        data=guests._data(0, "\0" * BIG_DATA),
        pages=64,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    path = write_scripted(tmp_path_factory.mktemp("served"))
    with served(path) as url:
        yield path, url


def test_a_module_over_2_mib_deploys_through_the_api(project: tuple[Path, str]) -> None:
    import base64

    _, url = project
    module = big_module()
    assert len(module) > BIG_DATA
    body = {"module_base64": base64.b64encode(module).decode()}
    with httpx.Client(base_url=url, timeout=60) as api:
        deployed = api.put("/api/wasm/agents/heavy", json=body)
        assert deployed.status_code == 200, deployed.text
        assert deployed.json()["name"] == "heavy"
        # Other routes keep the 2 MiB limit.
        huge = b'{"input": "' + b"x" * (2 * 1024 * 1024 + 10) + b'"}'
        refused = api.post(
            "/api/agents/planner/execute",
            content=huge,
            headers={"content-type": "application/json"},
        )
        assert refused.status_code == 413


def test_axo_deploy_sends_a_big_module_to_the_server(
    project: tuple[Path, str], tmp_path: Path
) -> None:
    path, url = project
    module_file = tmp_path / "heavy.wasm"
    module_file.write_bytes(big_module())
    result = subprocess.run(
        [*axo_command(), "--remote", url, "deploy", str(module_file), "--name", "heavier"],
        env=clean_env(),
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "heavier" in result.stdout and "Traceback" not in result.stderr
