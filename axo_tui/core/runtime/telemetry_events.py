"""Status events for telemetry that only the runtime's parts know of: journal commits,
provider retries, the bus's queue depths. Each is emitted only when someone listens."""

from __future__ import annotations

from axo_tui.core.events.bus import EventBus
from axo_tui.core.events.catalog import BusQueueDepths, JournalCommitted, ProviderRetried
from axo_tui.core.providers.base import ChatRequest, Provider, ProviderError
from axo_tui.core.store.journal import Journal


def report_commits(journal: Journal, bus: EventBus) -> None:
    """Each landed group commit becomes a `journal.commit` event."""

    def committed(seconds: float, writes: int, ok: bool) -> None:
        if bus.wanted(JournalCommitted):
            bus.emit(JournalCommitted, duration_s=seconds, writes=writes, ok=ok)

    journal.on_commit = committed


def report_retries(provider: Provider, bus: EventBus) -> None:
    """A retrying provider's retries become `llm.retry` events (other providers have none)."""
    if not hasattr(provider, "on_retry"):
        return

    def retried(request: ChatRequest, attempt: int, delay: float, error: ProviderError) -> None:
        agent_id = request.agent_id.split("#", 1)[0] if request.agent_id else None
        bus.emit(
            ProviderRetried,
            agent_id=agent_id,
            provider=getattr(provider, "name", ""),
            model=request.model,
            attempt=attempt,
            delay_s=delay,
            error=str(error)[:500],
        )

    setattr(provider, "on_retry", retried)  # noqa: B010 (only retrying providers have it)


def report_queue_depths(bus: EventBus) -> None:
    """A sample of every subscriber queue's depth (taken as each run ends)."""
    if bus.wanted(BusQueueDepths):
        depths = bus.queue_depths()
        bus.emit(BusQueueDepths, depths=depths, coalesced=bus.coalesced_total())
