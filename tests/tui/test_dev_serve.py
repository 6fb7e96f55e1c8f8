"""`axo dev --serve` (or `server:` in the config): the workbench's own runtime answers the
HTTP API, a run started over it shows in the workbench, and quitting stops the server."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from axo_tui.cli.dev_cmd import api_companion
from axo_tui.core.config import load_config
from axo_tui.tui.app import AxoApp
from axo_tui.tui.settings import WorkbenchSettings
from tests.support.tui import wait_runs_done, wait_until


async def test_the_workbench_serves_the_api_on_its_own_runtime(
    make_app: Callable[..., AxoApp], project: Path
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # free a moment ago; the companion binds it at once
    text = project.read_text(encoding="utf-8")
    project.write_text(f"server: {{port: {port}}}\n" + text, encoding="utf-8")
    config = load_config(project, extra_tools=("wait",))
    assert config.server.declared
    told: list[str] = []
    settings = WorkbenchSettings(show_times=False, watch_config=False, notify_runs=False)
    app = make_app(
        config=config,
        settings=WorkbenchSettings(**{**settings.__dict__, "companions": (api_companion(config),)}),
    )
    app.notify = lambda message, **_kw: told.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: any("serving the API on" in m for m in told))
        url = next(m for m in told if "serving the API on" in m).rsplit(" ", 1)[-1]
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            agents = (await client.get("/api/agents")).json()
            assert [a["id"] for a in agents] == [a.id for a in config.agents]
            workflow = config.workflows[0].id
            response = await client.post(
                f"/api/workflows/{workflow}/execute", json={"input": "from curl"}
            )
        assert response.json()["status"] == "completed"
        await wait_runs_done(pilot, app)
        assert response.json()["run_id"] in app.model.runs
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health")
