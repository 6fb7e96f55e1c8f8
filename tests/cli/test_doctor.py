"""`axo doctor` as a user runs it: in-process (CliRunner) and as a real `axo` subprocess."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from axo_tui.core import doctor as doctor_package
from axo_tui.core.doctor import CheckResult, DoctorOptions, DoctorReport
from axo_tui.core.doctor.model import ok
from tests.support.cli import Invoke, RunAxo
from tests.support.dialects import ollama_tags
from tests.support.doctor_project import SECRET, fake_ollama, write_project
from tests.support.model_server import ModelServer, Reply, closed_port


@pytest.fixture
def ollama() -> Iterator[ModelServer]:
    with fake_ollama("llama3.2:latest") as fake:
        yield fake


@pytest.fixture
def project(tmp_path: Path, ollama: ModelServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose one agent uses the fake Ollama; the test runs from its directory."""
    path = write_project(tmp_path / "proj", providers=f"  ollama: {{base_url: '{ollama.url}'}}\n")
    monkeypatch.chdir(path.parent)
    return path.parent


def rows(text: str) -> dict[str, str]:
    """`{"provider:ollama": "ok", ...}` from the text report."""
    found = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("ok", "warn", "fail"):
            found[parts[1]] = parts[0]
    return found


def test_a_healthy_project_exits_0(invoke: Invoke, project: Path) -> None:
    result = invoke("doctor")
    assert result.exit_code == 0, result.output
    status = rows(result.stdout)
    for name in ("python", "packages", "config", "data_dir", "embedder", "provider:ollama"):
        assert status[name] == "ok", result.stdout
    assert status["egress"] == "ok"
    assert "axo doctor: ready" in result.stdout
    assert "Traceback" not in result.output


