"""`${VAR}` / `${VAR:-default}` substitution, the .env file, and the api_key exception."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, KeysView, MutableMapping
from pathlib import Path

import pytest

from axo_tui.core.config import Config, Problem, load_config
from tests.support.config_files import codes, only, write


def test_variable_and_default(load: Callable[..., Config]) -> None:
    config = load(
        """
        agents:
          - id: a
            model: ${MODEL}
            system_prompt: "Hi ${WHO:-there}, I am ${MODEL}."
        """,
        environ={"MODEL": "llama3.2"},
    )
    agent = config.agent("a")
    assert agent.model == "llama3.2"
    assert agent.system_prompt == "Hi there, I am llama3.2."


def test_empty_value_takes_the_default(load: Callable[..., Config]) -> None:
    config = load("agents:\n  - id: a\n    model: ${M:-fallback}\n", environ={"M": ""})
    assert config.agent("a").model == "fallback"


def test_plain_substitution_is_retyped(load: Callable[..., Config]) -> None:
    config = load(
        "server:\n  port: ${PORT:-8181}\nconsolidation:\n  enabled: ${CONSOLIDATE}\n",
        environ={"CONSOLIDATE": "false"},
    )
    assert config.server.port == 8181
    assert config.consolidation.enabled is False


def test_quoted_substitution_stays_text(problems: Callable[..., list[Problem]]) -> None:
    problem = only(problems('server:\n  port: "${PORT:-8181}"\n'), "wrong-type")
    assert problem.message == '`port` in `server` must be a whole number, found the text "8181"'
    assert "remove the quotes" in problem.hint


def test_unset_variable_is_an_error_with_line(problems: Callable[..., list[Problem]]) -> None:
    found = problems(
        """
        agents:
          - id: a
            model: ${MODEL_NAME}
        """
    )
    problem = only(found, "undefined-variable")
    assert (problem.line, problem.column) == (3, 12)
    assert problem.message == "environment variable `MODEL_NAME` is not set"
    assert "export MODEL_NAME=..." in problem.hint
    assert ".env" in problem.hint
    assert "${MODEL_NAME:-value}" in problem.hint


def test_unset_api_key_is_a_warning(load: Callable[..., Config]) -> None:
    config = load(
        """
        providers:
          cloud:
            kind: openai
            api_key: ${OPENAI_API_KEY}
        """
    )
    assert config.provider("cloud").api_key == ""
    warning = only(list(config.warnings), "unset-variable")
    assert warning.severity == "warning"
    assert warning.line == 4
    assert "`OPENAI_API_KEY` is not set" in warning.message


def test_dotenv_beside_the_config(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MODEL=from-dotenv\nKEY=dotenv-key\n", encoding="utf-8")
    path = write(
        tmp_path,
        """
        agents:
          - id: a
            model: ${MODEL}
        providers:
          cloud: {kind: openai, api_key: "${KEY}"}
        """,
    )
    config = load_config(path, environ={"KEY": "process-key"})
    assert config.agent("a").model == "from-dotenv"
    # The process environment wins over the file.
    assert config.provider("cloud").api_key == "process-key"
    assert config.warnings == ()


def test_unreadable_dotenv_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"A=\xff\xfe\n")
    config = load_config(write(tmp_path, "agents: []\n"), environ={})
    assert codes(list(config.warnings)) == ["bad-env-file"]


def test_escape_writes_a_literal(load: Callable[..., Config]) -> None:
    config = load("agents:\n  - id: a\n    system_prompt: 'use $${name} in JS'\n")
    assert config.agent("a").system_prompt == "use ${name} in JS"


def test_malformed_reference(problems: Callable[..., list[Problem]]) -> None:
    problem = only(problems("agents:\n  - id: a\n    model: ${not valid}\n"), "bad-substitution")
    assert problem.line == 3
    assert "`${not valid}`" in problem.message
    assert "$${" in problem.hint


def test_substitution_cannot_inject_yaml(load: Callable[..., Config]) -> None:
    config = load("agents:\n  - id: a\n    model: ${M}\n", environ={"M": "x\nrole: coordinator"})
    assert config.agent("a").model == "x\nrole: coordinator"
    assert config.agent("a").role.value == "autonomous"


def test_every_unset_variable_is_reported(problems: Callable[..., list[Problem]]) -> None:
    found = problems("agents:\n  - id: a\n    model: ${A}-${B}\n    name: ${C}\n")
    assert [p.message.split("`")[1] for p in found] == ["A", "B", "C"]


def test_plain_value_expanding_to_nothing_is_unset(load: Callable[..., Config]) -> None:
    config = load("server:\n  port: ${PORT}\n", environ={"PORT": ""})
    assert config.server.port == 8080


def test_dotenv_expansion_matches_python_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dotenv import dotenv_values

    from axo_tui.core.config.envsubst import read_env_file

    monkeypatch.setenv("FROM_PROCESS", "ada")
    monkeypatch.setenv("HOST", "process-host")
    env_file = tmp_path / ".env"
    env_file.write_text(
        "HOST=example\n"
        "URL=http://${HOST}:${PORT:-80}/x\n"
        "WHO=${FROM_PROCESS} ${MISSING}\n"
        "BARE\n"
        "USES_BARE=[${BARE:-default}]\n"
        "QUOTED='${HOST}'\n"
        'DOUBLE="a ${URL} b"\n'
        "export LATER=${NEXT}\n"
        "NEXT=too late\n",
        encoding="utf-8",
    )
    expected = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    assert read_env_file(env_file, os.environ) == expected
    assert expected["URL"] == "http://example:80/x"  # the file's own HOST comes first


def test_a_long_dotenv_copies_the_environment_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """python-dotenv's expansion copied the whole environment once per line: 6 s for 20,000."""
    from axo_tui.core.config.envsubst import load_environment

    class CountingEnviron(MutableMapping[str, str]):
        """os.environ, counting how often something copies it whole."""

        copies = 0

        def __init__(self, real: MutableMapping[str, str]) -> None:
            self._real = real

        def __getitem__(self, key: str) -> str:
            return self._real[key]

        def __setitem__(self, key: str, value: str) -> None:
            self._real[key] = value

        def __delitem__(self, key: str) -> None:
            del self._real[key]

        def __iter__(self) -> Iterator[str]:
            return iter(self._real)

        def __len__(self) -> int:
            return len(self._real)

        def keys(self) -> KeysView[str]:
            CountingEnviron.copies += 1
            return self._real.keys()

    monkeypatch.setenv("HOME", "/home/ada")
    monkeypatch.setattr(os, "environ", CountingEnviron(os.environ))
    (tmp_path / ".env").write_text(
        "".join(f"KEY_{i}=value ${{HOME}} {i}\n" for i in range(2000)), encoding="utf-8"
    )
    environment = load_environment(tmp_path / "axo.yaml", None)
    assert environment.values["KEY_1999"] == "value /home/ada 1999"
    assert CountingEnviron.copies <= 1
