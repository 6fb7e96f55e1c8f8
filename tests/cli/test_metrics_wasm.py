"""`axo metrics` with no server counts the fuel WASM agents burned and their crashes by
cause, from the journal (each `axo send` is a runtime of its own that starts and stops)."""

from __future__ import annotations

import json
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.core.wasm import guests
from tests.support.cli import Invoke

ANSWER = {"performative": "inform", "receiver": "user", "content": "done"}
PROJECT = """\
agents:
  - {id: worker, kind: wasm, module: replier.wasm}
  - {id: twin, kind: wasm, module: replier.wasm}
  - {id: spinner, kind: wasm, module: loop.wasm, limits: {fuel: 100000, timeout_ms: 20000}}
  - {id: crasher, kind: wasm, module: trap.wasm}
  - {id: refuser, kind: wasm, module: fails.wasm}
"""


def send(invoke: Invoke, receiver: str) -> str:
    sent = invoke("send", receiver, "request", "go", "--wait", "60", "--json")
    assert sent.exit_code == 0, sent.output
    reply = json.loads(sent.stdout)["reply"]
    assert reply is not None, sent.stdout
    return str(reply["performative"])


def test_fuel_and_traps_are_rebuilt_from_the_journal(in_tmp: Path, invoke: Invoke) -> None:
    (in_tmp / "axo.yaml").write_text(PROJECT)
    (in_tmp / "replier.wasm").write_bytes(guests.replier(ANSWER))
    (in_tmp / "loop.wasm").write_bytes(guests.hostile("loop"))
    (in_tmp / "trap.wasm").write_bytes(guests.hostile("trap"))
    (in_tmp / "fails.wasm").write_bytes(guests.hostile("fails"))
    assert [send(invoke, "worker") for _ in range(3)] == ["inform"] * 3
    assert send(invoke, "twin") == "inform"
    assert [send(invoke, name) for name in ("spinner", "crasher", "refuser")] == ["failure"] * 3

    printed = invoke("metrics")
    assert printed.exit_code == 0, printed.output
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(printed.stdout)
        for s in family.samples
    }

    def fuel(agent: str) -> float:
        return samples.get(("axo_wasm_fuel_consumed_total", (("agent", agent),)), 0.0)

    def traps(agent: str, cause: str) -> float:
        key = ("axo_wasm_traps_total", (("agent", agent), ("cause", cause)))
        return samples.get(key, 0.0)

    assert fuel("twin") > 0 and fuel("worker") == 3 * fuel("twin")
    assert fuel("spinner") == 100_000  # ran out: the whole allowance was burned
    assert traps("spinner", "fuel") == 1 and traps("crasher", "trap") == 1
    # A handler that reports its own failure did not crash: not a trap.
    assert not any(
        name == "axo_wasm_traps_total" and ("agent", "refuser") in labels
        for name, labels in samples
    )
