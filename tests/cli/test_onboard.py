"""`axo onboard`: detection, every provider choice, questions over stdin, no secrets written.

Ollama and the OpenAI-compatible endpoint are the fake model server on 127.0.0.1 (on its own
thread, so it answers in-process runs and `axo` subprocesses); nothing here leaves the machine.
The embedded model is only validated, never run.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from axo_tui.cli.app import app
from axo_tui.core.config import load_config
from axo_tui.core.setup import onboarding
from tests.support.cli import Invoke, axo_command, clean_env
from tests.support.dialects import ollama_chat, ollama_show, ollama_tags, openai_models
from tests.support.model_server import Answer, ModelServer, Received, Reply, closed_port

SECRET = "sk-onboard-test-7f3a9c1e5b2d4680"
KEY_VARIABLES = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OPENROUTER_API_KEY",
    "MISTRAL_API_KEY",
)


def fake_models(models: tuple[str, ...] = ("llama3.2:latest", "qwen2.5:0.5b")) -> ModelServer:
    """Ollama's `/api/tags`, `/api/show` and streamed `/api/chat`, and OpenAI's `/v1/models`.

    Each chat reply names the model it was asked for, so a test can tell which model the
    generated config really used.
    """

    def chat(request: Received) -> Reply:
        model = request.json()["model"]
        return ollama_chat(model, ["Reply ", "from ", model, "."], prompt=12, completion=4)

    answers: dict[str, Answer] = {
        "/api/tags": Reply.json(ollama_tags(*models)),
        "/v1/models": Reply.json(openai_models(*models)),
        "/api/show": Reply.json(ollama_show("llama", 8192)),
        "/api/chat": chat,
    }
    return ModelServer(answers=answers)


@pytest.fixture(autouse=True)
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No keys, and an Ollama address nothing listens on, unless a test says otherwise: what
    the developer's machine happens to have must not change what is offered."""
    for variable in KEY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{closed_port()}")


@pytest.fixture
def ollama(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    with fake_models() as fake:
        # The form `ollama serve` users write: host:port, no scheme.
        monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{fake.port}")
        yield fake


def project_text(directory: Path) -> str:
    """Every file of the project (recursively, state included), for secret hunting."""
    return "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in directory.rglob("*") if p.is_file()
    )


def providers_section(config_file: Path) -> dict[str, Any]:
    import yaml

    document = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    section: dict[str, Any] = document["providers"]
    return section


def answer(*lines: str) -> str:
    return "".join(f"{line}\n" for line in lines)


def run_interactive(text: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["onboard", *args], input=text, prog_name="axo")


# -- non-interactive, one per provider ---------------------------------------------------------


def test_local_provider_writes_a_valid_project(invoke: Invoke, in_tmp: Path) -> None:
    result = invoke("onboard", "--yes", "--name", "demo", "--provider", "local")
    assert result.exit_code == 0, result.output
    project = in_tmp / "demo"
    config = load_config(project / "axo.yaml")
    assert config.name == "demo"
    assert [agent.provider for agent in config.agents] == ["local", "local"]
    assert config.warnings == ()
    # The templates ship on the embedded model: the file is the template, untouched.
    assert "# Set up by `axo onboard`" not in (project / "axo.yaml").read_text(encoding="utf-8")
    # Nothing to configure for the embedded model: no new providers entry, no variables.
    assert set(providers_section(project / "axo.yaml")) == {"scripted"}
    env_lines = (project / ".env.example").read_text(encoding="utf-8").splitlines()
    assert [line for line in env_lines if line and not line.startswith("#")] == []
    # The doctor ran on the new project, and the next steps lead into it.
    assert "axo doctor: " in result.stdout
    assert "cd demo" in result.stdout
    assert "axo dev" in result.stdout
    assert invoke("validate", str(project)).exit_code == 0


