"""A run's tree from its recorded events: agent → model calls → tools, with durations,
tokens, cost, approvals and signals (`axo trace RUN`, the workbench's trace view).

Built from the journal's events alone, so it needs no server and no tracer. Text that came
from a model or a tool is neutralised (`base.terminal_text`) before it is part of a label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from axo_tui.core.base.terminal_text import neutralise

PREVIEW = 60


class RecordedEvent(Protocol):
    @property
    def seq(self) -> int: ...
    @property
    def ts(self) -> float: ...
    @property
    def kind(self) -> str: ...
    @property
    def agent_id(self) -> str | None: ...
    @property
    def fields(self) -> Mapping[str, Any]: ...


@dataclass
class TraceNode:
    """One line of the tree: `kind` (run, agent, chat, tool, approval, budget, signal,
    retry, note), its label, figures, whether it failed, and its children."""

    kind: str
    label: str
    start: float = 0.0
    end: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = None
    failed: bool = False
    note: str = ""
    children: list[TraceNode] = field(default_factory=list)

    @property
    def duration(self) -> float | None:
        return None if self.end is None else max(0.0, self.end - self.start)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "start": self.start,
            "duration_s": self.duration,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost_usd": self.cost_usd,
            "failed": self.failed,
            "note": self.note,
            "children": [child.to_dict() for child in self.children],
        }


def _preview(value: Any) -> str:
    text = " ".join(neutralise(str(value)).split())
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1] + "…"


def build_tree(run_id: str, events: Iterable[RecordedEvent]) -> TraceNode:
    """The tree of run `run_id` from its events (in journal order)."""
    root = TraceNode("run", f"run {run_id[:12]}")
    activations: dict[str, TraceNode] = {}
    by_agent: dict[str, TraceNode] = {}
    tools: dict[tuple[str, str], TraceNode] = {}
    approvals: dict[str, TraceNode] = {}

    def owner(agent_id: str | None) -> TraceNode:
        return by_agent.get(agent_id or "", root)

    for event in events:
        f, kind = event.fields, event.kind
        if kind == "run.started":
            root.label = f"{f.get('run_kind', 'run')} {neutralise(str(f.get('target', '')))}"
            root.start = event.ts
            root.note = f"input: {_preview(f.get('input', ''))}"
        elif kind == "run.completed":
            root.end = event.ts
            root.failed = f.get("status") != "completed"
            root.note = f"{f.get('status', '')} · output: {_preview(f.get('output', ''))}"
        elif kind == "agent.activated":
            node = TraceNode("agent", neutralise(event.agent_id or "?"), start=event.ts)
            node.note = f"trigger {f.get('trigger', '')}"
            activations[str(f.get("activation_id"))] = node
            by_agent[event.agent_id or ""] = node
            root.children.append(node)
        elif kind in ("agent.completed", "agent.failed"):
            node = activations.get(str(f.get("activation_id")), owner(event.agent_id))
            node.end = event.ts
            if kind == "agent.failed":
                node.failed = True
                node.note = f"failed ({f.get('error_kind', '')}): {_preview(f.get('error', ''))}"
            else:
                node.note = f"output: {_preview(f.get('output', ''))}"
        elif kind == "agent.skipped":
            root.children.append(
                TraceNode(
                    "agent",
                    neutralise(event.agent_id or "?"),
                    start=event.ts,
                    note=f"skipped: {_preview(f.get('reason', ''))}",
                )
            )
        elif kind == "llm.call":
            parent = activations.get(str(f.get("activation_id")), owner(event.agent_id))
            start = float(f.get("started", event.ts))
            chat = TraceNode(
                "chat",
                f"chat {neutralise(str(f.get('model', '')))}",
                start=start,
                end=start + float(f.get("duration_s", 0.0)),
                tokens_in=int(f.get("prompt_tokens", 0)),
                tokens_out=int(f.get("completion_tokens", 0)),
                cost_usd=f.get("cost_usd"),
                failed=not f.get("ok", True),
                note=_preview(f.get("error", "")) or str(f.get("purpose", "")),
            )
            parent.children.append(chat)
            for node in {id(parent): parent, id(root): root}.values():
                node.tokens_in += chat.tokens_in
                node.tokens_out += chat.tokens_out
                if chat.cost_usd is not None:
                    node.cost_usd = (node.cost_usd or 0.0) + float(chat.cost_usd)
        elif kind == "tool.called":
            parent = activations.get(str(f.get("activation_id")), owner(event.agent_id))
            tool = TraceNode("tool", f"tool {neutralise(str(f.get('tool', '')))}", start=event.ts)
            tool.note = _preview(f.get("arguments", ""))
            tools[(str(f.get("activation_id")), str(f.get("call_id")))] = tool
            parent.children.append(tool)
        elif kind == "tool.result":
            key = (str(f.get("activation_id")), str(f.get("call_id")))
            tool = tools.get(key) or TraceNode("tool", f"tool {neutralise(str(f.get('tool')))}")
            tool.end = event.ts
            tool.failed = not f.get("ok", True)
            tool.note = _preview(f.get("result", ""))
        elif kind == "approval.requested":
            parent = activations.get(str(f.get("activation_id")), owner(event.agent_id))
            node = TraceNode("approval", f"approval {f.get('tool', '')}", start=event.ts)
            node.note = "pending"
            approvals[str(f.get("approval_id"))] = node
            parent.children.append(node)
        elif kind == "approval.decided":
            node = approvals.get(str(f.get("approval_id"))) or owner(event.agent_id)
            if node.kind == "approval":
                node.end = event.ts
                node.failed = f.get("decision") != "approve"
                node.note = f"{f.get('decision', '')} by {f.get('decided_by', '')}"
        elif kind == "budget.exceeded":
            owner(event.agent_id).children.append(
                TraceNode(
                    "budget",
                    f"budget {f.get('limit', '')}",
                    start=event.ts,
                    failed=f.get("policy") == "abort",
                    note=f"{f.get('requested')} > {f.get('allowed')} ({f.get('policy')})",
                )
            )
        elif kind == "llm.retry":
            owner(event.agent_id).children.append(
                TraceNode(
                    "retry",
                    f"retry {f.get('provider', '')}",
                    start=event.ts,
                    note=f"attempt {f.get('attempt')}: {_preview(f.get('error', ''))}",
                )
            )
        elif kind in ("signal.emitted", "skill.fired"):
            name = f.get("name") or f.get("skill_id") or ""
            owner(event.agent_id).children.append(
                TraceNode("signal", f"{kind.split('.')[0]} {neutralise(str(name))}", start=event.ts)
            )
        elif kind == "acl.message":
            owner(event.agent_id).children.append(
                TraceNode(
                    "acl",
                    f"acl {f.get('performative', '')} → "
                    f"{neutralise(','.join(map(str, f.get('receivers', ()))))}",
                    start=event.ts,
                    note=_preview(f.get("content", "")),
                )
            )
    return root


def _figures(node: TraceNode) -> str:
    parts: list[str] = []
    if node.duration is not None:
        parts.append(f"{node.duration:.2f}s")
    elif node.kind in ("run", "agent", "tool"):
        parts.append("running")
    if node.tokens_in or node.tokens_out:
        parts.append(f"{node.tokens_in}→{node.tokens_out} tok")
    if node.cost_usd is not None:
        parts.append(f"${node.cost_usd:.4f}")
    return " · ".join(parts)


def render_lines(root: TraceNode) -> list[tuple[str, TraceNode]]:
    """The tree as (text, node) lines with box-drawing branches, root first."""
    lines: list[tuple[str, TraceNode]] = []

    def walk(node: TraceNode, prefix: str, branch: str) -> None:
        figures = _figures(node)
        text = f"{prefix}{branch}{'✗ ' if node.failed else ''}{node.label}"
        if figures:
            text += f"  [{figures}]"
        if node.note:
            text += f"  {node.note}"
        lines.append((text, node))
        inner = prefix + ("" if not branch else ("   " if branch == "└─ " else "│  "))
        for index, child in enumerate(node.children):
            walk(child, inner, "└─ " if index == len(node.children) - 1 else "├─ ")

    walk(root, "", "")
    return lines
