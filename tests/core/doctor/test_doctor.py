"""`axo_tui.core.doctor`: each check against real sockets, files and configs.

Providers are the fake model server on 127.0.0.1 (`ModelServer`, on its own thread, so one
fake serves in-process tests and `axo` subprocesses); nothing here touches the internet.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core.doctor import (
    CheckResult,
    DoctorOptions,
    DoctorReport,
    Status,
    run_doctor,
    run_doctor_async,
)
from axo_tui.core.doctor.model import ok
from tests.support.doctor_project import SECRET, fake_ollama, write_project
from tests.support.model_server import ModelServer, Reply, closed_port


@pytest.fixture
def ollama() -> Iterator[ModelServer]:
    with fake_ollama("llama3.2:latest") as fake:
        yield fake


async def doctor(path: Path, **options: Any) -> DoctorReport:
    extra = options.pop("extra_checks", ())
    options.setdefault("network_timeout", 1.5)
    return await run_doctor_async(
        DoctorOptions(config=path, search_dir=path.parent, **options), extra_checks=extra
    )


def check(report: DoctorReport, name: str) -> CheckResult:
    found = [c for c in report.checks if c.name == name]
    assert found, f"no {name} check in {[c.name for c in report.checks]}"
    return found[0]


def all_text(report: DoctorReport) -> str:
    return json.dumps(report.to_json())


# -- providers ---------------------------------------------------------------------------------


async def test_ollama_with_the_model_pulled_is_ok(tmp_path: Path, ollama: ModelServer) -> None:
    path = write_project(tmp_path, providers=f"  ollama: {{base_url: '{ollama.url}'}}\n")
    report = await doctor(path)
    result = check(report, "provider:ollama")
    # `llama3.2` in the config is `llama3.2:latest` on the server.
    assert result.status is Status.OK, result
    assert "llama3.2 present" in result.message
    assert [r.path for r in ollama.requests] == ["/api/tags"]


async def test_missing_ollama_model_fails_with_a_pull_command(
    tmp_path: Path, ollama: ModelServer
) -> None:
    agents = "  - {id: writer, provider: ollama, model: qwen2.5:7b}\n"
    path = write_project(
        tmp_path, agents=agents, providers=f"  ollama: {{base_url: '{ollama.url}'}}\n"
    )
    report = await doctor(path)
    result = check(report, "provider:ollama")
    assert result.status is Status.FAIL
    assert "qwen2.5:7b is not pulled" in result.message
    assert "llama3.2:latest" in result.message  # what it does have
    assert result.fix == "ollama pull qwen2.5:7b"
    assert not report.ok


async def test_unreachable_provider_fails_fast_with_a_clear_message(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    path = write_project(tmp_path, providers=f"  ollama: {{base_url: '{url}'}}\n")
    started = time.perf_counter()
    report = await doctor(path)
    elapsed = time.perf_counter() - started
    result = check(report, "provider:ollama")
    assert result.status is Status.FAIL
    assert result.message == f"cannot connect to {url}/api/tags: connection refused"
    assert result.fix is not None and "ollama serve" in result.fix
    # A refused connection is known at once; nothing waited for the timeout.
    assert elapsed < 1.5


async def test_a_hung_provider_counts_as_unreachable_after_the_timeout(tmp_path: Path) -> None:
    with ModelServer() as hung:
        hung.hold_while(lambda request: True)  # accepts the connection, never answers
        path = write_project(tmp_path, providers=f"  ollama: {{base_url: '{hung.url}'}}\n")
        report = await doctor(path, network_timeout=0.3)
    result = check(report, "provider:ollama")
    assert result.status is Status.FAIL
    assert result.message == f"{hung.url}/api/tags did not answer within 0.3 s"


async def test_openai_compatible_models_are_checked(tmp_path: Path) -> None:
    listing = {"object": "list", "data": [{"id": "qwen2.5-7b-instruct"}]}
    with ModelServer(answers={"/v1/models": Reply.json(listing)}) as server:
        providers = f"  lmstudio: {{kind: openai, base_url: '{server.url}/v1'}}\n"
        present = "  - {id: a, provider: lmstudio, model: qwen2.5-7b-instruct}\n"
        report = await doctor(write_project(tmp_path / "a", agents=present, providers=providers))
        assert check(report, "provider:lmstudio").status is Status.OK
        absent = "  - {id: a, provider: lmstudio, model: gpt-4o}\n"
        report = await doctor(write_project(tmp_path / "b", agents=absent, providers=providers))
    result = check(report, "provider:lmstudio")
    assert result.status is Status.FAIL
    assert "does not serve model gpt-4o" in result.message
    # A local server needs no key, so there is no api_key row.
    assert not [c for c in report.checks if c.name.startswith("api_key:")]


async def test_an_unreachable_fallback_is_only_a_warning(
    tmp_path: Path, ollama: ModelServer
) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    providers = (
        f"  ollama: {{base_url: '{ollama.url}', fallback: spare}}\n"
        f"  spare: {{kind: ollama, base_url: '{dead}', model: llama3.2}}\n"
    )
    report = await doctor(write_project(tmp_path, providers=providers))
    assert check(report, "provider:ollama").status is Status.OK
    spare = check(report, "provider:spare")
    assert spare.status is Status.WARN
    assert "(fallback)" in spare.message
    assert report.ok


async def test_an_agent_without_a_model_fails(tmp_path: Path, ollama: ModelServer) -> None:
    agents = "  - {id: writer, provider: ollama}\n"
    path = write_project(
        tmp_path, agents=agents, providers=f"  ollama: {{base_url: '{ollama.url}'}}\n"
    )
    result = check(await doctor(path), "provider:ollama")
    assert result.status is Status.FAIL
    assert "writer" in result.message


# -- API keys ----------------------------------------------------------------------------------


ANTHROPIC_AGENT = "  - {id: critic, provider: anthropic, model: claude-sonnet-4-5}\n"


async def test_missing_anthropic_key_fails_and_nothing_is_contacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with ModelServer() as server:
        providers = (
            f"  anthropic: {{base_url: '{server.url}', api_key: '${{ANTHROPIC_API_KEY}}'}}\n"
        )
        report = await doctor(write_project(tmp_path, agents=ANTHROPIC_AGENT, providers=providers))
        assert server.requests == []  # a request without a key could only fail
    key = check(report, "api_key:anthropic")
    assert key.status is Status.FAIL
    assert "`${ANTHROPIC_API_KEY}` in axo.yaml is not set" in key.message
    assert key.fix is not None and "export ANTHROPIC_API_KEY=..." in key.fix
    assert check(report, "provider:anthropic").status is Status.WARN
    assert not report.ok


async def test_anthropic_without_any_api_key_setting_names_the_variable(tmp_path: Path) -> None:
    providers = "  anthropic: {base_url: 'http://127.0.0.1:9'}\n"
    report = await doctor(write_project(tmp_path, agents=ANTHROPIC_AGENT, providers=providers))
    key = check(report, "api_key:anthropic")
    assert key.status is Status.FAIL
    assert key.fix is not None and "api_key: ${ANTHROPIC_API_KEY}" in key.fix


async def test_a_present_key_is_reported_by_source_and_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    # A server that echoes the key back in its error, as some do.
    echo = {
        "type": "error",
        "error": {"type": "authentication_error", "message": f"bad key {SECRET}"},
    }
    with ModelServer(answers={"/v1/models": Reply.json(echo, 401)}) as server:
        providers = (
            f"  anthropic: {{base_url: '{server.url}', api_key: '${{ANTHROPIC_API_KEY}}'}}\n"
        )
        report = await doctor(write_project(tmp_path, agents=ANTHROPIC_AGENT, providers=providers))
        sent = server.requests[0].headers
    assert sent["x-api-key"] == SECRET  # the key was used ...
    key = check(report, "api_key:anthropic")
    assert key.status is Status.OK
    assert key.message == "API key set (from environment variable ANTHROPIC_API_KEY)"
    reach = check(report, "provider:anthropic")
    assert reach.status is Status.FAIL
    assert "rejected the API key (HTTP 401)" in reach.message
    assert SECRET not in all_text(report)  # ... and never printed


async def test_a_key_from_a_world_readable_env_file_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    listing = {"data": [{"id": "claude-sonnet-4-5"}]}
    with ModelServer(answers={"/v1/models": Reply.json(listing)}) as server:
        providers = (
            f"  anthropic: {{base_url: '{server.url}', api_key: '${{ANTHROPIC_API_KEY}}'}}\n"
        )
        path = write_project(tmp_path, agents=ANTHROPIC_AGENT, providers=providers)
        env_file = tmp_path / ".env"
        env_file.write_text(f"ANTHROPIC_API_KEY={SECRET}\n")
        env_file.chmod(0o644)
        report = await doctor(path)
        key = check(report, "api_key:anthropic")
        assert key.status is Status.WARN
        assert key.fix == f"chmod 600 {env_file}"
        env_file.chmod(0o600)
        report = await doctor(path)
    assert check(report, "api_key:anthropic").status is Status.OK
    assert check(report, "provider:anthropic").status is Status.OK
    assert SECRET not in all_text(report)


async def test_a_key_written_into_the_yaml_warns(tmp_path: Path) -> None:
    listing = {"data": [{"id": "claude-sonnet-4-5"}]}
    with ModelServer(answers={"/v1/models": Reply.json(listing)}) as server:
        providers = f"  anthropic: {{base_url: '{server.url}', api_key: '{SECRET}'}}\n"
        report = await doctor(write_project(tmp_path, agents=ANTHROPIC_AGENT, providers=providers))
    key = check(report, "api_key:anthropic")
    assert key.status is Status.WARN
    assert "written directly in axo.yaml" in key.message
    assert SECRET not in all_text(report)


# -- config, data dir, port --------------------------------------------------------------------


async def test_an_invalid_config_fails_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "axo.yaml"
    path.write_text("agents:\n  - id: writer\n    provider: ollama\n    temperture: 0.3\n")
    report = await doctor(path)
    result = check(report, "config")
    assert result.status is Status.FAIL
    assert result.message.startswith(f"{path}:4:5: ")
    assert "temperture" in result.message
    assert result.problems and result.problems[0].line == 4
    # Nothing that needs a valid config ran.
    assert not [c for c in report.checks if c.name.startswith("provider:")]
    assert not report.ok


async def test_no_config_is_a_warning_and_machine_checks_still_run(tmp_path: Path) -> None:
    report = await run_doctor_async(DoctorOptions(search_dir=tmp_path))
    result = check(report, "config")
    assert result.status is Status.WARN
    assert "axo init" in (result.fix or "")
    assert {"python", "packages", "embedder", "egress"} <= {c.name for c in report.checks}


async def test_data_dir_permissions(tmp_path: Path, ollama: ModelServer) -> None:
    path = write_project(tmp_path, providers=f"  ollama: {{base_url: '{ollama.url}'}}\n")
    state = tmp_path / ".axo"
    assert "will be created" in check(await doctor(path), "data_dir").message
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    result = check(await doctor(path), "data_dir")
    assert result.status is Status.WARN
    assert "mode 0755" in result.message
    assert result.fix == f"chmod 700 {state}"
    state.chmod(0o700)
    assert check(await doctor(path), "data_dir").status is Status.OK
    file_instead = tmp_path / "elsewhere"
    file_instead.write_text("")
    result = check(await doctor(path, data_dir=file_instead), "data_dir")
    assert result.status is Status.FAIL
    assert "not a directory" in result.message


async def test_a_busy_server_port_warns(tmp_path: Path, ollama: ModelServer) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        path = write_project(
            tmp_path, providers=f"  ollama: {{base_url: '{ollama.url}'}}\n", server_port=port
        )
        result = check(await doctor(path), "server_port")
    assert result.status is Status.WARN
    assert f"127.0.0.1:{port} is already in use" in result.message
    assert "server.port" in (result.fix or "")


# -- egress ------------------------------------------------------------------------------------


async def test_egress_lists_only_the_configured_provider(
    tmp_path: Path, ollama: ModelServer
) -> None:
    # `localhost` resolves to 127.0.0.1: the audit maps the address back to the name.
    url = f"http://localhost:{ollama.port}"
    report = await doctor(write_project(tmp_path, providers=f"  ollama: {{base_url: '{url}'}}\n"))
    assert check(report, "provider:ollama").status is Status.OK
    result = check(report, "egress")
    assert result.status is Status.OK
    assert f"localhost:{ollama.port}" in result.message
    assert report.checks[-1].name == "egress"


async def test_egress_catches_a_connection_to_a_non_provider(
    tmp_path: Path, ollama: ModelServer
) -> None:
    # Another loopback address: a real TCP connection that is not to the configured provider.
    with ModelServer(host="127.0.0.2") as stranger:

        async def phones_home() -> Sequence[CheckResult]:
            with socket.create_connection(("127.0.0.2", stranger.port), timeout=1):
                pass
            return [ok("sneaky", "did nothing, honest")]

        path = write_project(tmp_path, providers=f"  ollama: {{base_url: '{ollama.url}'}}\n")
        report = await doctor(path, extra_checks=[phones_home])
    result = check(report, "egress")
    assert result.status is Status.FAIL
    assert f"connect 127.0.0.2:{stranger.port}" in result.message
    assert str(ollama.port) not in result.message  # the provider itself is fine
    assert not report.ok


async def test_a_crashing_check_becomes_a_failed_row(tmp_path: Path) -> None:
    async def broken() -> Sequence[CheckResult]:
        raise RuntimeError("boom")

    report = await run_doctor_async(DoctorOptions(search_dir=tmp_path), extra_checks=[broken])
    result = check(report, "extra")
    assert result.status is Status.FAIL
    assert "RuntimeError: boom" in result.message


async def test_json_shape(tmp_path: Path, ollama: ModelServer) -> None:
    report = await doctor(
        write_project(tmp_path, providers=f"  ollama: {{base_url: '{ollama.url}'}}\n")
    )
    data = json.loads(json.dumps(report.to_json()))
    assert set(data) == {"ok", "checks"}
    assert data["ok"] is report.ok
    for row in data["checks"]:
        assert set(row) == {"name", "status", "message", "fix"}
        assert row["status"] in ("ok", "warn", "fail")


# -- the embedded models -----------------------------------------------------------------------


async def test_local_provider_with_a_bad_model_path_fails(tmp_path: Path) -> None:
    (tmp_path / "broken.gguf").write_bytes(b"not a model")
    providers = "  local: {model_path: broken.gguf}\n"
    agents = "  - {id: a, provider: local}\n"
    report = await doctor(write_project(tmp_path, agents=agents, providers=providers))
    result = check(report, "provider:local")
    assert result.status is Status.FAIL
    assert "not a GGUF model file" in result.message


@pytest.mark.skipif(
    os.environ.get("AXO_SKIP_DEEP") == "1", reason="AXO_SKIP_DEEP=1 skips model loading"
)
async def test_deep_runs_the_engines(tmp_path: Path) -> None:
    import importlib.util

    report = await run_doctor_async(DoctorOptions(search_dir=tmp_path, deep=True))
    for name in ("deep:embedder", "deep:wasmtime", "deep:chromadb"):
        assert check(report, name).status is Status.OK, check(report, name)
    model = check(report, "deep:embedded_model")
    if importlib.util.find_spec("llama_cpp") is None:
        assert model.status is Status.FAIL
    else:
        assert model.status is Status.OK, model
        assert model.message.startswith("answered ")
    # Loading chromadb, llama.cpp and the embedder contacted nothing.
    assert check(report, "egress").message == "no network connections were made"


def test_egress_sees_the_checks_connections_when_the_process_runs_uvloop(
    tmp_path: Path, ollama: ModelServer
) -> None:
    # uvloop opens its sockets in C, out of sight of the audit hook: the doctor must still
    # see where its checks connected, whether it is awaited on such a loop or run with
    # uvloop's policy installed.
    uvloop = pytest.importorskip("uvloop")
    path = write_project(
        tmp_path, providers=f"  ollama: {{base_url: 'http://localhost:{ollama.port}'}}\n"
    )
    options = DoctorOptions(config=path, search_dir=tmp_path, network_timeout=1.5)

    async def awaited() -> DoctorReport:
        assert not isinstance(asyncio.get_running_loop(), asyncio.BaseEventLoop)
        return await run_doctor_async(options)

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        on_uvloop = runner.run(awaited())
    policy = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        with_uvloop_policy = run_doctor(options)
    finally:
        asyncio.set_event_loop_policy(policy)
    for report in (on_uvloop, with_uvloop_policy):
        assert check(report, "provider:ollama").status is Status.OK
        assert f"localhost:{ollama.port}" in check(report, "egress").message
