"""Auth and exposure: open on loopback with no token; anywhere else only with one; a bearer
token checked on every route but /health; no CORS unless origins are listed; the loopback
API answers only to localhost names."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from axo_tui.core.config import load_config
from axo_tui.core.config.schema import ServerConfig
from axo_tui.serve.http.host import ServeError, ServeSettings
from tests.support.served_project import served, write_scripted

TOKEN = "s3cret-token-of-some-length"


def test_loopback_with_no_token_is_open(tmp_path: Path) -> None:
    settings = ServeSettings.resolve(ServerConfig(), environ={})
    assert settings.loopback and settings.tokens == ()
    with served(write_scripted(tmp_path), settings) as url:
        assert httpx.get(f"{url}/api/agents").status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.org"])
def test_another_address_without_a_token_refuses_to_start(host: str) -> None:
    with pytest.raises(ServeError) as refused:
        ServeSettings.resolve(ServerConfig(), host=host, environ={})
    message = str(refused.value)
    assert host in message and "AXO_API_TOKEN" in message and "server: {token:" in message


def test_the_token_comes_from_the_environment_or_the_config(tmp_path: Path) -> None:
    from_env = ServeSettings.resolve(
        ServerConfig(), host="0.0.0.0", environ={"AXO_API_TOKEN": TOKEN}
    )
    assert from_env.accepts(TOKEN) and not from_env.accepts(TOKEN + "x")
    project = write_scripted(
        tmp_path,
        "server:\n  host: 0.0.0.0\n  token: ${MY_TOKEN}\nagents:\n  - id: a\n    provider: scripted\n",
    )
    (tmp_path / ".env").write_text(f"MY_TOKEN={TOKEN}\n", encoding="utf-8")
    config = load_config(project)
    assert config.server.declared
    from_config = ServeSettings.resolve(config.server, environ={})
    assert from_config.host == "0.0.0.0" and from_config.accepts(TOKEN)


def test_a_wrong_or_missing_token_is_401_and_the_right_one_passes(tmp_path: Path) -> None:
    settings = ServeSettings(port=0, tokens=(TOKEN,))
    with served(write_scripted(tmp_path), settings) as url:
        missing = httpx.get(f"{url}/api/runs")
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        assert missing.json()["error"]["code"] == "unauthorized"
        wrong = httpx.get(f"{url}/api/runs", headers={"Authorization": f"Bearer {TOKEN}x"})
        assert wrong.status_code == 401 and "wrong" in wrong.json()["error"]["message"]
        basic = httpx.get(f"{url}/api/runs", headers={"Authorization": f"Basic {TOKEN}"})
        assert basic.status_code == 401
        right = httpx.get(f"{url}/api/runs", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        # A run cannot be started without it either, and /health stays open for probes.
        post = httpx.post(f"{url}/api/agents/planner/execute", json={"input": "x"})
        assert post.status_code == 401
        assert httpx.get(f"{url}/health").status_code == 200
        schema = httpx.get(
            f"{url}/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"}
        ).json()
        assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        assert schema["paths"]["/api/runs"]["get"]["security"] == [{"bearer": []}]


def test_a_foreign_host_name_is_refused_on_loopback(tmp_path: Path) -> None:
    with served(write_scripted(tmp_path)) as url:
        rebound = httpx.get(f"{url}/api/agents", headers={"Host": "attacker.example:8080"})
        assert rebound.status_code == 421
        local = httpx.get(f"{url}/api/agents", headers={"Host": "localhost:8080"})
        assert local.status_code == 200


def test_cors_is_off_unless_origins_are_listed(tmp_path: Path) -> None:
    origin = {"Origin": "http://localhost:3000"}
    with served(write_scripted(tmp_path / "off")) as url:
        assert (
            "access-control-allow-origin"
            not in httpx.get(f"{url}/api/agents", headers=origin).headers
        )
    settings = ServeSettings(port=0, tokens=(TOKEN,), cors_origins=("http://localhost:3000",))
    with served(write_scripted(tmp_path / "on"), settings) as url:
        preflight = httpx.options(
            f"{url}/api/runs",
            headers={
                **origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.status_code == 200  # before the token check: browsers send none
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
        other = httpx.get(
            f"{url}/api/runs",
            headers={"Origin": "http://evil.example", "Authorization": f"Bearer {TOKEN}"},
        )
        assert "access-control-allow-origin" not in other.headers


def test_an_unset_token_variable_warns_and_keeps_the_server_on_loopback(tmp_path: Path) -> None:
    project = write_scripted(
        tmp_path,
        "server:\n  token: ${AXO_TEST_UNSET_TOKEN}\nagents:\n  - id: a\n    provider: scripted\n",
    )
    config = load_config(project)  # the project still runs: the token is only missing
    assert [w.code for w in config.warnings] == ["unset-variable"]
    assert ServeSettings.resolve(config.server, environ={}).tokens == ()
    with pytest.raises(ServeError):
        ServeSettings.resolve(config.server, host="0.0.0.0", environ={})
