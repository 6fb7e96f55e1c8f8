"""The telemetry a host attaches for a project: a tracer when `observability.otlp_endpoint`
is set (else nothing is built and nothing is sent). opentelemetry loads only then."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from axo_tui.core.config.schema import Config
from axo_tui.core.events.catalog import Event

if TYPE_CHECKING:
    from axo_tui.core.telemetry.tracing import EventTracer


class ProjectTelemetry:
    """The subscribers to hand to `build_runtime`; `close()` flushes them at the end."""

    def __init__(self, config: Config) -> None:
        self.tracer: EventTracer | None = None
        endpoint = config.observability.otlp_endpoint
        if endpoint:
            from axo_tui.core.telemetry.tracing import otlp_tracer

            self.tracer = otlp_tracer(endpoint)

    @property
    def subscribers(self) -> list[Callable[[Event], None]]:
        return [self.tracer] if self.tracer is not None else []

    def close(self) -> None:
        if self.tracer is not None:
            self.tracer.shutdown()
            self.tracer = None
