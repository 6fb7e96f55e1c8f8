"""WASM tools: a WASI command module an LLM agent calls like any other tool.

The module gets nothing unless the config grants it: no files, no network, no environment.
Grants are preopened directories (read-only or read-write) and environment variables by
name. A call writes the arguments (a JSON object) to the module's stdin, runs `_start`
under fuel, a memory cap and a deadline, and returns its stdout, capped, with the cut stated.
A module runs only while its sha256 is the approved one (`axo tools approve NAME`, or
`sha256:` in the config): a changed file is refused until it is approved again.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import wasmtime

from axo_tui.core.config.schema import WasmToolConfig
from axo_tui.core.tools.registry import Tool, ToolContext, ToolError, off_loop
from axo_tui.core.wasm.limits import MIB
from axo_tui.core.wasm.module_cache import ModuleCache, sha256
from axo_tui.core.wasm.tool_pins import ToolPins

WASI = "wasi_snapshot_preview1"
TICK_MS = 5
STDERR_KEEP = 2000
"""Characters of stderr quoted in the error of a failed call."""


def _ticks(timeout_ms: int) -> int:
    return max(1, -(-timeout_ms // TICK_MS))


class _EpochTicker:
    """Advances the engine's epoch while calls run, so deadlines fire; no thread otherwise."""

    def __init__(self, engine: wasmtime.Engine) -> None:
        self._engine = engine
        self._active = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> None:
        with self._lock:
            self._active += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="axo-wasm-tool-epoch", daemon=True
                )
                self._thread.start()

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self._active -= 1

    def _run(self) -> None:
        stop = threading.Event()
        while not stop.wait(TICK_MS / 1000):
            with self._lock:
                if self._active == 0:
                    self._thread = None
                    return
            self._engine.increment_epoch()


