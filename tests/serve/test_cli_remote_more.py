"""More of "one process owns a project": `axo runs resume|cancel`, `axo skills fire`,
`axo emit` and `axo memory` go through a running `axo serve` and print what they print
without one; a second `axo serve` (or `axo dev --serve`) on a hosted project is refused
and leaves the running one alone."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer

from axo_tui.cli.dev_cmd import api_companion
from axo_tui.core.config import load_config
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.hosting import start_hosted, stop_hosted
from axo_tui.core.store.hosting_claim import HostingClaim
from axo_tui.core.store.owner_lease import find_host
from tests.support.axo_daemon import URL, axo, axo_serve, project, run_owners, serving
from tests.support.cli import axo_command, clean_env
from tests.support.crash_project import interrupt_while_held, write_project
from tests.support.echo_openai import FakeOpenAI

ID = re.compile(r"\b[0-9a-f]{12}(?:[0-9a-f]{9})?\b")

MEMORY = """
name: memo
agents:
  - id: writer
    provider: scripted
    memory:
      core:
        - { label: persona, value: "A careful writer.", limit: 40 }
        - { label: human, value: "", limit: 200 }
skills:
  - id: review
    agents: [writer]
    emits: [Reviewed]
    prompt: Review this.
  - id: lonely
    agents: [writer]
    reacts_to: [Nobody]
    prompt: Nobody asks.
providers:
  scripted:
    replies:
      writer: ["Final answer."]
