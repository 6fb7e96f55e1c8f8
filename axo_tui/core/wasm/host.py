"""The WASM host: deploys modules as agents on the ACL bus and runs them on worker threads.

wasmtime calls are synchronous and a guest may run up to its deadline, so guests never run on
the event loop: a few worker threads take ready agents from one queue (wasmtime releases the
GIL while a guest runs). Everything here is thread-safe; `on_event` is called from workers.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axo_tui.core.acl.message import AclMessage, Performative
from axo_tui.core.acl.router import AclRouter
from axo_tui.core.wasm.abi import WasmDeployError
from axo_tui.core.wasm.agent import WasmAgent
from axo_tui.core.wasm.component_instance import AnyInstance, make_instance
from axo_tui.core.wasm.deployments import DeploymentStore
from axo_tui.core.wasm.engine import Compiled, WasmEngine
from axo_tui.core.wasm.guest_context import GuestServices
from axo_tui.core.wasm.host_calls import HostCalls
from axo_tui.core.wasm.kv import KvStore
from axo_tui.core.wasm.limits import RestartPolicy, WasmLimits
from axo_tui.core.wasm.timers import TimerThread


class _Worker(threading.local):
    local: deque[WasmAgent] | None = None
    """Set on a worker thread: the agents its guests woke."""


_worker = _Worker()

EventSink = Callable[[str, str, dict[str, Any]], None]
"""(kind, agent name, fields): `wasm.log`, `wasm.failed`, `wasm.degraded`, `wasm.deployed`,
`wasm.fuel`..."""

FUEL_REPORT_SECS = 1.0
"""How often each busy agent's fuel is reported (one `wasm.fuel` event per agent)."""


@dataclass(frozen=True)
class WasmAgentInfo:
    name: str
    sha256: str
    status: str
    limits: WasmLimits
    queued: int
    handled: int
    failed: int
    last_error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": "wasm",
            "sha256": self.sha256,
            "status": self.status,
            "limits": self.limits.to_dict(),
            "queued": self.queued,
            "handled": self.handled,
            "failed": self.failed,
            "last_error": self.last_error,
        }


@dataclass(frozen=True)
class DeployResult:
    name: str
    sha256: str
    replaced: bool

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "replaced": self.replaced}


