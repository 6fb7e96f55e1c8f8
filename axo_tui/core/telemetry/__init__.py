"""Metrics, traces and logs, all made from the runtime's events (docs/observability.md).

Every part is an event subscriber: `build_runtime(config, subscribers=[...])` or
`runtime.watch(...)` hands it the events; the engine never calls it. prometheus_client and
opentelemetry are imported only by the modules that need them (`metrics`, `tracing`).
"""
