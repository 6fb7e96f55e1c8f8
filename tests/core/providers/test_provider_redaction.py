"""Credentials in a `base_url` (`user:pass@`, `?api_key=`) never reach an error, the doctor's
report, the config's problems, or anything the runtime writes to disk."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from axo_tui.core.base.redact import redact_secrets
from axo_tui.core.config import ConfigError, load_config
from axo_tui.core.config.schema import AgentConfig, Config, ProviderConfig, ProviderKind
from axo_tui.core.doctor import DoctorOptions, run_doctor_async
from axo_tui.core.providers.base import ChatRequest, Message, ProviderError
from axo_tui.core.providers.openai import OpenAIProvider
from axo_tui.core.runtime.build import build_runtime
from tests.support.model_server import ModelServer, Reply, closed_port
from tests.support.providers import collect

SECRET = "hunter2-s3cret"
HI = ChatRequest(model="m", messages=(Message("user", "hi"),))


def with_userinfo(url: str) -> str:
    return url.replace("http://", f"http://alice:{SECRET}@")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://alice:pw@host:1/v1", "http://[redacted]@host:1/v1"),
        ("at https://k3y@host/x failed", "at https://[redacted]@host/x failed"),
        ("http://a:p@ss@host/", "http://[redacted]@host/"),  # an unescaped @ in the password
        ("https://h/v1?api_key=abc&x=1", "https://h/v1?api_key=[redacted]&x=1"),
        ("https://h/m?alt=sse&key=AIza123", "https://h/m?alt=sse&key=[redacted]"),
        ("https://h/m?token=t#frag", "https://h/m?token=[redacted]#frag"),
        ("mail bob@example.com at http://host/p", "mail bob@example.com at http://host/p"),
        ("http://host/a@b", "http://host/a@b"),  # an @ in the path is not userinfo
    ],
)
def test_redact_secrets(text: str, shown: str) -> None:
    assert redact_secrets(text) == shown


async def test_an_http_error_does_not_show_the_password(server: ModelServer) -> None:
    server.reply("/v1/chat/completions", Reply.json({"error": {"message": "nope"}}, 401))
    cfg = ProviderConfig(name="proxy", kind=ProviderKind.OPENAI, base_url=with_userinfo(server.url))
    provider = OpenAIProvider(cfg)
    with pytest.raises(ProviderError) as caught:
        await collect(provider, HI)
    await provider.aclose()
    assert SECRET not in str(caught.value) and SECRET not in (caught.value.url or "")
    assert "[redacted]@127.0.0.1" in str(caught.value)
    # Only the display changes: the credentials still go to the server, as basic auth.
    sent = server.received("/v1/chat/completions")[0].headers["authorization"]
    assert base64.b64decode(sent.removeprefix("Basic ")).decode() == f"alice:{SECRET}"


async def test_a_refused_connection_does_not_show_the_password() -> None:
    url = with_userinfo(f"http://127.0.0.1:{closed_port()}")
    cfg = ProviderConfig(name="proxy", kind=ProviderKind.OPENAI, base_url=url, model="m")
    provider = OpenAIProvider(cfg)
    with pytest.raises(ProviderError) as caught:
        await collect(provider, HI)
    await provider.aclose()
    assert "cannot connect" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_config_problem_does_not_show_the_password(tmp_path: Path) -> None:
    path = tmp_path / "axo.yaml"
    path.write_text(
        "agents:\n  - {id: a, provider: p, model: m}\n"
        f"providers:\n  p: {{kind: openai, base_url: 'ftp://alice:{SECRET}@host/v1'}}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    shown = "\n".join(problem.render() for problem in caught.value.problems)
    assert "must be an http(s) URL" in shown
    assert SECRET not in shown


async def test_the_doctor_does_not_show_the_password(tmp_path: Path) -> None:
    url = with_userinfo(f"http://127.0.0.1:{closed_port()}")
    path = tmp_path / "axo.yaml"
    path.write_text(
        "agents:\n  - {id: a, provider: ollama, model: llama3.2}\n"
        f"providers:\n  ollama: {{base_url: '{url}?key={SECRET}'}}\n"
    )
    options = DoctorOptions(config=path, search_dir=tmp_path, network_timeout=1.5)
    report = await run_doctor_async(options)
    text = str(report.to_json())
    assert "provider:ollama" in text
    assert SECRET not in text


async def test_nothing_the_runtime_writes_holds_the_password(
    server: ModelServer, tmp_path: Path
) -> None:
    # The server echoes the URL it was called at, credentials and all, as some proxies do.
    echo = {"error": {"message": f"bad gateway for {with_userinfo(server.url)}/v1"}}
    server.reply("/v1/chat/completions", Reply.json(echo, 502))
    provider = ProviderConfig(
        name="proxy",
        kind=ProviderKind.OPENAI,
        base_url=with_userinfo(server.url),
        model="m",
        max_retries=0,
    )
    config = Config(
        path=tmp_path / "axo.yaml",
        agents=(AgentConfig(id="writer", provider="proxy"),),
        providers=(provider,),
    )
    data_dir = tmp_path / ".axo"
    async with build_runtime(config, data_dir=data_dir) as rt:
        result = await rt.run_agent("writer", "hello")
    assert not result.ok
    assert "[redacted]" in str(result.to_dict())
    written = [p for p in data_dir.rglob("*") if p.is_file()]
    assert written, "the runtime wrote nothing: the test proves nothing"
    for file in written:
        assert SECRET.encode() not in file.read_bytes(), file
