"""The runtime's message bus: ACL messages between WASM agents, LLM agents and the user.

One `AclRouter` carries every message. WASM agents are endpoints of the `WasmHost` (their
guests run on its worker threads); each LLM agent is an endpoint whose messages become turns
(in order, one at a time) and whose reply becomes an ACL message; `user` is the endpoint of
`send_message` callers (the CLI, the HTTP API). Every message and every WASM event reaches
the event bus, hence the journal, the workbench and `axo logs`, batched onto the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from axo_tui.core.acl.message import AclError, AclMessage, Performative
from axo_tui.core.acl.router import AclRouter
from axo_tui.core.base import jsonfast
from axo_tui.core.config.schema import AgentConfig, AgentKind
from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import ACL_CONTENT_CHARS, AclMessageSent, WasmEvent
from axo_tui.core.telemetry import propagation

if TYPE_CHECKING:  # wasmtime loads with the first WASM agent, not with every runtime
    from axo_tui.core.runtime.wasm_bridge import WasmBridge
    from axo_tui.core.wasm.host import DeployResult, WasmAgentInfo, WasmHost
    from axo_tui.core.wasm.limits import RestartPolicy, WasmLimits

log = logging.getLogger(__name__)

USER = "user"
"""The sender of messages from `axo send` and the HTTP API."""
WORKFLOW = "workflow"
"""The sender of the requests that run `kind: wasm` agents as workflow steps."""

RunTurn = Callable[[str, str], Awaitable[tuple[bool, str]]]
"""(agent id, input) -> (completed, output or error): one LLM turn."""

LLM_PROMPT = (
    "You received this FIPA-ACL message (JSON):\n{message}\n\n"
    "Answer with one ACL message as a JSON object with `performative` (e.g. inform, agree, "
    "refuse, propose, failure) and `content`; plain text is sent back as an `inform`."
)


class _LlmEndpoint:
    """An LLM agent on the bus: each message is one turn; the reply goes to the sender."""

    def __init__(self, messaging: Messaging, agent_id: str) -> None:
        self._messaging = messaging
        self._agent_id = agent_id
        self._lock = asyncio.Lock()  # FIFO: a conversation's messages are answered in order

    def deliver(self, message: AclMessage) -> None:
        self._messaging.on_loop(lambda: self._messaging.spawn(self._answer(message)))

    async def _answer(self, message: AclMessage) -> None:
        async with self._lock:
            # The sender's traceparent: this turn's run joins the sender's trace.
            propagation.adopt({propagation.TRACEPARENT: message.trace_parent or ""})
            shown = replace(message, trace_parent=None)  # ids are no business of the model
            prompt = LLM_PROMPT.format(message=shown.to_json().decode())
            ok, text = await self._messaging.run_turn(self._agent_id, prompt)
        if message.performative in (Performative.FAILURE, Performative.NOT_UNDERSTOOD):
            return  # nothing to say to a failure (and no loops between agents)
        if not ok:
            reply = message.reply(Performative.FAILURE, {"error": text}, sender=self._agent_id)
        else:
            reply = _reply_from_text(message, text, self._agent_id)
        self._messaging.router.send(reply)


def _reply_from_text(message: AclMessage, text: str, sender: str) -> AclMessage:
    stripped = text.strip().removeprefix("```json").removeprefix("```").removesuffix("```")
    with contextlib.suppress(ValueError, AclError):
        raw = json.loads(stripped)
        if isinstance(raw, dict) and "performative" in raw:
            raw.setdefault("receivers", [message.sender])
            raw.setdefault("conversation_id", message.conversation_id)
            raw.setdefault("in_reply_to", message.reply_with)
            return AclMessage.from_dict(raw, sender=sender)
    return message.reply(Performative.INFORM, text, sender=sender)


class _UserEndpoint:
    """Replies to `send_message` callers, matched by `in_reply_to`."""

    def __init__(self, messaging: Messaging) -> None:
        self._messaging = messaging
        self.waiting: dict[str, asyncio.Future[AclMessage]] = {}

    def deliver(self, message: AclMessage) -> None:
        key = message.in_reply_to
        if key is None:
            return

        def settle() -> None:
            future = self.waiting.pop(key, None)
            if future is not None and not future.done():
                future.set_result(message)

        self._messaging.on_loop(settle)


class Messaging:
    def __init__(
        self,
        *,
        bus: EventBus,
        data_dir: Path,
        run_turn: RunTurn,
        spawn: Callable[[Awaitable[Any]], Any],
        policy: RestartPolicy | None = None,
        bridge: Callable[[], WasmBridge] | None = None,
    ) -> None:
        self.router = AclRouter()
        self._make_bridge = bridge
        """Makes the answer to the guests' `llm` and `tool` (with the host, on first use)."""
        self._bridge: WasmBridge | None = None
        self._config_wasm: set[str] = set()
        """`kind: wasm` agents deployed from the config (a reload removes them with it)."""
        self._llm_endpoints: dict[str, _LlmEndpoint] = {}
        self._data_dir = data_dir
        self._policy = policy
        self._host: WasmHost | None = None
        self._problems: list[str] = []
        self._bus = bus
        self.run_turn = run_turn
        self.spawn = spawn
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: deque[Callable[[], None]] = deque()
        self._flush_lock = threading.Lock()
        self._flush_due = False
        self.conversation_runs: dict[str, str] = {}
        """Conversation id -> the run it belongs to (a coordinator's auctions), so its
        messages are journaled with the run and `axo runs show` lists them."""
        self.router.observe(self._acl_event)
        self._user = _UserEndpoint(self)
        self.router.register(USER, self._user)
        self.router.register(WORKFLOW, self._user)

    # ------------------------------------------------------------ lifecycle
    def start(self, agents: Iterable[AgentConfig], project_dir: Path) -> list[str]:
        """Start the host, restore `axo deploy`ed agents, deploy the config's `kind: wasm`
        agents and put the LLM agents on the bus. Returns problems (one line each)."""
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()
        agents = list(agents)
        problems: list[str] = []
        deployed = (self._data_dir / "wasm" / "deployments.json").is_file()
        if deployed or any(a.kind is AgentKind.WASM for a in agents):
            problems = self.host.start()
        self.configure(agents, project_dir, problems)
        return problems

    @property
    def host(self) -> WasmHost:
        """The WASM host, made (and wasmtime loaded) on first use."""
        if self._host is None:
            from axo_tui.core.wasm.host import WasmHost

            if self._make_bridge is not None:
                self._bridge = self._make_bridge()
            self._host = WasmHost(
                self.router,
                data_dir=self._data_dir,
                policy=self._policy,
                on_event=self._wasm_event,
                calls=self._bridge,
            )
            self._host.start(restore=False)
        return self._host

    def configure(
        self, agents: Iterable[AgentConfig], project_dir: Path, problems: list[str] | None = None
    ) -> None:
        """Put the config's agents on the bus; again after a reload, where a `kind: wasm`
        agent whose module file or limits changed is replaced in place (with a drain, as
        `axo deploy` does), an unchanged one keeps running, and removed agents leave."""
        problems = [] if problems is None else problems
        agents = list(agents)
        wasm = {a.id for a in agents if a.kind is AgentKind.WASM}
        for name in sorted(self._config_wasm - wasm):
            self._config_wasm.discard(name)
            self.host.undeploy(name)  # its queued messages get a `failure`; its kv stays
        llm = {a.id for a in agents if a.kind is not AgentKind.WASM}
        for name in sorted(set(self._llm_endpoints) - llm):
            self.router.unregister(name, self._llm_endpoints.pop(name))
        for agent in agents:
            if agent.kind is AgentKind.WASM:
                self._deploy_configured(agent, project_dir, problems)
            elif self.router.endpoint(agent.id) is None:
                endpoint = self._llm_endpoints[agent.id] = _LlmEndpoint(self, agent.id)
                self.router.register(agent.id, endpoint)
        for line in problems:
            self._bus.emit(WasmEvent, agent_id=None, what="wasm.problem", text=line)

    def _deploy_configured(
        self, agent: AgentConfig, project_dir: Path, problems: list[str]
    ) -> None:
        from axo_tui.core.wasm.abi import WasmDeployError
        from axo_tui.core.wasm.limits import WasmLimits
        from axo_tui.core.wasm.module_cache import sha256

        path = project_dir / agent.wasm.module
        limits = WasmLimits(agent.wasm.fuel, agent.wasm.memory_mb, agent.wasm.timeout_ms)
        try:
            data = path.read_bytes()
            running = self.host.agent(agent.id)
            if running is not None and running.sha256 == sha256(data) and running.limits == limits:
                return  # unchanged: it keeps its instance, its queue and its timers
            self.host.deploy(agent.id, data, limits, persist=False)
            self._config_wasm.add(agent.id)
        except (OSError, WasmDeployError) as exc:
            problems.append(f"agent '{agent.id}' ({path}): {exc}")

    def close(self) -> None:
        if self._bridge is not None:  # guests waiting on the loop are answered first
            self._bridge.close()
            self._bridge = None
        if self._host is not None:
            self._host.close()
            self._host = None
        self._flush()

    # -------------------------------------------------------------- actions
    def deploy(self, name: str, data: bytes, limits: WasmLimits | None = None) -> DeployResult:
        from axo_tui.core.wasm.abi import WasmDeployError

        existing = self.router.endpoint(name)
        if existing is not None and self.host.agent(name) is None:
            raise WasmDeployError(f"'{name}' is an agent of the config, not a WASM deployment")
        return self.host.deploy(name, data, limits)

    def undeploy(self, name: str) -> bool:
        return self.host.undeploy(name)

    def agents(self) -> list[WasmAgentInfo]:
        """The WASM agents (deployed or from the config)."""
        return [] if self._host is None else self._host.agents()

    async def send(
        self, message: AclMessage, *, wait_secs: float | None = None
    ) -> tuple[AclMessage, AclMessage | None]:
        """Route `message`; with `wait_secs`, also wait that long for its first reply."""
        message = message.addressed()
        future: asyncio.Future[AclMessage] | None = None
        if wait_secs is not None and message.reply_with is not None:
            future = asyncio.get_running_loop().create_future()
            self._user.waiting[message.reply_with] = future
        self.router.send(message)
        if future is None:
            return message, None
        try:
            return message, await asyncio.wait_for(future, wait_secs)
        except TimeoutError:
            return message, None
        finally:
            if message.reply_with is not None:
                self._user.waiting.pop(message.reply_with, None)

    # --------------------------------------------------------------- events
    def on_loop(self, call: Callable[[], None]) -> None:
        """Run `call` on the event loop soon, from any thread (batched: one wake-up)."""
        self._pending.append(call)
        with self._flush_lock:
            if self._flush_due:
                return
            self._flush_due = True
        if self._loop is None or self._loop.is_closed():
            self._flush()
            return
        try:
            self._loop.call_soon_threadsafe(self._flush)
        except RuntimeError:  # the loop is closing: run it here
            self._flush()

    def _flush(self) -> None:
        with self._flush_lock:
            self._flush_due = False
        while self._pending:
            call = self._pending.popleft()
            try:
                call()
            except Exception:  # one bad sink must not stop the others
                log.exception("messaging callback failed")

    def _acl_event(self, message: AclMessage) -> None:
        content = jsonfast.dumps(message.content)
        if len(content) > ACL_CONTENT_CHARS:
            content = content[:ACL_CONTENT_CHARS] + "…"
        run_id = self.conversation_runs.get(message.conversation_id)

        def emit() -> None:
            self._bus.emit(
                AclMessageSent,
                run_id=run_id,
                agent_id=message.sender,
                performative=message.performative.value,
                sender=message.sender,
                receivers=message.receivers,
                content=content,
                conversation_id=message.conversation_id,
                reply_with=message.reply_with,
                in_reply_to=message.in_reply_to,
                protocol=message.protocol,
            )

        self.on_loop(emit)

    def _wasm_event(self, what: str, agent: str, fields: dict[str, Any]) -> None:
        text = str(fields.get("text") or fields.get("reason") or what.removeprefix("wasm."))
        detail = jsonfast.dumps(fields)

        def emit() -> None:
            self._bus.emit(WasmEvent, agent_id=agent, what=what, text=text, detail=detail)

        self.on_loop(emit)
