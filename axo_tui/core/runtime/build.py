"""The one composition root: every runtime (CLI, TUI, tests, the coming server) is built here.

What varies between hosts is handed in, never constructed deep inside: the activation
backends per agent kind, the event subscribers, the provider transport. Commands that only
read a project's state (and must work on an invalid config) use `open_state` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from axo_tui.core.config.nats_schema import LatticeBackend
from axo_tui.core.config.schema import Config
from axo_tui.core.events.catalog import Event
from axo_tui.core.runtime.backend import DEFAULT_BACKENDS, BackendFactory, agent_kind
from axo_tui.core.runtime.runtime import RunError, Runtime
from axo_tui.core.runtime.state import ProjectState, Warn
from axo_tui.core.runtime.supervisor import SupervisionPolicy
from axo_tui.core.tools import ToolRegistry


def build_runtime(
    config: Config,
    *,
    data_dir: Path | None = None,
    background: bool = False,
    backends: Mapping[str, BackendFactory] | None = None,
    subscribers: Sequence[Callable[[Event], None]] = (),
    tools: ToolRegistry | None = None,
    transport: Any = None,
    supervision: SupervisionPolicy | None = None,
) -> Runtime:
    """A runtime for `config`, not started yet (`async with runtime:` starts and closes it).

    - `data_dir`: where the journal, checkpoints and memory live (default: the config's).
    - `background`: run schedules, proactive triggers and consolidation (`axo dev`).
    - `backends`: agent kind -> factory of the backend that runs its turns; default: the LLM
      turn for kind `llm`. Raises RunError if an agent's kind has none.
    - `subscribers`: called inline with every event from the start (keep them quick).
    - `tools`, `transport`, `supervision`: the tool registry, an httpx transport for the
      providers (tests), the circuit breaker's policy.
    """
    chosen = dict(DEFAULT_BACKENDS if backends is None else backends)
    for agent in config.agents:
        kind = agent_kind(agent)
        if kind not in chosen:
            known = ", ".join(sorted(chosen)) or "none"
            raise RunError(f"agent '{agent.id}' is of kind '{kind}'; backends given: {known}")
    return Runtime(
        config,
        cluster=_cluster_of(config, claim_work=background),
        data_dir=data_dir,
        tools=tools,
        transport=transport,
        background=background,
        supervision=supervision,
        backends=chosen,
        subscribers=subscribers,
    )


def _cluster_of(config: Config, *, claim_work: bool) -> Callable[[Runtime], Any] | None:
    """`lattice.backend: nats`: the runtime becomes a node of a cluster (docs/distributed.md);
    it claims steps when it hosts the project (`background`)."""
    settings = config.lattice.cluster
    if settings.backend is not LatticeBackend.NATS:
        return None
    from axo_tui.core.runtime.cluster_lattice import ClusterLattice

    return lambda runtime: ClusterLattice(runtime, settings, claim_work=claim_work)


def open_state(state_dir: Path, *, warn: Warn | None = None) -> ProjectState:
    """A project's recorded state with no runtime: the same queries as `runtime.state`, read
    from the files (the journal is opened on the first query). Safe beside a running
    `axo dev`; `warn` hears of problems that do not stop an answer. `close()` it."""
    return ProjectState(state_dir, warn=warn)
