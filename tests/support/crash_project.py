"""The durability tests' project: five agents on the fake server, a chain and a join.

    a -> b -> c -+
    a -> d ------+-> e

`b -> c` is the chain, `e` joins `c` and `d`; `b` and `d` run in parallel.
"""

from __future__ import annotations

from pathlib import Path

AGENTS = ("a", "b", "c", "d", "e")
DEPENDS = {"a": (), "b": ("a",), "c": ("b",), "d": ("a",), "e": ("c", "d")}


def write_project(directory: Path, base_url: str) -> Path:
    """axo.yaml for the crash workflow against `base_url`; returns its path."""
    lines = ["name: crash", "agents:"]
    for agent in AGENTS:
        lines += [f"  - id: {agent}", "    provider: fake", f"    model: {agent}"]
        if DEPENDS[agent]:
            lines.append(f"    depends_on: [{', '.join(DEPENDS[agent])}]")
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
