"""What a second terminal needs: `axo events --follow` before anything ran, the read-only
commands while axo.yaml is being fixed, and pipes into `head` that end quietly."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.cli import Invoke, RunAxo, axo_command, clean_env

VALID = "agents:\n  - id: a\n    provider: scripted\n"
BROKEN = "agents:\n  - id: a\n    provider: scripted\n    tools: [web_search]\n"


def test_events_follow_in_a_fresh_project_waits_for_the_first_run(
    tmp_path: Path, run_axo: RunAxo
) -> None:
    (tmp_path / "axo.yaml").write_text(VALID, encoding="utf-8")
    with subprocess.Popen(  # `with` closes the pipes too
        [*axo_command(), "events", "--follow", "--json"],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as follower:
        try:
            assert follower.stderr is not None and follower.stdout is not None
            assert "waiting for the first" in follower.stderr.readline()
            assert follower.poll() is None  # still there, not "no runs recorded yet"
            done = run_axo("run", "a", "-i", "hello", cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            kinds = []
            for line in follower.stdout:
                kinds.append(json.loads(line)["kind"])
                if kinds[-1] == "run.completed":
                    break
            assert kinds[0] == "run.started" and "agent.completed" in kinds
        finally:
            follower.terminate()
            follower.wait(10)


def test_read_only_commands_work_while_the_config_is_invalid(
    tmp_path: Path, invoke: Invoke
) -> None:
    config = tmp_path / "axo.yaml"
    config.write_text(f"data_dir: state\n{VALID}", encoding="utf-8")
    ran = invoke("--config", str(config), "run", "a", "-i", "hello", "--json")
    assert ran.exit_code == 0, ran.output
    run_id = json.loads(ran.stdout)["run_id"]
    config.write_text(f"data_dir: state\n{BROKEN}", encoding="utf-8")

    for args in (
        ("runs", "list", "--json"),
        ("runs", "show", run_id, "--json"),
        ("events", "--json"),
        ("tokens", "report", "--json"),
    ):
        result = invoke("--config", str(config), *args)
        assert result.exit_code == 0, (args, result.output)
        assert run_id in result.stdout or args[0] == "tokens"
        warning = result.stderr.strip().splitlines()
        assert len(warning) == 1, result.stderr
        assert warning[0].startswith(f"warning: {config} has 1 error (`axo validate` lists")
        assert warning[0].endswith(f"reading the state in {tmp_path / 'state'} anyway")
    assert json.loads(invoke("--config", str(config), "tokens", "report", "--json").stdout)[
        "total"
    ]["total_tokens"]

    # A command that needs the agents still says what is wrong, and fails.
    refused = invoke("--config", str(config), "workflow", "list")
    assert refused.exit_code == 1 and "web_search" in refused.stderr


def test_a_missing_config_is_still_an_error_for_read_only_commands(
    tmp_path: Path, invoke: Invoke
) -> None:
    result = invoke("--config", str(tmp_path), "runs", "list")
    assert result.exit_code == 1 and "no config file here" in result.stderr


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    workflows = "".join(f"  - id: w{i}\n    agents: [a]\n" for i in range(50))
    (tmp_path / "axo.yaml").write_text(f"{VALID}workflows:\n{workflows}", encoding="utf-8")
    for args in (("workflow", "list"), ("workflow", "list", "--json")):
        # The reader is gone before axo writes a byte, as when `head` has read its lines.
        with subprocess.Popen(
            [*axo_command(), *args],
            cwd=tmp_path,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            assert process.stdout is not None and process.stderr is not None
            process.stdout.close()
            stderr = process.stderr.read()
            assert process.wait(60) == 141, stderr
            assert stderr == "", args