def test_ollama_provider_uses_the_server_and_the_workflow_runs(
    invoke: Invoke, in_tmp: Path, ollama: ModelServer
) -> None:
    result = invoke(
        "onboard", "--yes", "--name", "team", "--provider", "ollama", "--model", "qwen2.5:0.5b"
    )
    assert result.exit_code == 0, result.output
    assert "running" in result.stdout and "2 model(s)" in result.stdout
    config_file = in_tmp / "team" / "axo.yaml"
    assert providers_section(config_file)["ollama"] == {
        "base_url": ollama.url,
        "model": "qwen2.5:0.5b",
    }
    config = load_config(config_file)
    assert {agent.provider for agent in config.agents} == {"ollama"}
    # Detection and then the doctor each listed the models; the doctor found this one.
    assert [r.path for r in ollama.requests].count("/api/tags") == 2
    assert "0 fail" in result.stdout

    run = invoke("-c", str(config_file), "workflow", "run", "hello", "-i", "Hi there")
    assert run.exit_code == 0, run.output
    assert "Reply from qwen2.5:0.5b." in run.stdout
    chats = [r.json() for r in ollama.received("/api/chat")]
    assert [body["model"] for body in chats] == ["qwen2.5:0.5b", "qwen2.5:0.5b"]


def test_ollama_without_a_model_takes_the_first_one_listed(
    invoke: Invoke, in_tmp: Path, ollama: ModelServer
) -> None:
    result = invoke("onboard", "--yes", "--provider", "ollama", "--no-doctor")
    assert result.exit_code == 0, result.output
    assert providers_section(in_tmp / "my-agents" / "axo.yaml")["ollama"]["model"] == (
        "llama3.2:latest"
    )


def test_ollama_that_is_not_running_is_a_clear_error(invoke: Invoke, in_tmp: Path) -> None:
    result = invoke("onboard", "--yes", "--provider", "ollama")
    assert result.exit_code == 1
    assert "no Ollama model to use: not running" in result.stderr
    assert "ollama pull" in result.stderr
    assert "Traceback" not in result.output
    assert not (in_tmp / "my-agents").exists()