class _CappedOutput:
    """Keeps the first `cap` bytes written and counts the rest."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept = bytearray()
        self.total = 0

    def __call__(self, data: bytes) -> None:
        self.total += len(data)
        room = self.cap - len(self.kept)
        if room > 0:
            self.kept += data[:room]


@dataclass(frozen=True)
class GrantedDir:
    host: Path
    guest: str
    writable: bool


class WasmToolRunner:
    """Runs the WASM tools of one project: one engine, the module cache, the pins."""

    def __init__(self, state_dir: Path | None, project_dir: Path) -> None:
        config = wasmtime.Config()
        config.consume_fuel = True
        config.epoch_interruption = True
        self.engine = wasmtime.Engine(config)
        wasm_dir = None if state_dir is None else state_dir / "wasm"
        self.cache = ModuleCache(self.engine, None if wasm_dir is None else wasm_dir / "cache")
        self.pins = ToolPins(None if wasm_dir is None else wasm_dir / "tool_pins.json")
        self.project_dir = project_dir
        self._ticker = _EpochTicker(self.engine)
        self._linker = wasmtime.Linker(self.engine)
        self._linker.define_wasi()

    def module_path(self, spec: WasmToolConfig) -> Path:
        path = Path(spec.module)
        return path if path.is_absolute() else self.project_dir / path

    def grants(self, spec: WasmToolConfig) -> list[GrantedDir]:
        granted = []
        for grant in spec.dirs:
            host = Path(grant.path)
            granted.append(
                GrantedDir(
                    host if host.is_absolute() else self.project_dir / host,
                    grant.guest,
                    grant.writable,
                )
            )
        return granted

    def tool(self, spec: WasmToolConfig, environ: Mapping[str, str] | None = None) -> Tool:
        """`spec` as a registry Tool. A tool with a writable directory acts on the world, so
        its calls need approval unless the config's `approvals:` says otherwise."""
        env = os.environ if environ is None else environ

        def call(context: ToolContext, arguments: dict[str, Any]) -> str:
            return self.run(spec, arguments, env)

        return Tool(
            name=spec.name,
            description=spec.description or f"the WebAssembly tool {spec.module}",
            parameters=spec.parameters,
            function=off_loop(call),
            idempotent=not any(grant.writable for grant in spec.dirs),
            timeout_secs=spec.timeout_ms / 1000 + 5,  # the epoch deadline ends it first
            needs_approval=any(grant.writable for grant in spec.dirs),
        )

    def current_sha256(self, spec: WasmToolConfig) -> str:
        """The sha256 of the module file as it is now (ToolError when unreadable)."""
        return sha256(self.read_module(spec))

    def approve(self, spec: WasmToolConfig) -> str:
        """Pin the module as it is now (`axo tools approve`); returns its sha256."""
        digest = self.current_sha256(spec)
        self.pins.approve(spec.name, digest)
        return digest

    def check_pin(self, spec: WasmToolConfig, data: bytes) -> str:
        """The module's sha256 when it is the approved one; ToolError otherwise."""
        digest = sha256(data)
        approved = spec.sha256 or self.pins.get(spec.name)
        where = f"WASM tool '{spec.name}' ({spec.module})"
        if approved is None:
            raise ToolError(
                f"{where} is not approved yet (sha256 {digest}): review the module, then run "
                f"`axo tools approve {spec.name}`"
            )
        if approved != digest:
            fix = (
                "update `sha256:` in axo.yaml"
                if spec.sha256
                else f"run `axo tools approve {spec.name}`"
            )
            raise ToolError(
                f"{where} changed since it was approved (approved sha256 {approved}, now "
                f"{digest}): refused until approved again; review it, then {fix}"
            )
        return digest

    def read_module(self, spec: WasmToolConfig) -> bytes:
        path = self.module_path(spec)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ToolError(
                f"WASM tool '{spec.name}': cannot read its module {path}: {exc.strerror}"
            ) from None

    def run(self, spec: WasmToolConfig, arguments: dict[str, Any], env: Mapping[str, str]) -> str:
        data = self.read_module(spec)
        self.check_pin(spec, data)
        try:
            module, _ = self.cache.load(data)
        except Exception as exc:  # WasmDeployError: not a module
            raise ToolError(f"WASM tool '{spec.name}': {exc}") from None
        unknown = [f"{i.module}.{i.name}" for i in module.imports if i.module != WASI]
        if unknown:
            raise ToolError(
                f"WASM tool '{spec.name}' imports {', '.join(unknown)}: a tool may import only "
                f"WASI ({WASI})"
            )
        with tempfile.TemporaryDirectory(prefix="axo-wasm-tool-") as scratch:
            stdin = Path(scratch) / "stdin.json"
            stdin.write_text(json.dumps(arguments, ensure_ascii=False), encoding="utf-8")
            return self._execute(spec, module, stdin, env)

    def _execute(
        self, spec: WasmToolConfig, module: wasmtime.Module, stdin: Path, env: Mapping[str, str]
    ) -> str:
        stdout = _CappedOutput(spec.max_output_chars * 4)  # UTF-8: at most 4 bytes a character
        stderr = _CappedOutput(STDERR_KEEP * 4)
        wasi = wasmtime.WasiConfig()
        wasi.argv = [spec.name]
        wasi.env = [(name, env[name]) for name in spec.env if name in env]
        wasi.stdin_file = str(stdin)
        wasi.stdout_custom = stdout
        wasi.stderr_custom = stderr
        for grant in self.grants(spec):
            if not grant.host.is_dir():
                raise ToolError(
                    f"WASM tool '{spec.name}': granted directory {grant.host} does not exist"
                )
            wasi.preopen_dir(str(grant.host), grant.guest, grant.writable)
        store = wasmtime.Store(self.engine)
        store.set_limits(memory_size=spec.memory_mb * MIB)
        store.set_wasi(wasi)
        store.set_fuel(spec.fuel)
        store.set_epoch_deadline(_ticks(spec.timeout_ms))
        exit_code = 0
        with self._ticker:
            try:
                instance = self._linker.instantiate(store, module)
                start = instance.exports(store).get("_start")
                if not isinstance(start, wasmtime.Func):
                    raise ToolError(
                        f"WASM tool '{spec.name}' exports no `_start`: build it as a WASI "
                        "command (a program with a main)"
                    )
                start(store)
            except wasmtime.ExitTrap as exc:
                exit_code = exc.code
            except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
                raise ToolError(f"WASM tool '{spec.name}' failed: {_reason(exc, spec)}") from None
        if exit_code != 0:
            said = _text(stderr.kept)[-STDERR_KEEP:].strip()
            raise ToolError(
                f"WASM tool '{spec.name}' exited with status {exit_code}"
                + (f": {said}" if said else "")
            )
        return cap_output(_text(stdout.kept), stdout.total, spec.max_output_chars)


def _text(data: bytes | bytearray) -> str:
    return bytes(data).decode("utf-8", errors="replace")


def _reason(exc: Exception, spec: WasmToolConfig) -> str:
    code = exc.trap_code if isinstance(exc, wasmtime.Trap) else None
    if code == wasmtime.TrapCode.OUT_OF_FUEL:
        return f"out of fuel (limit {spec.fuel})"
    if code == wasmtime.TrapCode.INTERRUPT:
        return f"deadline of {spec.timeout_ms} ms missed"
    if code == wasmtime.TrapCode.STACK_OVERFLOW:
        return "stack overflow"
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def cap_output(text: str, total_bytes: int, cap: int) -> str:
    """`text`, or its first `cap` characters and a note that the output was cut."""
    if len(text) <= cap and len(text.encode("utf-8")) >= total_bytes:
        return text
    return (
        f"{text[:cap]}\n[output cut: the tool wrote {total_bytes} bytes; only the first "
        f"{min(cap, len(text))} characters are shown]"
    )


def wasm_tools(
    specs: Iterable[WasmToolConfig],
    state_dir: Path | None,
    project_dir: Path,
    environ: Mapping[str, str] | None = None,
) -> tuple[WasmToolRunner, list[Tool]]:
    """The runner and the registry Tools for a config's `tools:` entries."""
    runner = WasmToolRunner(state_dir, project_dir)
    return runner, [runner.tool(spec, environ) for spec in specs]
