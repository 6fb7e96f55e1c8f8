"""`axo deploy`, `axo undeploy`, `axo send`: on a project at rest (recorded in the data dir,
started by the next runtime) and against a running `axo serve` (through its HTTP API)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.core.wasm import guests
from tests.support.axo_daemon import axo, project, serving

PROJECT = "name: wasm\nagents:\n  - id: helper\n    provider: scripted\n"
PONG = {"performative": "inform", "receiver": "user", "content": "pong"}


def modules(directory: Path) -> tuple[Path, Path]:
    good, bad = directory / "pong.wasm", directory / "sneaky.wasm"
    good.write_bytes(guests.replier(PONG))
    bad.write_bytes(guests.importing("env", "system"))
    return good, bad


def test_deploy_send_undeploy_on_a_project_at_rest(tmp_path: Path) -> None:
    root = project(tmp_path / "p", PROJECT)
    good, bad = modules(tmp_path)
    refused = axo(root, "deploy", str(bad), "--name", "sneaky")
    assert refused.returncode == 1
    assert "unknown imports: env.system" in refused.stderr
    assert "Traceback" not in refused.stderr
    done = axo(root, "deploy", str(good), "--name", "pong", "--timeout", "200", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["replaced"] is False
    answer = axo(root, "send", "pong", "request", "ping", "--json")
    assert answer.returncode == 0, answer.stderr
    exchange = json.loads(answer.stdout)
    assert exchange["reply"]["sender"] == "pong"
    assert exchange["reply"]["content"] == "pong"
    assert exchange["reply"]["in_reply_to"] == exchange["sent"]["reply_with"]
    gone = axo(root, "undeploy", "pong")
    assert gone.returncode == 0 and "pong: undeployed" in gone.stdout
    lost = axo(root, "send", "pong", "request", "ping", "--json")
    assert json.loads(lost.stdout)["reply"]["content"] == {"error": "unknown receiver: pong"}


def test_send_names_a_bad_performative(tmp_path: Path) -> None:
    root = project(tmp_path / "p", PROJECT)
    result = axo(root, "send", "helper", "shout", "hi")
    assert result.returncode == 1
    assert "'shout' is not a FIPA performative" in result.stderr


def test_deploy_goes_through_a_running_serve(tmp_path: Path) -> None:
    root = project(tmp_path / "p", PROJECT)
    good, bad = modules(tmp_path)
    with serving(root):
        done = axo(root, "deploy", str(good), "--name", "pong", "--json")
        assert done.returncode == 0, done.stderr
        answer = axo(root, "send", "pong", "request", "ping", "--json")
        assert json.loads(answer.stdout)["reply"]["content"] == "pong", answer.stderr
        again = axo(root, "deploy", str(good), "--name", "pong", "--json")
        assert json.loads(again.stdout)["replaced"] is True
        refused = axo(root, "deploy", str(bad), "--name", "sneaky")
        assert refused.returncode == 1 and "unknown imports: env.system" in refused.stderr
        assert axo(root, "undeploy", "pong").returncode == 0
        missing = axo(root, "undeploy", "pong")
        assert missing.returncode == 1 and "no deployed WASM agent 'pong'" in missing.stderr


def test_agents_list_shows_wasm_agents(tmp_path: Path) -> None:
    root = project(tmp_path / "p", PROJECT)
    good, _ = modules(tmp_path)
    assert axo(root, "deploy", str(good), "--name", "pong", "--fuel", "5000").returncode == 0
    listed = axo(root, "agents", "list", "--json")
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows["helper"]["kind"] == "llm"
    assert rows["pong"]["kind"] == "wasm" and rows["pong"]["limits"]["fuel"] == 5000
    text = axo(root, "agents", "list").stdout
    assert "pong  (wasm, deployed, sha256" in text