def test_openai_key_is_referenced_never_written(
    invoke: Invoke, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with fake_models(("gpt-4o-mini",)) as server:
        result = invoke(
            "onboard", "--yes", "-n", "cloud", "-p", "openai", "--base-url", f"{server.url}/v1"
        )
        assert result.exit_code == 0, result.output
    project = in_tmp / "cloud"
    config_text = (project / "axo.yaml").read_text(encoding="utf-8")
    assert "api_key: ${OPENAI_API_KEY}" in config_text
    assert providers_section(project / "axo.yaml")["openai"]["model"] == "gpt-4o-mini"
    assert "OPENAI_API_KEY=\n" in (project / ".env.example").read_text(encoding="utf-8")
    # The reference works (the doctor's request carried the key) ...
    auth = [r.headers.get("authorization") for r in server.requests]
    assert auth == [f"Bearer {SECRET}"]
    assert load_config(project / "axo.yaml").providers[0].api_key == SECRET
    # ... but the key itself is nowhere: not in a file, not on the terminal.
    assert SECRET not in project_text(project)
    assert SECRET not in result.output
    assert "OPENAI_API_KEY (openai)" in result.stdout  # only the variable's name is shown


def test_openai_default_endpoint_without_doctor(
    invoke: Invoke, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    # --no-doctor: the doctor would contact api.openai.com, and tests stay offline.
    result = invoke(
        "onboard", "-y", "-n", "cloud", "-p", "openai", "-m", "gpt-4.1-mini", "--no-doctor"
    )
    assert result.exit_code == 0, result.output
    section = providers_section(in_tmp / "cloud" / "axo.yaml")
    assert section["openai"] == {"api_key": "${OPENAI_API_KEY}", "model": "gpt-4.1-mini"}
    assert SECRET not in project_text(in_tmp / "cloud") + result.output


def test_hosted_provider_without_a_key_still_references_it(invoke: Invoke, in_tmp: Path) -> None:
    result = invoke("onboard", "-y", "-p", "mistral", "--no-doctor")
    assert result.exit_code == 0, result.output
    section = providers_section(in_tmp / "my-agents" / "axo.yaml")["mistral"]
    assert section == {
        "kind": "openai",
        "base_url": "https://api.mistral.ai/v1",
        "api_key": "${MISTRAL_API_KEY}",
        "model": "mistral-small-latest",
    }
    assert "MISTRAL_API_KEY is not set" in result.stderr
    assert "cp .env.example .env" in result.stdout


def test_scripted_keeps_the_template_and_runs(invoke: Invoke, in_tmp: Path) -> None:
    result = invoke("onboard", "-y", "-n", "demo", "-t", "research", "-p", "scripted")
    assert result.exit_code == 0, result.output
    config_file = in_tmp / "demo" / "axo.yaml"
    assert "# Set up by `axo onboard`: every agent uses the `scripted`" in config_file.read_text(
        encoding="utf-8"
    )
    run = invoke("-c", str(config_file), "workflow", "run", "research", "-i", "tides")
    assert run.exit_code == 0, run.output
    assert "Final answer" in run.stdout


@pytest.mark.parametrize("template", ["hello", "research", "assistant"])
def test_every_template_switches_every_agent(invoke: Invoke, in_tmp: Path, template: str) -> None:
    result = invoke("onboard", "-y", "-t", template, "-p", "local", "--no-doctor")
    assert result.exit_code == 0, result.output
    config = load_config(in_tmp / "my-agents" / "axo.yaml")
    assert config.agents and {agent.provider for agent in config.agents} == {"local"}


# -- questions over stdin ----------------------------------------------------------------------


def test_interactive_run_through_piped_stdin(tmp_path: Path, ollama: ModelServer) -> None:
    # The real `axo` script, stdin a pipe: name, directory, template 3 (research), provider
    # by name, model 2 of the menu, then yes.
    answers = answer("Lab notes", "lab", "3", "ollama", "2", "y")
    completed = subprocess.run(
        [*axo_command(), "onboard"],
        input=answers,
        cwd=tmp_path,
        env=clean_env(OLLAMA_HOST=f"127.0.0.1:{ollama.port}"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Ollama model:" in completed.stdout
    config = load_config(tmp_path / "lab" / "axo.yaml")
    assert config.name == "Lab notes"
    assert len(config.agents) == 5 and {a.provider for a in config.agents} == {"ollama"}
    assert providers_section(config.path)["ollama"]["model"] == "qwen2.5:0.5b"
    assert "cd lab" in completed.stdout


def test_interactive_asks_again_after_a_taken_directory_and_a_bad_answer(in_tmp: Path) -> None:
    taken = in_tmp / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine\n", encoding="utf-8")
    # Only the embedded model and the scripted demo are on offer here (no Ollama, no keys).
    answers = answer("proj", "taken", "fresh", "9", "hello", "", "y")
    result = run_interactive(answers)
    assert result.exit_code == 0, result.output
    assert "taken already exists and is not empty" in result.stderr
    assert "`9` is not one of the choices" in result.stderr
    assert "1) local" in result.stdout and "2) scripted" in result.stdout
    assert "openai" not in result.stdout.split("Provider:")[1].split("Choose")[0]
    assert sorted(p.name for p in taken.iterdir()) == ["notes.txt"]
    config = load_config(in_tmp / "fresh" / "axo.yaml")
    assert config.name == "proj"
    assert {agent.provider for agent in config.agents} == {"local"}


def test_detected_key_is_offered_and_the_model_asked(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    answers = answer("", "", "", "anthropic", "claude-sonnet-4-0", "y")
    result = run_interactive(answers, "--no-doctor")
    assert result.exit_code == 0, result.output
    assert "anthropic" in result.stdout.split("Provider:")[1].split("Choose")[0]
    section = providers_section(in_tmp / "my-agents" / "axo.yaml")["anthropic"]
    assert section == {"api_key": "${ANTHROPIC_API_KEY}", "model": "claude-sonnet-4-0"}
    assert SECRET not in result.output + project_text(in_tmp / "my-agents")


def test_a_provider_not_on_the_menu_can_be_typed(in_tmp: Path) -> None:
    # No key is set, so OpenAI is not listed; typed by name it is taken, its key referenced.
    result = run_interactive(answer("", "", "", "openai", "", "y"), "--no-doctor")
    assert result.exit_code == 0, result.output
    assert "openai" not in result.stdout.split("Provider:")[1].split("Choose")[0]
    section = providers_section(in_tmp / "my-agents" / "axo.yaml")["openai"]
    assert section == {"api_key": "${OPENAI_API_KEY}", "model": "gpt-4o-mini"}
    assert "OPENAI_API_KEY is not set" in result.stderr


def test_saying_no_or_closing_stdin_writes_nothing(in_tmp: Path) -> None:
    declined = run_interactive(answer("", "", "", "", "n"))
    assert declined.exit_code == 1
    assert "nothing was written" in declined.stderr
    ran_dry = run_interactive(answer("proj"))
    assert ran_dry.exit_code == 1
    assert "nothing was written" in ran_dry.stderr
    assert "Traceback" not in declined.output + ran_dry.output
    assert list(in_tmp.iterdir()) == []


# -- refusals and bad options ------------------------------------------------------------------


def test_refuses_a_non_empty_directory_without_force(invoke: Invoke, in_tmp: Path) -> None:
    taken = in_tmp / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = invoke("onboard", "--yes", "--dir", "taken", "-p", "local")
    assert result.exit_code == 1
    assert "taken already exists and is not empty" in result.stderr
    assert "--force" in result.stderr
    assert sorted(p.name for p in taken.iterdir()) == ["notes.txt"]

    forced = invoke("onboard", "--yes", "--dir", "taken", "-p", "local", "--force", "--no-doctor")
    assert forced.exit_code == 0, forced.output
    assert (taken / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert load_config(taken / "axo.yaml").name == "taken"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "olama"], "did you mean `ollama`?"),
        (["-t", "helo"], "did you mean `hello`?"),
        (["-p", "local", "-m", "x"], "--model does not apply to the local provider"),
        (["-n", "  "], "--name is empty"),
    ],
)
def test_bad_options_are_clear_errors(
    invoke: Invoke, in_tmp: Path, args: list[str], message: str
) -> None:
    result = invoke("onboard", "--yes", *args)
    assert result.exit_code in (1, 2)
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert list(in_tmp.iterdir()) == []


# -- detection (headless) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("", "http://127.0.0.1:11434"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("127.0.0.1:9999", "http://127.0.0.1:9999"),
        ("box.lan", "http://box.lan:11434"),
        ("http://box.lan", "http://box.lan:80"),
        ("https://ollama.example.com/", "https://ollama.example.com:443"),
        ("[::]:11434", "http://[::1]:11434"),
    ],
)
def test_ollama_host_is_read_like_the_ollama_cli(value: str, url: str) -> None:
    assert onboarding.ollama_base_url({"OLLAMA_HOST": value}) == url


