"""Supervision: restart with backoff after a crash-like failure, a circuit after three."""

from __future__ import annotations

import json
import time
from pathlib import Path

from typer.testing import CliRunner

from axo_tui.core.config.schema import Config, TokenBudget, WorkflowConfig
from axo_tui.core.runtime.build import build_runtime, open_state
from axo_tui.core.runtime.runtime import Runtime
from axo_tui.core.runtime.supervisor import SupervisionPolicy
from tests.support.builders import agent, make_config
from tests.support.crash_project import fake_provider
from tests.support.echo_openai import FakeOpenAI

FAST = SupervisionPolicy(backoff_base_secs=0.05, backoff_cap_secs=0.2, cooldown_secs=60)


def two_agents(tmp_path: Path, fake: FakeOpenAI, **fields: object) -> Config:
    return make_config(
        tmp_path,
        [
            agent("flaky", provider="fake", model="flaky", **fields),
            agent("steady", provider="fake", model="steady"),
        ],
        workflows=[WorkflowConfig("both", ("flaky", "steady"))],
        providers=[fake_provider(fake)],
    )


def notices(runtime: Runtime) -> list[str]:
    return [e["message"] for e in runtime.journal.events() if e["kind"] == "runtime.warning"]


async def test_three_failures_open_the_circuit_and_refuse_quickly(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    fake.failing.add(("t", "flaky"))
    async with build_runtime(two_agents(tmp_path, fake), supervision=FAST) as runtime:
        for _ in range(3):
            failed = await runtime.run_agent("flaky", "x")
            assert failed.status == "failed" and "500" in failed.errors["flaky"]
        assert fake.count("t", "flaky") == 3
        states = {s.agent_id: s.state for s in runtime.statuses()}
        assert states == {"flaky": "degraded", "steady": "idle"}
        started = time.monotonic()
        refused = await runtime.run_agent("flaky", "x")
        took = time.monotonic() - started
        activity = runtime.journal.activations(refused.run_id)
        # The other agent is not affected, in its own runs or in a shared workflow.
        both = await runtime.run_workflow("both", "go")
    assert fake.count("t", "flaky") == 3  # the refusal never reached the provider
    assert took < 2.0  # no backoff, no call: the refusal is immediate
    error = refused.errors["flaky"]
    assert "degraded after 3 failures in a row" in error
    assert "axo agents restart flaky" in error
    assert [a.status for a in activity] == ["failed"]
    assert both.outputs.keys() == {"steady"} and both.failed == ("flaky",)


async def test_restart_closes_the_circuit(tmp_path: Path, fake: FakeOpenAI) -> None:
    fake.failing.add(("t", "flaky"))
    async with build_runtime(two_agents(tmp_path, fake), supervision=FAST) as runtime:
        for _ in range(3):
            await runtime.run_agent("flaky", "x")
        fake.failing.clear()
        runtime.restart_agent("flaky")
        assert runtime.status("flaky").state == "idle"
        healed = await runtime.run_agent("flaky", "x")
        checkpoint = runtime.supervisor.checkpoint("flaky")
    assert healed.ok
    assert checkpoint.consecutive_failures == 0 and checkpoint.circuit_open_until is None
    assert checkpoint.failures == 3 and checkpoint.activations == 4


async def test_restart_from_another_process_reaches_a_live_runtime(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    fake.failing.add(("t", "flaky"))
    async with build_runtime(two_agents(tmp_path, fake), supervision=FAST) as runtime:
        for _ in range(3):
            await runtime.run_agent("flaky", "x")
        fake.failing.clear()
        await runtime.supervisor.settled()  # the checkpoints are written behind the turns
        # What `axo agents restart flaky` does, with no runtime of its own.
        state = open_state(tmp_path / ".axo")
        assert state.restart_agent("flaky").degraded()
        state.close()
        healed = await runtime.run_agent("flaky", "x")
    assert healed.ok


async def test_a_failed_agent_restarts_from_its_checkpoint_after_a_backoff(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    policy = SupervisionPolicy(backoff_base_secs=0.3, cooldown_secs=60)
    fake.failing.add(("t", "flaky"))
    async with build_runtime(two_agents(tmp_path, fake), supervision=policy) as runtime:
        await runtime.run_agent("flaky", "x")
        fake.failing.clear()
        started = time.monotonic()
        healed = await runtime.run_agent("flaky", "x")
        waited = time.monotonic() - started
        await runtime.run_agent("steady", "x")
        messages = notices(runtime)
    assert healed.ok
    assert waited >= 0.25  # the backoff runs from the failure, a moment before `started`
    assert any(
        "'flaky' restarted from checkpoint 000001.json after 1 failure(s)" in m and "backoff" in m
        for m in messages
    )
    assert not any("steady" in m for m in messages)  # a healthy agent is never held back


async def test_after_the_cool_down_one_trial_is_let_through(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    policy = SupervisionPolicy(backoff_base_secs=0.0, cooldown_secs=0.3)
    fake.failing.add(("t", "flaky"))
    async with build_runtime(two_agents(tmp_path, fake), supervision=policy) as runtime:
        for _ in range(3):
            await runtime.run_agent("flaky", "x")
        assert runtime.supervisor.degraded("flaky")
        time.sleep(0.35)
        assert {s.agent_id: s.state for s in runtime.statuses()}["flaky"] == "failed"
        trial = await runtime.run_agent("flaky", "x")  # reaches the provider, fails again
        assert fake.count("t", "flaky") == 4 and not trial.ok
        assert runtime.supervisor.degraded("flaky")  # one failure re-opens it
        fake.failing.clear()
        time.sleep(0.35)
        assert (await runtime.run_agent("flaky", "x")).ok
        assert not runtime.supervisor.degraded("flaky")


async def test_budget_refusals_are_not_crashes(tmp_path: Path, fake: FakeOpenAI) -> None:
    config = two_agents(tmp_path, fake, token_budget=TokenBudget(per_call=5))
    async with build_runtime(config, supervision=FAST) as runtime:
        for _ in range(4):
            result = await runtime.run_agent("flaky", "a long enough input to break the budget")
            assert "budget" in result.errors["flaky"]
        checkpoint = runtime.supervisor.checkpoint("flaky")
        state = runtime.status("flaky").state
    assert fake.count("t", "flaky") == 0
    assert checkpoint.consecutive_failures == 0 and checkpoint.failures == 4
    assert state == "failed" and not runtime.supervisor.degraded("flaky")


async def test_the_circuit_survives_a_restart_of_the_process(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    fake.failing.add(("t", "flaky"))
    config = two_agents(tmp_path, fake)
    async with build_runtime(config, supervision=FAST) as runtime:
        for _ in range(3):
            await runtime.run_agent("flaky", "x")
    async with build_runtime(config, supervision=FAST) as runtime:
        assert {s.agent_id: s.state for s in runtime.statuses()}["flaky"] == "degraded"
        refused = await runtime.run_agent("flaky", "x")
    assert "degraded" in refused.errors["flaky"]
    assert fake.count("t", "flaky") == 3


def test_policy_from_environment_ignores_bad_values() -> None:
    policy = SupervisionPolicy.from_env(
        {"AXO_CIRCUIT_FAILURES": "5", "AXO_CIRCUIT_COOLDOWN_SECS": "soon"}
    )
    assert policy.failure_threshold == 5 and policy.cooldown_secs == 60.0
    assert policy.backoff(1) == 1.0 and policy.backoff(3) == 4.0 and policy.backoff(20) == 30.0


def test_cli_status_shows_degraded_and_restart_closes_it(tmp_path: Path, fake: FakeOpenAI) -> None:
    import asyncio

    from axo_tui.cli.app import app
    from axo_tui.core.config import load_config

    (tmp_path / "axo.yaml").write_text(
        "agents:\n"
        "  - id: flaky\n    provider: fake\n    model: flaky\n"
        "providers:\n"
        f"  fake:\n    kind: openai\n    base_url: {fake.base_url('t')}\n    max_retries: 0\n"
    )
    fake.failing.add(("t", "flaky"))

    async def fail_three_times() -> None:
        config = load_config(tmp_path / "axo.yaml")
        async with build_runtime(config, supervision=FAST) as runtime:
            for _ in range(3):
                await runtime.run_agent("flaky", "x")

    asyncio.run(fail_three_times())
    runner = CliRunner()
    base = ["--config", str(tmp_path / "axo.yaml")]
    status = runner.invoke(app, [*base, "agents", "status", "--json"])
    assert status.exit_code == 0, status.output
    [row] = json.loads(status.stdout)
    assert row["state"] == "degraded" and row["consecutive_failures"] == 3
    assert row["degraded_until"] > time.time()
    restarted = runner.invoke(app, [*base, "agents", "restart", "flaky"])
    assert restarted.exit_code == 0
    assert "circuit closed after 3 failures" in restarted.output
    status = runner.invoke(app, [*base, "agents", "status", "--json"])
    assert json.loads(status.stdout)[0]["state"] != "degraded"
    unknown = runner.invoke(app, [*base, "agents", "restart", "flaku"])
    assert unknown.exit_code == 1 and "did you mean 'flaky'" in unknown.output