"""


def same(text: str) -> str:
    """`text` with the run ids (full or as shown) of one twin project made comparable."""
    return ID.sub("<id>", text)


def results(stdout: str) -> list[dict[str, Any]]:
    found = json.loads(stdout)
    assert isinstance(found, list)
    for result in found:
        result["run_id"] = "-"
    return found


def both(
    local: Path, served: Path, *commands: tuple[str, ...], **names: dict[Path, str]
) -> list[tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]]:
    """Each command on the local twin, then on the served one while `axo serve` holds it;
    pairs of (local, served) results. A `{name}` word is replaced by the twin's `names`."""

    def on(twin: Path, command: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        words = [word.format(**{k: v[twin] for k, v in names.items()}) for word in command]
        return axo(twin, *words)

    here = [on(local, command) for command in commands]
    before = run_owners(served) if (served / ".axo" / "axo.db").exists() else set()
    with serving(served):
        host = find_host(served / ".axo")
        assert host is not None
        there = [on(served, command) for command in commands]
        after = run_owners(served) if (served / ".axo" / "axo.db").exists() else set()
    # Only the daemon ran or took over runs: no command opened a runtime of its own.
    assert after <= before | {host.owner}
    return list(zip(here, there, strict=True))


async def test_runs_resume_and_cancel_go_through_the_daemon_and_print_as_locally(
    tmp_path: Path,
) -> None:
    fake = FakeOpenAI().start()
    try:
        twins = []
        for name in ("local", "served"):
            config = load_config(write_project(tmp_path / name, fake.base_url("t")))
            for _ in range(2):  # two runs stopped at c by Ctrl+C, as `axo run` leaves them
                await interrupt_while_held(
                    config, config.state_dir, fake, "c", lambda rt: rt.run_workflow("crash", "go")
                )
            twins.append(tmp_path / name)
        local, served = twins
        older = {
            twin: json.loads(axo(twin, "runs", "list", "--json").stdout)[-1]["id"] for twin in twins
        }
        pairs = both(
            local,
            served,
            ("runs", "resume"),
            ("runs", "resume", "nope"),
            ("runs", "resume", "{run}", "--json"),
            ("runs", "cancel", "--all", "--json"),
            ("runs", "cancel", "{run}"),
            ("runs", "resume", "--all"),
            run=older,
        )
        owners = run_owners(served)
    finally:
        fake.stop()
    left, nope, resumed, cancelled, ended, nothing = pairs
    for here, there in pairs:
        assert here.returncode == there.returncode, there.stderr
        assert same(here.stderr) == same(there.stderr)
        assert "Traceback" not in there.stderr
    assert left[1].returncode == 0
    assert left[1].stderr.startswith("2 interrupted runs are left alone"), left[1].stderr
    assert left[1].stderr.endswith("nothing to resume: no unfinished runs\n")
    assert nope[1].returncode == 1
    assert nope[1].stderr.startswith("error: no run 'nope'") and "axo runs list" in nope[1].stderr
    assert resumed[1].returncode == 0
    assert results(resumed[0].stdout) == results(resumed[1].stdout)
    assert [r["status"] for r in results(resumed[1].stdout)] == ["completed"]
    assert cancelled[1].returncode == 0
    # Whether d finished before the Ctrl+C differs from twin to twin: not the outputs.
    shapes = [[(r["kind"], r["target"], r["status"]) for r in results(c.stdout)] for c in cancelled]
    assert shapes[0] == shapes[1] == [("workflow", "crash", "cancelled")]
    assert ended[1].returncode == 1
    assert "already ended (completed); nothing to cancel" in ended[1].stderr
    assert nothing[1].returncode == 0 and "nothing to resume" in nothing[1].stderr
    assert len(owners) == 1  # the daemon took both runs over: resumed, then cancelled


def test_skills_fire_and_emit_go_through_the_daemon_and_print_as_locally(
    tmp_path: Path,
) -> None:
    local, served = project(tmp_path / "local"), project(tmp_path / "served")
    pairs = both(
        local,
        served,
        ("skills", "fire", "review", "-i", "the draft"),
        ("skills", "fire", "review", "-i", "the draft", "--json"),
        ("skills", "fire", "reveiw"),
        ("emit", "Reviewed", "-p", "ok"),
        ("emit", "Nobody", "--json"),
        ("emit", "Nobody"),
    )
    fired, as_json, typo, emitted, unheard_json, unheard = pairs
    for here, there in pairs:
        assert here.returncode == there.returncode, there.stderr
        assert same(here.stdout) == same(there.stdout)
        assert same(here.stderr) == same(there.stderr)
        assert "Traceback" not in there.stderr
    assert fired[1].returncode == 0 and fired[1].stdout == "Final answer.\n"  # publish too
    assert "2 activation(s)" in fired[1].stderr
    assert results(f"[{as_json[1].stdout}]")[0]["target"] == "review"
    assert typo[1].returncode == 1
    assert typo[1].stderr.startswith("error: no skill named 'reveiw'; did you mean 'review'?")
    assert emitted[1].returncode == 0 and "Final answer." in emitted[1].stdout  # publish ran
    assert json.loads(unheard_json[1].stdout)["activations"] == 0
    assert unheard[1].stdout == "" and unheard[1].stderr == "nothing reacts to 'Nobody'\n"


MEMORY = """
name: memo
agents:
  - id: pal
    provider: scripted
    memory:
      core:
        blocks:
          - { label: human, limit: 60, description: What you know about the user. }
          - { label: team, limit: 200, shared: true }
providers:
  scripted:
    replies:
      pal:
        - text: ""
          tool_calls: [{ name: core_memory_append, arguments: { block: human, text: "Name: Ada" } }]
        - "Nice to meet you."
"""


CLOCK = re.compile(r"\b\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?\b")


def untimed(text: str) -> str:
    """`text` with its clock times (of edits, of saves) masked."""
    return CLOCK.sub("<time>", text)


def test_memory_commands_go_through_the_daemon_and_print_as_locally(tmp_path: Path) -> None:
    local = project(tmp_path / "local", MEMORY)
    ran = axo(local, "run", "pal", "-i", "Hi, I'm Ada. My cat is called Miso.", "-s", "intro")
    assert ran.returncode == 0, ran.stderr
    # Twins to the byte (the same memories, made at the same moment) for the daemon to hold.
    twins = local, Path(shutil.copytree(local, tmp_path / "served"))
    long = "x" * 61
    pairs = both(
        *twins,
        ("memory", "show", "pal"),
        ("memory", "sessions", "pal", "--json"),
        ("memory", "sessions", "pal"),
        ("memory", "search", "pal", "what pet does the user have?", "-k", "1"),
        ("memory", "edit", "pal", "human", "--value", "Name: Ada. Cat: Miso."),
        ("memory", "edit", "pal", "human", "--value", "Name: Ada. Cat: Miso."),
        ("memory", "edit", "pal", "human", "--value", long),
        ("memory", "edit", "pal", "nobody", "--value", "x"),
        ("memory", "show", "pl"),
        ("memory", "forget", "pal", "--before", "2000-01-01", "--yes"),
        ("memory", "forget", "pal", "--yes"),
        ("memory", "show", "pal", "--json"),
    )
    with serving(twins[1]) as url:  # from anywhere, over the API alone
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        remote = axo(elsewhere, "--remote", url, "memory", "show", "pal", "--json")
    assert remote.returncode == 0 and remote.stdout == pairs[-1][0].stdout
    for here, there in pairs:
        assert here.returncode == there.returncode, there.stderr
        # The twins' edits are made a moment apart, maybe either side of a minute's turn.
        assert untimed(here.stdout.replace(str(twins[0]), "<dir>")) == untimed(
            there.stdout.replace(str(twins[1]), "<dir>")
        )
        assert here.stderr == there.stderr
        assert "Traceback" not in there.stderr
    show, sessions, session_lines, search, edited, unchanged, too_long, no_block = pairs[:8]
    no_agent, forgot_none, forgot, after = pairs[8:]
    assert "human (9/60)" in show[1].stdout and "    Name: Ada" in show[1].stdout
    assert f"({twins[1] / '.axo' / 'logs' / 'daily' / 'pal'})" in show[1].stdout
    assert [s["id"] for s in json.loads(sessions[1].stdout)] == ["chat:pal:intro"]
    assert session_lines[1].stdout.startswith("chat:pal:intro  4 messages")
    assert "user: Hi, I'm Ada. My cat is called Miso." in search[1].stdout
    assert edited[1].stdout == "pal/human: 21/60 characters saved\n"
    assert unchanged[1].stderr == "no change\n"
    assert too_long[1].returncode == 1 and "hint: shorten the text" in too_long[1].stderr
    assert no_block[1].stderr.startswith("error: no core memory block 'nobody'")
    assert no_agent[1].stderr.startswith("error: no agent named 'pl'")
    assert "the agents are: pal" in no_agent[1].stderr
    assert forgot_none[1].stdout.startswith("forgot 0 recall memories")
    assert forgot[1].stdout.startswith("forgot 1 recall memories and 1 days of activity log")
    assert json.loads(after[1].stdout)["activity_days"] == []
    assert json.loads(after[1].stdout)["core"][0]["value"] == "Name: Ada. Cat: Miso."


def test_a_second_serve_on_a_hosted_project_is_refused_and_leaves_the_first_alone(
    tmp_path: Path,
) -> None:
    served = project(tmp_path / "p")
    with axo_serve(served / "axo.yaml") as (process, url):
        host = find_host(served / ".axo")
        assert host is not None and host.pid == process.pid
        port = url.rsplit(":", 1)[1]
        for args in (("--port", port), ("--port", "0")):  # its port, or any other
            second = subprocess.run(
                [*axo_command(), "--config", str(served / "axo.yaml"), "serve", *args],
                capture_output=True,
                text=True,
                env=clean_env(),
                timeout=120,
            )
            assert second.returncode == 1
            assert second.stderr == (
                f"axo serve: error: this project is already hosted by axo serve "
                f"(pid {process.pid}) at {url}; `axo` commands here talk to it: stop it "
                "first to host the project again\n"
            )
            assert not URL.search(second.stderr)  # it never listened
        assert find_host(served / ".axo") == host  # the first one's announcement stands
        assert httpx.get(f"{url}/health", timeout=30).json()["status"] == "ok"
        ran = axo(served, "run", "writer", "-i", "still here")
        assert ran.returncode == 0 and ran.stdout == "Final answer.\n"
        assert run_owners(served) == {host.owner}
        # `axo dev --serve` asks the same before its workbench opens.
        with pytest.raises(typer.Exit) as refused:
            api_companion(load_config(served / "axo.yaml"))
        assert refused.value.exit_code == 1


def test_serve_is_refused_beside_a_workbench_or_a_host_starting_up(tmp_path: Path) -> None:
    held = project(tmp_path / "p")
    runtime = build_runtime(load_config(held / "axo.yaml"), background=True)

    def serve() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*axo_command(), "--config", str(held / "axo.yaml"), "serve", "--port", "0"],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=120,
        )

    async def beside_a_workbench() -> subprocess.CompletedProcess[str]:
        start_hosted(runtime)  # as `axo dev` without --serve does
        try:
            return serve()
        finally:
            await stop_hosted(runtime)

    import asyncio

    refused = asyncio.run(beside_a_workbench())
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        f"axo serve: error: this project is already held by axo dev (pid {os.getpid()}), "
        "which does not serve the API; quit it first"
    ), refused.stderr
    claim = HostingClaim.take(held / ".axo")  # another host, between its check and its start
    assert claim is not None
    try:
        starting = serve()
    finally:
        claim.release()
    assert starting.returncode == 1
    assert "another `axo serve` (or `axo dev --serve`) is starting" in starting.stderr
    assert run_owners(held) == set()


async def test_commands_that_run_refuse_beside_a_workbench_that_does_not_serve(
    tmp_path: Path,
) -> None:
    held = project(tmp_path / "p", MEMORY)
    runtime = build_runtime(load_config(held / "axo.yaml"), background=True)
    start_hosted(runtime)  # as `axo dev` without --serve does
    try:
        refused = [
            axo(held, "runs", "resume", "--all"),
            axo(held, "runs", "cancel", "--all"),
            axo(held, "emit", "Nobody"),
        ]
        shown = axo(held, "memory", "show", "pal", "--json")  # locked files: beside it is fine
    finally:
        await stop_hosted(runtime)
    for done in refused:
        assert done.returncode == 1
        assert "axo dev (pid " in done.stderr and "holds this project" in done.stderr
    assert run_owners(held) == set()
    assert shown.returncode == 0 and json.loads(shown.stdout)["agent"] == "pal"
