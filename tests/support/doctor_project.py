"""The doctor tests' project: an axo.yaml around given providers, and a fake Ollama to check."""

from __future__ import annotations

from pathlib import Path

from tests.support.dialects import ollama_tags
from tests.support.model_server import ModelServer, Reply, closed_port

SECRET = "sk-ant-doctor-test-9f8e7d6c5b4a"


def fake_ollama(*models: str) -> ModelServer:
    """A model server listing `models` at `/api/tags` (not started)."""
    return ModelServer(answers={"/api/tags": Reply.json(ollama_tags(*models))})


def write_project(
    directory: Path,
    *,
    providers: str,
    agents: str = "  - {id: writer, provider: ollama, model: llama3.2}\n",
    server_port: int | None = None,
) -> Path:
    """An axo.yaml with the given `agents:` items and `providers:` body (YAML text)."""
    directory.mkdir(parents=True, exist_ok=True)
    port = server_port if server_port is not None else closed_port()
    text = f"agents:\n{agents}providers:\n{providers}server:\n  port: {port}\n"
    path = directory / "axo.yaml"
    path.write_text(text)
    return path