class WasmHost:
    def __init__(
        self,
        router: AclRouter,
        *,
        data_dir: Path | None = None,
        workers: int = 2,
        policy: RestartPolicy | None = None,
        on_event: EventSink | None = None,
        calls: HostCalls | None = None,
    ) -> None:
        self.router = router
        self.policy = policy or RestartPolicy()
        self.calls = calls
        """Answers the `llm` and `tool` imports (the runtime's bridge); None denies both."""
        wasm_dir = None if data_dir is None else data_dir / "wasm"
        self.engine = WasmEngine(None if wasm_dir is None else wasm_dir / "cache")
        self.kv = KvStore(None if wasm_dir is None else wasm_dir / "kv.db")
        self.deployments = None if wasm_dir is None else DeploymentStore(wasm_dir)
        self.timers = TimerThread()
        self._on_event = on_event
        self._agents: dict[str, WasmAgent] = {}
        self._lock = threading.Lock()
        self._fuel_lock = threading.Lock()
        self._ready: queue.SimpleQueue[WasmAgent | None] = queue.SimpleQueue()
        self._workers = [
            threading.Thread(target=self._work, name=f"axo-wasm-{i}", daemon=True)
            for i in range(workers)
        ]
        self._base_workers = workers
        self._waiting = 0
        """Workers blocked in a host call (`llm`, `tool`) right now."""
        self._started = False

    # ------------------------------------------------------------ lifecycle
    def start(self, *, restore: bool = True) -> list[str]:
        """Start the workers; with `restore`, bring back the persisted deployments. Returns
        a line per deployment that could not come back (it is left on disk)."""
        if not self._started:
            self.engine.start()
            for worker in self._workers:
                worker.start()
            self._started = True
            if self._on_event is not None:
                self.timers.call_later(FUEL_REPORT_SECS, self._fuel_tick)
        problems = []
        if restore and self.deployments is not None:
            for deployment, data in self.deployments.load():
                try:
                    self.deploy(deployment.name, data, deployment.limits, persist=False)
                except WasmDeployError as exc:
                    problems.append(f"{deployment.name}: {exc}")
        return problems

    def close(self) -> None:
        with self._lock:
            agents = list(self._agents.values())
            self._agents.clear()
        for agent in agents:
            self.router.unregister(agent.name, agent)
            agent.stop()
        with self._lock:  # no spare workers (`waiting`) from here on
            started, self._started = self._started, False
            workers = list(self._workers)
        if started:
            for _ in workers:
                self._ready.put(None)
            for worker in workers:
                worker.join()
        for agent in agents:
            agent.finish()
        self.report_fuel(agents)
        self.timers.close()
        self.engine.close()
        self.kv.close()
        self._started = False

    def _work(self) -> None:
        # Agents woken by this worker's own guests stay on this thread (a ping-pong pair
        # would otherwise bounce between threads on every message), unless others wait.
        local: deque[WasmAgent] = deque()
        _worker.local = local
        while True:
            agent = local.popleft() if local else self._ready.get()
            if agent is None:
                return
            agent.run_batch()
            if local and not self._ready.empty():
                while local:
                    self._ready.put(local.popleft())

    def _fuel_tick(self) -> None:
        if self._started:
            self.report_fuel()
            self.timers.call_later(FUEL_REPORT_SECS, self._fuel_tick)

    def report_fuel(self, agents: list[WasmAgent] | None = None) -> None:
        """A `wasm.fuel` event for each agent that burned fuel since its last one, with
        `{"fuel": units}` (called every `FUEL_REPORT_SECS`, and for the last time when an
        agent leaves)."""
        if self._on_event is None:
            return
        if agents is None:
            with self._lock:
                agents = list(self._agents.values())
        with self._fuel_lock:  # one reporter at a time: no delta is sent twice
            for agent in agents:
                used = agent.fuel_used
                if used > agent.fuel_reported:
                    self.emit("wasm.fuel", agent.name, {"fuel": used - agent.fuel_reported})
                    agent.fuel_reported = used

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Around a host call that may take long (an LLM reply, an approval): another worker
        takes this one's place, so one agent's wait never stalls the others."""
        local = _worker.local
        while local:  # agents this worker's guests woke must not wait for the call
            self._ready.put(local.popleft())
        with self._lock:
            self._waiting += 1
            spare = None
            if self._started and len(self._workers) - self._waiting < self._base_workers:
                spare = threading.Thread(
                    target=self._work, name=f"axo-wasm-{len(self._workers)}", daemon=True
                )
                self._workers.append(spare)
        if spare is not None:
            spare.start()
        try:
            yield
        finally:
            with self._lock:
                self._waiting -= 1

    def schedule(self, agent: WasmAgent) -> None:
        local = _worker.local
        if local is not None:
            local.append(agent)
        else:
            self._ready.put(agent)

    def emit(self, kind: str, agent: str, fields: dict[str, Any]) -> None:
        if self._on_event is not None:
            self._on_event(kind, agent, fields)

    # -------------------------------------------------------------- deploys
    def instantiate(
        self, name: str, compiled: Compiled, limits: WasmLimits, services: GuestServices
    ) -> AnyInstance:
        """A new instance with `init` run; raises WasmDeployError when either fails."""
        instance = make_instance(self.engine, compiled, name, limits, services)
        outcome = instance.init()
        if not outcome.ok:
            raise WasmDeployError(f"init failed: {outcome.reason}")
        return instance

    def deploy(
        self, name: str, data: bytes, limits: WasmLimits | None = None, *, persist: bool = True
    ) -> DeployResult:
        """Deploy `data` as agent `name`, or replace it in place with a drain (docs/abi.md).
        Raises WasmDeployError (malformed, unknown imports, failing init) before anything
        changes."""
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise WasmDeployError(f"agent name {name!r} must be letters, digits, - or _")
        limits = limits or WasmLimits()
        compiled = self.engine.compile(data)
        with self._lock:
            existing = self._agents.get(name)
        if existing is not None:
            existing.replace(self.instantiate(name, compiled, limits, existing))
            agent = existing
        else:
            agent = WasmAgent(self, name, compiled, limits)
            agent.instance = self.instantiate(name, compiled, limits, agent)
            with self._lock:
                self._agents[name] = agent
            self.router.register(name, agent)
        if persist and self.deployments is not None:
            self.deployments.save(name, compiled.sha256, data, limits)
        self.emit(
            "wasm.deployed", name, {"sha256": compiled.sha256, "replaced": existing is not None}
        )
        return DeployResult(name, compiled.sha256, existing is not None)

    def undeploy(self, name: str) -> bool:
        """Stop agent `name` (queued messages are answered with a `failure`); its kv state
        stays for a later deploy of the same name."""
        with self._lock:
            agent = self._agents.pop(name, None)
        if self.deployments is not None:
            self.deployments.remove(name)
        if agent is None:
            return False
        self.router.unregister(name, agent)
        for message in agent.stop():
            if message.performative not in (Performative.FAILURE, Performative.NOT_UNDERSTOOD):
                self.router.send(
                    message.reply(
                        Performative.FAILURE,
                        {"error": f"agent '{name}' was undeployed"},
                        sender=name,
                    )
                )
        agent.finish()
        self.report_fuel([agent])
        self.emit("wasm.undeployed", name, {})
        return True

    def agents(self) -> list[WasmAgentInfo]:
        with self._lock:
            agents = sorted(self._agents.values(), key=lambda a: a.name)
        return [
            WasmAgentInfo(
                a.name,
                a.sha256,
                a.status(),
                a.limits,
                a.queued(),
                a.handled,
                a.failed,
                a.last_error,
            )
            for a in agents
        ]

    def agent(self, name: str) -> WasmAgent | None:
        return self._agents.get(name)

    def send(self, message: AclMessage) -> AclMessage:
        return self.router.send(message)
