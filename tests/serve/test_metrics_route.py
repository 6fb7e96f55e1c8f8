"""`GET /metrics` over a real socket: the exposition, its content type, the bearer token."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.builders import agent
from tests.support.live_server import live_server

TOKEN = "s3cret-token"


async def test_metrics_count_what_the_served_runtime_did(tmp_path: Path) -> None:
    async with live_server(tmp_path, [agent("a")], tokens=(TOKEN,)) as server:
        await server.runtime.run_agent("a", "hi")
        async with httpx.AsyncClient(base_url=server.http) as client:
            refused = await client.get("/metrics")
            answer = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert refused.status_code == 401
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=1.0.0; charset=utf-8"
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }
    assert samples[("axo_activations_total", (("agent", "a"), ("outcome", "completed")))] == 1
    assert samples[("axo_runs_total", (("status", "completed"),))] == 1
