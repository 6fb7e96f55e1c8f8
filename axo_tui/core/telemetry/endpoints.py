"""Where an OTLP collector takes spans, shared by the exporter and the doctor's check."""

from __future__ import annotations


def otlp_traces_url(endpoint: str) -> str:
    """Where spans are POSTed: the collector's base URL + `/v1/traces` (unless given)."""
    url = endpoint.rstrip("/")
    return url if url.endswith("/v1/traces") else url + "/v1/traces"
