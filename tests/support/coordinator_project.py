"""A coordinator's project on the fake model server: one model name per agent, so what each
agent was sent is told apart on the wire.

`ScriptedModels` answers OpenAI chat requests by model: queued texts first (in order), then
the model's standing answer (by default `<model> did: <the subtask line>`), after the
model's delay; `failing` models answer HTTP 500.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from pathlib import Path

from tests.support.dialects import openai_chat, openai_error
from tests.support.model_server import ModelServer, Received, Reply


def user_text(request: Received) -> str:
    users = [m["content"] for m in request.json()["messages"] if m["role"] == "user"]
    return str(users[-1]) if users else ""


def subtask_line(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("Your subtask: "):
            return line.removeprefix("Your subtask: ")
    return text[:60]


class ScriptedModels:
    def __init__(self, server: ModelServer) -> None:
        self.server = server
        self.queued: defaultdict[str, deque[str]] = defaultdict(deque)
        self.delay: dict[str, float] = {}
        self.failing: set[str] = set()
        self.answer: Callable[[str, str], str] = lambda model, text: (
            f"{model} did: {subtask_line(text)}"
        )
        server.answer("/v1/chat/completions", self._reply)

    def queue(self, model: str, *texts: str) -> None:
        self.queued[model].extend(texts)

    def sent_to(self, model: str) -> list[str]:
        """The last user message of each request for `model`, in arrival order."""
        return [
            user_text(r)
            for r in self.server.received("/v1/chat/completions")
            if r.json()["model"] == model
        ]

    def _reply(self, request: Received) -> Reply:
        model = str(request.json()["model"])
        if model in self.failing:
            return openai_error("the model is down", 500)
        queue = self.queued[model]
        text = queue.popleft() if queue else self.answer(model, user_text(request))
        reply = openai_chat(model, [text], prompt=len(user_text(request)) // 4 + 1, completion=7)
        reply.delay = self.delay.get(model, 0.0)
        return reply


QUIET = "    memory: {recall: {passive_inject: false}}"


def write_project(
    directory: Path,
    base_url: str,
    *,
    workers: dict[str, str],
    lead_extra: str = "",
    worker_extra: dict[str, str] | None = None,
    methods: str | None = None,
    htn_state: str = "",
) -> Path:
    """axo.yaml with coordinator `lead` and `workers` (id -> `tools:` list text), each on
    its own model; `methods` becomes methods.yaml. Returns the config's path."""
    extra = worker_extra or {}
    lines = [
        "name: team",
        "agents:",
        "  - id: lead",
        "    provider: fake",
        "    model: lead",
        "    role: coordinator",
        QUIET,
    ]
    lines += [f"    {line}" for line in lead_extra.splitlines() if line]
    for worker, tools in workers.items():
        lines += [
            f"  - id: {worker}",
            "    provider: fake",
            f"    model: {worker}",
            "    role: worker",
            f"    tools: {tools}",
            QUIET,
        ]
        lines += [f"    {line}" for line in extra.get(worker, "").splitlines() if line]
    lines += [
        "workflows:",
        "  - id: team",
        f"    agents: [lead, {', '.join(workers)}]",
        "    entry_point: lead",
    ]
    if methods is not None:
        (directory / "methods.yaml").write_text(methods, encoding="utf-8")
        lines.append("    htn_methods_file: methods.yaml")
    if htn_state:
        lines.append(f"    htn_state: {htn_state}")
    lines += [
        "providers:",
        "  fake:",
        "    kind: openai",
        f"    base_url: {base_url}/v1",
        "    max_retries: 0",
        "    timeout_secs: 20",
    ]
    path = directory / "axo.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