def test_json_shape_and_exit_codes(invoke: Invoke, project: Path, ollama: ModelServer) -> None:
    result = invoke("doctor", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)  # stdout holds the JSON and nothing else
    assert set(data) == {"ok", "checks"}
    assert data["ok"] is True
    for row in data["checks"]:
        assert set(row) == {"name", "status", "message", "fix"}
        assert row["status"] in ("ok", "warn", "fail")
        assert isinstance(row["message"], str)
    ollama.answer("/api/tags", Reply.json(ollama_tags("mistral:latest")))
    result = invoke("doctor", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    failed = {row["name"]: row for row in data["checks"] if row["status"] == "fail"}
    assert set(failed) == {"provider:ollama"}
    assert failed["provider:ollama"]["fix"] == "ollama pull llama3.2"


def test_an_unreachable_provider_fails_with_its_fix(invoke: Invoke, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    path = write_project(tmp_path, providers=f"  ollama: {{base_url: '{url}'}}\n")
    result = invoke("--config", str(path), "doctor")
    assert result.exit_code == 1
    assert f"cannot connect to {url}/api/tags: connection refused" in result.stdout
    assert "fix: start Ollama (`ollama serve`)" in result.stdout
    assert "axo doctor: not ready" in result.stdout


def test_an_invalid_config_is_reported_as_validate_does(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "axo.yaml").write_text("agents:\n  - id: writer\n    temperture: 0.3\n")
    monkeypatch.chdir(tmp_path)
    validate = invoke("validate")
    result = invoke("doctor")
    assert result.exit_code == 1
    status = rows(result.stdout)
    assert status["config"] == "fail"
    # Whether the project needs the embedded model is unknown: not a second failure.
    assert [name for name, value in status.items() if value == "fail"] == ["config"]
    # The very lines `axo validate` prints, file:line:col first.
    problem_lines = [
        line
        for line in validate.stderr.splitlines()
        if line.startswith("axo.yaml:3:") or line.strip().startswith("hint:")
    ]
    assert problem_lines and problem_lines[0].startswith("axo.yaml:3:5: error:")
    for line in problem_lines:
        assert line in result.stderr


def test_a_missing_key_fails_and_a_present_key_is_never_printed(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    echo = {"error": {"type": "authentication_error", "message": f"invalid key {SECRET}"}}
    with ModelServer(answers={"/v1/models": Reply.json(echo, 401)}) as server:
        providers = (
            f"  anthropic: {{base_url: '{server.url}', api_key: '${{ANTHROPIC_API_KEY}}'}}\n"
        )
        agents = "  - {id: critic, provider: anthropic, model: claude-sonnet-4-5}\n"
        path = write_project(tmp_path, agents=agents, providers=providers)
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
        missing = invoke("doctor")
        assert missing.exit_code == 1
        assert rows(missing.stdout)["api_key:anthropic"] == "fail"
        assert "no API key" in missing.stdout
        assert server.requests == []
        monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
        for args in (["doctor"], ["doctor", "--json"]):
            result = invoke(*args)
            assert result.exit_code == 1  # the (fake) server rejects the key
            assert SECRET not in result.output
        assert "from environment variable ANTHROPIC_API_KEY" in invoke("doctor").stdout
        assert server.requests  # it was sent, just never shown
    assert path.exists()


def test_a_world_readable_data_dir_warns_but_passes(invoke: Invoke, project: Path) -> None:
    state = project / ".axo"
    state.mkdir()
    state.chmod(0o755)
    result = invoke("doctor")
    assert result.exit_code == 0
    assert rows(result.stdout)["data_dir"] == "warn"
    assert "fix: chmod 700 .axo" in result.stdout


def test_a_busy_port_warns(invoke: Invoke, tmp_path: Path, ollama: ModelServer) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        path = write_project(
            tmp_path, providers=f"  ollama: {{base_url: '{ollama.url}'}}\n", server_port=port
        )
        result = invoke("--config", str(path), "doctor")
    assert result.exit_code == 0
    assert rows(result.stdout)["server_port"] == "warn"
    assert f"127.0.0.1:{port} is already in use" in result.stdout


def test_egress_failure_when_a_check_phones_home(
    invoke: Invoke, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ModelServer(host="127.0.0.2") as stranger:

        async def phones_home() -> Sequence[CheckResult]:
            with socket.create_connection(("127.0.0.2", stranger.port), timeout=1):
                pass
            return [ok("telemetry", "sent nothing, promise")]

        real = doctor_package.run_doctor

        def with_extra(options: DoctorOptions, **kwargs: Any) -> DoctorReport:
            return real(options, extra_checks=[phones_home])

        # The command imports run_doctor from the package when it runs.
        monkeypatch.setattr(doctor_package, "run_doctor", with_extra)
        result = invoke("doctor", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    egress = next(row for row in data["checks"] if row["name"] == "egress")
    assert egress["status"] == "fail"
    assert f"connect 127.0.0.2:{stranger.port}" in egress["message"]


def test_the_real_command(run_axo: RunAxo, tmp_path: Path, ollama: ModelServer) -> None:
    path = write_project(tmp_path / "good", providers=f"  ollama: {{base_url: '{ollama.url}'}}\n")
    result = run_axo("doctor", cwd=path.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert rows(result.stdout)["provider:ollama"] == "ok"
    assert f"connected only to configured providers (127.0.0.1:{ollama.port})" in result.stdout

    dead = f"http://127.0.0.1:{closed_port()}"
    path = write_project(tmp_path / "bad", providers=f"  ollama: {{base_url: '{dead}'}}\n")
    result = run_axo("doctor", "--json", cwd=path.parent)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    row = next(row for row in data["checks"] if row["name"] == "provider:ollama")
    assert row["status"] == "fail"
    assert "connection refused" in row["message"]
    assert "Traceback" not in result.stderr


def test_help_lists_doctor(invoke: Invoke) -> None:
    result = invoke("--help")
    assert "doctor" in result.stdout
    result = invoke("doctor", "--help")
    assert "--deep" in result.stdout and "--json" in result.stdout
