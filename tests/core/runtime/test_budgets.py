"""Budgets are checked before every call: an over-budget request never reaches the wire."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from axo_tui.core.config.schema import (
    OverflowPolicy,
    ProviderConfig,
    ProviderKind,
    TokenBudget,
    WorkflowConfig,
)
from axo_tui.core.runtime.build import build_runtime
from tests.support.builders import agent, make_config, scripted, step


class OllamaWire:
    """Speaks Ollama's /api/chat NDJSON through httpx.MockTransport and counts requests."""

    def __init__(self, reply: str = "fine", prompt_tokens: int = 40, completion: int = 10) -> None:
        self.requests: list[dict[str, object]] = []
        self.reply = reply
        self.prompt_tokens = prompt_tokens
        self.completion = completion

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        lines = [
            {
                "model": body["model"],
                "message": {"role": "assistant", "content": self.reply},
                "done": False,
            },
            {
                "model": body["model"],
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": self.prompt_tokens,
                "eval_count": self.completion,
            },
        ]
        return httpx.Response(
            200,
            content="\n".join(json.dumps(line) for line in lines).encode(),
            headers={"content-type": "application/x-ndjson"},
        )


def ollama_config(tmp_path: Path, budget: TokenBudget):  # type: ignore[no-untyped-def]
    return make_config(
        tmp_path,
        [agent("a", provider="ollama", model="llama3.2", token_budget=budget)],
        workflows=[WorkflowConfig("w", ("a",))],
        providers=[
            ProviderConfig(
                name="ollama",
                kind=ProviderKind.OLLAMA,
                base_url="http://127.0.0.1:11434",
                max_retries=0,
            )
        ],
    )


async def test_over_budget_call_never_reaches_the_provider(tmp_path: Path) -> None:
    wire = OllamaWire()
    config = ollama_config(tmp_path, TokenBudget(per_call=5, per_execution=100))
    async with build_runtime(config, transport=httpx.MockTransport(wire.handler)) as rt:
        sub = rt.bus.subscribe()
        result = await rt.run_workflow("w", "a long question " * 20)
        events = sub.drain()
        ledger = rt.journal.usage_report()
    assert wire.requests == []
    assert result.status == "failed"
    assert "per_call budget of 5 tokens" in result.errors["a"]
    exceeded = [e.to_dict() for e in events if e.kind == "budget.exceeded"]
    assert exceeded and exceeded[0]["policy"] == "abort" and exceeded[0]["limit"] == "per_call"
    assert ledger == []


async def test_completion_is_capped_to_what_the_budget_leaves(tmp_path: Path) -> None:
    wire = OllamaWire()
    config = ollama_config(tmp_path, TokenBudget(per_call=200, per_execution=1000))
    async with build_runtime(config, transport=httpx.MockTransport(wire.handler)) as rt:
        result = await rt.run_workflow("w", "hi")
        ledger = rt.journal.usage_report()
    assert result.status == "completed"
    sent = wire.requests[0]
    num_predict = sent["options"]["num_predict"]  # type: ignore[index]
    assert 0 < num_predict < 200
    # The real usage reported by the server is what the ledger records.
    assert ledger[0].prompt_tokens == 40 and ledger[0].completion_tokens == 10


async def test_per_execution_counts_every_tool_round(tmp_path: Path) -> None:
    # Each call reports 60 real tokens and always asks for another tool round, so the
    # activation must be stopped by per_execution before a call could push it over.
    rounds = [step("", ("calculator", {"expression": f"{i}+1"})) for i in range(5)]
    provider = scripted({"a": rounds})
    provider = ProviderConfig(
        name=provider.name,
        kind=provider.kind,
        replies=tuple(
            (
                agent_id,
                tuple(
                    type(s)(s.text, s.tool_calls, usage_prompt=50, usage_completion=10)
                    for s in steps
                ),
            )
            for agent_id, steps in provider.replies
        ),
    )
    config = make_config(
        tmp_path,
        [agent("a", tools=("calculator",), token_budget=TokenBudget(per_execution=400))],
        workflows=[WorkflowConfig("w", ("a",))],
        providers=[provider],
    )
    async with build_runtime(config) as rt:
        result = await rt.run_workflow("w", "x")
        first_calls = rt.journal.usage_report()[0].calls
        # The agent stays usable: the next activation starts with a fresh execution budget.
        again = await rt.run_workflow("w", "y")
        second_calls = rt.journal.usage_report()[0].calls - first_calls
    assert result.status == "failed"
    assert "per_execution budget of 400" in result.errors["a"]
    assert first_calls >= 3
    assert first_calls * 60 <= 400
    assert again.usage.total > 0 and second_calls >= 3


async def test_warn_policy_records_a_warning_and_continues(tmp_path: Path) -> None:
    wire = OllamaWire()
    config = ollama_config(
        tmp_path, TokenBudget(per_call=5, per_execution=10, overflow_policy=OverflowPolicy.WARN)
    )
    async with build_runtime(config, transport=httpx.MockTransport(wire.handler)) as rt:
        sub = rt.bus.subscribe()
        result = await rt.run_workflow("w", "a long question " * 20)
        events = sub.drain()
    assert result.status == "completed"
    assert len(wire.requests) == 1
    warned = [e.to_dict() for e in events if e.kind == "budget.exceeded"]
    assert {w["limit"] for w in warned} == {"per_call", "per_execution"}
    assert all(w["policy"] == "warn" for w in warned)


async def test_cost_is_estimated_from_configured_prices(tmp_path: Path) -> None:
    wire = OllamaWire(prompt_tokens=1_000_000, completion=500_000)
    config = ollama_config(tmp_path, TokenBudget())
    priced = ProviderConfig(
        name="ollama",
        kind=ProviderKind.OLLAMA,
        base_url="http://127.0.0.1:11434",
        prices=(("llama3.2", 2.0, 4.0),),
    )
    config = make_config(tmp_path, config.agents, workflows=config.workflows, providers=[priced])
    async with build_runtime(config, transport=httpx.MockTransport(wire.handler)) as rt:
        await rt.run_workflow("w", "x")
        (row,) = rt.journal.usage_report()
    assert row.cost_usd == 4.0
