"""`axo doctor` asks the OTLP collector in `observability.otlp_endpoint` whether it answers,
and the egress audit names it as an allowed destination. The collector is a fake on
127.0.0.1 answering OTLP/HTTP at `/v1/traces`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from axo_tui.core.doctor import CheckResult, DoctorOptions, DoctorReport, Status, run_doctor_async
from tests.support.model_server import ModelServer, Reply, closed_port

pytestmark = pytest.mark.asyncio

OTLP_OK = Reply(200, {"content-type": "application/x-protobuf"}, [b""], framing="length")


@pytest.fixture
def collector() -> Iterator[ModelServer]:
    with ModelServer(answers={"/v1/traces": OTLP_OK}) as fake:
        yield fake


async def doctor(tmp_path: Path, endpoint: str | None) -> DoctorReport:
    observability = f"observability:\n  otlp_endpoint: '{endpoint}'\n" if endpoint else ""
    (tmp_path / "axo.yaml").write_text(
        "agents:\n  - {id: a, provider: scripted}\n"
        "providers:\n  scripted: {kind: scripted}\n"
        f"server:\n  port: {closed_port()}\n{observability}",
        encoding="utf-8",
    )
    options = DoctorOptions(config=tmp_path / "axo.yaml", search_dir=tmp_path, network_timeout=2)
    return await run_doctor_async(options)


def row(report: DoctorReport, name: str) -> CheckResult:
    (found,) = [c for c in report.checks if c.name == name]
    return found


async def test_a_collector_that_answers_is_ok_and_an_allowed_destination(
    tmp_path: Path, collector: ModelServer
) -> None:
    report = await doctor(tmp_path, collector.url)
    otlp = row(report, "otlp")
    assert (otlp.status, otlp.message) == (
        Status.OK,
        f"OTLP collector {collector.url}/v1/traces answers (HTTP 200)",
    )
    (probe,) = collector.received("/v1/traces")
    assert probe.method == "POST" and probe.headers["content-type"] == "application/x-protobuf"
    egress = row(report, "egress")
    assert (egress.status, egress.message) == (
        Status.OK,
        f"connected only to configured destinations (OTLP collector 127.0.0.1:{collector.port})",
    )
    assert report.ok


async def test_a_collector_that_is_down_is_a_warning_naming_it(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    report = await doctor(tmp_path, url)
    otlp = row(report, "otlp")
    assert otlp.status is Status.WARN
    assert otlp.message == f"cannot reach OTLP collector {url}/v1/traces: connection refused"
    assert "observability.otlp_endpoint" in (otlp.fix or "")
    assert row(report, "egress").status is Status.OK  # the attempt went where it was allowed
    assert report.ok  # tracing is optional: runs still work


async def test_a_server_that_is_no_collector_is_a_warning(tmp_path: Path) -> None:
    with ModelServer() as not_a_collector:  # 404 for every path
        report = await doctor(tmp_path, not_a_collector.url + "/")
    otlp = row(report, "otlp")
    assert otlp.status is Status.WARN
    assert otlp.message == (
        f"{not_a_collector.url}/v1/traces answered HTTP 404: not an OTLP/HTTP collector"
    )


async def test_without_an_endpoint_there_is_no_row_and_no_traffic(tmp_path: Path) -> None:
    report = await doctor(tmp_path, None)
    assert [c for c in report.checks if c.name == "otlp"] == []
    assert row(report, "egress").message == "no network connections were made"