def test_detection_names_keys_and_never_holds_them(ollama: ModelServer) -> None:
    environ = {"GOOGLE_API_KEY": SECRET, "MISTRAL_API_KEY": "  ", "OLLAMA_HOST": ollama.url}
    detection = onboarding.detect(environ)
    assert detection.api_keys == {"gemini": "GOOGLE_API_KEY"}
    assert detection.ollama.reachable
    assert detection.ollama.models == ("llama3.2:latest", "qwen2.5:0.5b")
    assert SECRET not in repr(detection)
    names = [offer.name for offer in onboarding.offers(detection)]
    assert names == ["local", "ollama", "gemini", "scripted"]


def test_detection_of_a_dead_ollama_is_quick_and_says_why() -> None:
    status = onboarding.detect(ollama_url=f"http://127.0.0.1:{closed_port()}", timeout=1.0).ollama
    assert not status.reachable
    assert status.error and "cannot connect" in status.error


def test_a_template_of_wasm_agents_needs_no_provider(invoke: Invoke, in_tmp: Path) -> None:
    # Its agents are WebAssembly modules: whatever provider is chosen, nothing is switched.
    for provider in ("local", "scripted"):
        name = f"pingpong-{provider}"
        result = invoke("onboard", "-y", "-n", name, "-t", "wasm", "-p", provider, "--no-doctor")
        assert result.exit_code == 0, result.output
        config = load_config(in_tmp / name / "axo.yaml")
        assert [a.kind.value for a in config.agents] == ["wasm", "wasm"]
        assert invoke("validate", str(in_tmp / name)).exit_code == 0
