"""WASM guests in real languages: ping-pong ACL messages per second between two C agents on
one WASM host (goal: at least 20,000/s), and a Python component's cold and warm start.

- ping-pong: two `rally` agents (tests/bench/guests/rally.c, built with clang here) volley a
  count down through the host's bus: every message is a full ACL message, journaled by
  nothing (a bare router), handled by a guest call with its fuel and deadline.
- Python component (examples/wasm-pingpong/python/pong.py, built with componentize-py here):
  cold = compile the component, then instantiate and handle one message; warm = load the
  compiled artifact from the on-disk cache, then the same. Built once per run (~20 s).

Run with `.venv/bin/python -m tests.bench.bench_wasm_guests [--rally N] [--no-python]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RALLY = Path(__file__).resolve().parent / "guests" / "rally.c"
WIT = ROOT / "docs" / "wit" / "axo.wit"


def build_rally(out: Path) -> bytes:
    target = out / "rally.wasm"
    subprocess.run(
        [
            "clang",
            "--target=wasm32-wasi",
            "-mexec-model=reactor",
            "-O2",
            "-o",
            str(target),
            str(RALLY),
        ],
        check=True,
    )
    return target.read_bytes()


def pingpong(module: bytes, volleys: int, data_dir: Path) -> float:
    """Messages per second of one rally of `volleys` messages between two agents."""
    from axo_tui.core.acl import AclMessage, AclRouter, Performative
    from axo_tui.core.wasm import WasmHost, WasmLimits

    done = threading.Event()

    class Probe:
        def deliver(self, message: AclMessage) -> None:
            done.set()

    router = AclRouter()
    router.register("probe", Probe())
    host = WasmHost(router, data_dir=data_dir, workers=2)
    host.start(restore=False)
    try:
        limits = WasmLimits(sends_per_call=2)
        host.deploy("a", module, limits)
        host.deploy("b", module, limits)
        start = time.perf_counter()
        router.send(AclMessage(Performative.REQUEST, "b", ("a",), volleys))
        if not done.wait(600):
            raise RuntimeError("the rally did not finish")
        return volleys / (time.perf_counter() - start)
    finally:
        host.close()


def build_component(out: Path) -> Path:
    componentize = ROOT / ".venv" / "bin" / "componentize-py"
    if not componentize.exists():
        componentize = Path(os.environ.get("COMPONENTIZE_PY", "componentize-py"))
    subprocess.run(
        [
            str(componentize),
            "-d",
            str(WIT),
            "-w",
            "agent",
            "componentize",
            "-p",
            str(ROOT / "examples" / "wasm-pingpong" / "python"),
            "pong",
            "-o",
            "pong.wasm",
        ],
        cwd=out,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out / "pong.wasm"


def component_start(path: Path, cache: Path) -> tuple[float, float, float]:
    """(cold s, warm ms p50, re-instantiate ms p50) of the component answering one message."""
    import wasmtime
    from wasmtime import component

    message = json.dumps(
        {
            "performative": "request",
            "sender": "probe",
            "receivers": ["pong"],
            "content": "ping 1",
            "reply_with": "m-1",
            "conversation_id": "c-1",
        }
    )

    def linker(engine: wasmtime.Engine) -> component.Linker:
        made = component.Linker(engine)
        made.add_wasip2()
        with made.root() as root, root.add_instance("axo:agent/host@1.0.0") as host:
            # The world's host functions; pong calls only send and log.
            host.add_func("send", lambda store, text: None)
            host.add_func("log", lambda store, level, text: None)
            host.add_func("now", lambda store: int(time.time() * 1000))
            host.add_func("random", lambda store, n: os.urandom(n))
            host.add_func("kv-get", lambda store, key: None)
            host.add_func("kv-set", lambda store, key, value: None)
            host.add_func("kv-delete", lambda store, key: None)
            host.add_func("set-timer", lambda store, delay, repeat: 1)
            host.add_func("cancel-timer", lambda store, timer: None)
            host.add_func("llm", lambda store, prompt: "")
            host.add_func("tool", lambda store, name, arguments: "")
        return made

    def answer(
        engine: wasmtime.Engine, made: component.Linker, loaded: component.Component
    ) -> None:
        store = wasmtime.Store(engine)
        store.set_wasi(wasmtime.WasiConfig())
        instance = made.instantiate(store, loaded)
        handle = instance.get_func(store, "handle-message")
        assert handle is not None
        handle(store, message)

    engine = wasmtime.Engine()
    start = time.perf_counter()
    loaded = component.Component.from_file(engine, str(path))
    made = linker(engine)
    answer(engine, made, loaded)
    cold = time.perf_counter() - start
    cache.write_bytes(loaded.serialize())

    warm: list[float] = []
    for _ in range(5):
        engine = wasmtime.Engine()
        start = time.perf_counter()
        cached = component.Component.deserialize(engine, cache.read_bytes())
        made = linker(engine)
        answer(engine, made, cached)
        warm.append((time.perf_counter() - start) * 1000)
    again: list[float] = []
    for _ in range(20):  # a trap poisons an instance: the host makes a new one
        start = time.perf_counter()
        answer(engine, made, cached)
        again.append((time.perf_counter() - start) * 1000)
    return cold, statistics.median(warm), statistics.median(again)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rally", type=int, default=50_000, help="messages per rally")
    parser.add_argument("--no-python", action="store_true", help="skip the component rows")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        module = build_rally(out)
        rates = [pingpong(module, args.rally, out / f"data{i}") for i in range(3)]
        rows.append(
            ("ping-pong, two C agents (msgs/s, best of 3)", f"{max(rates):,.0f}", ">= 20,000")
        )
        if not args.no_python:
            cold, warm, again = component_start(build_component(out), out / "pong.cwasm")
            rows.append(("Python component cold start (compile + 1 msg)", f"{cold:.2f} s", ""))
            rows.append(("Python component warm start (cache + 1 msg, p50)", f"{warm:.1f} ms", ""))
            rows.append(("Python component re-instantiate + 1 msg (p50)", f"{again:.2f} ms", ""))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>12}  goal")
    for name, value, goal in rows:
        print(f"{name:<{width}}  {value:>12}  {goal}")


if __name__ == "__main__":
    main()
