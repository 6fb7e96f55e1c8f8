"""The durability tests' project: five agents on the echoing fake model, a chain and a join.

    a -> b -> c -+
    a -> d ------+-> e

`b -> c` is the chain, `e` joins `c` and `d`; `b` and `d` run in parallel. Also here: the
same project as a typed config, a one-agent chat project, the in-process crash (and Ctrl+C)
the resume tests start from, and the signal that stops a real `axo` process mid-call.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from axo_tui.core.config.schema import Config, ProviderConfig, ProviderKind, WorkflowConfig
from axo_tui.core.runtime.build import build_runtime
from axo_tui.core.runtime.runs import RunResult
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.core.store.journal import Journal
from tests.support.builders import agent, make_config
from tests.support.echo_openai import FakeOpenAI

AGENTS = ("a", "b", "c", "d", "e")
DEPENDS = {"a": (), "b": ("a",), "c": ("b",), "d": ("a",), "e": ("c", "d")}


def write_project(directory: Path, base_url: str) -> Path:
    """axo.yaml for the crash workflow against `base_url`; returns its path."""
    lines = ["name: crash", "agents:"]
    for agent_id in AGENTS:
        lines += [f"  - id: {agent_id}", "    provider: fake", f"    model: {agent_id}"]
        if DEPENDS[agent_id]:
            lines.append(f"    depends_on: [{', '.join(DEPENDS[agent_id])}]")
    lines += [
        "workflows:",
        "  - id: crash",
        f"    agents: [{', '.join(AGENTS)}]",
        "providers:",
        "  fake:",
        "    kind: openai",
        f"    base_url: {base_url}",
        "    max_retries: 0",
        "    timeout_secs: 20",
    ]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "axo.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def fake_provider(fake: FakeOpenAI, tag: str = "t") -> ProviderConfig:
    return ProviderConfig(
        name="fake", kind=ProviderKind.OPENAI, base_url=fake.base_url(tag), max_retries=0
    )


def crash_config(tmp_path: Path, fake: FakeOpenAI, tag: str = "t", **extra: object) -> Config:
    """The harness's five-agent workflow (a chain and a join) as a typed config."""
    return make_config(
        tmp_path,
        [agent(a, *DEPENDS[a], provider="fake", model=a) for a in AGENTS],
        workflows=[WorkflowConfig("crash", AGENTS)],
        providers=[fake_provider(fake, tag)],
        **extra,
    )


def chat_config(tmp_path: Path, fake: FakeOpenAI) -> Config:
    """One chat agent, `pal`, on the fake server (its model is `pal` too)."""
    return make_config(
        tmp_path, [agent("pal", provider="fake", model="pal")], providers=[fake_provider(fake)]
    )


def chat_turn(text: str) -> Callable[[Runtime], Awaitable[RunResult]]:
    """A start for `crash_while_held`: `pal`'s turn on `text` in session `chat:s`."""
    return lambda runtime: runtime.run_agent("pal", text, session_id="chat:s", run_kind="chat")


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


def signal_mid_call(
    process: subprocess.Popen[str],
    fake: FakeOpenAI,
    tag: str,
    model: str,
    how: signal.Signals,
    *,
    before: int = 0,
    output: Callable[[], object] = lambda: "",
) -> None:
    """Send `how` to an `axo` process once `model`'s request number `before + 1` is at the
    fake server (held there, the process is surely mid-call); fail, with `output()`, if the
    process ends first or the request never comes within a minute."""
    deadline = time.monotonic() + 60
    while fake.count(tag, model) == before:
        assert process.poll() is None, output()
        assert time.monotonic() < deadline, f"{model} never called the provider"
        time.sleep(0.02)
    process.send_signal(how)


async def crash_while_held(
    config: Config,
    data_dir: Path,
    fake: FakeOpenAI,
    held: str,
    start: Callable[[Runtime], Awaitable[Any]],
    *,
    settled: Callable[[Journal], bool] = lambda journal: True,
) -> None:
    """Start a run, wait until `held`'s request is stuck at the server and `settled` holds,
    then tear the runtime down as a crash would."""
    tag = "t"
    before = fake.count(tag, held)
    fake.held.add((tag, held))
    runtime = build_runtime(config, data_dir=data_dir)
    runtime.start()
    task = asyncio.ensure_future(start(runtime))
    await until(lambda: fake.count(tag, held) == before + 1 and settled(runtime.journal))
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await runtime.close()
    fake.release(tag, held)


async def interrupt_while_held(
    config: Config,
    data_dir: Path,
    fake: FakeOpenAI,
    held: str,
    start: Callable[[Runtime], Awaitable[Any]],
) -> None:
    """Start a run, wait until `held`'s request is at the server, then stop it as the CLI
    does on Ctrl+C: cancel, record the runs interrupted, close."""
    before = fake.count("t", held)
    fake.held.add(("t", held))
    async with build_runtime(config, data_dir=data_dir) as runtime:
        task = asyncio.ensure_future(start(runtime))
        await until(lambda: fake.count("t", held) == before + 1)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert len(await runtime.interrupt_runs()) == 1
    fake.release("t", held)


async def chat_then_crash(config: Config, data_dir: Path, fake: FakeOpenAI) -> None:
    """`pal` answers "first" in session `chat:s`, then a crash cuts its turn on "second"."""
    async with build_runtime(config, data_dir=data_dir) as runtime:
        await chat_turn("first")(runtime)
    await crash_while_held(config, data_dir, fake, "pal", chat_turn("second"))


async def crash_three_and_interrupt_one(config: Config, data_dir: Path, fake: FakeOpenAI) -> None:
    """Runs of the crash workflow stopped at `c`: r0, r1 and r2 by a crash, `stopped` by
    Ctrl+C, so a start-up has three to resume and one to leave alone."""
    for n in range(3):
        await crash_while_held(
            config,
            data_dir,
            fake,
            "c",
            lambda rt, n=n: rt.run_workflow("crash", "q", run_id=f"r{n}"),
        )
    await interrupt_while_held(
        config, data_dir, fake, "c", lambda rt: rt.run_workflow("crash", "q", run_id="stopped")
    )
