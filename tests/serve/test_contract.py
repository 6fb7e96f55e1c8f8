"""schemathesis against /openapi.json of a served project: examples generated from the
document (valid and invalid) find no server error and no response that the document does not
declare, status or body. A bounded number of examples per route keeps it a few seconds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.support.served_project import served, write_scripted

EXAMPLES = 12


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    project = write_scripted(tmp_path_factory.mktemp("contract"))
    with served(project) as url:
        yield schemathesis.openapi.from_url(f"{url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_route_keeps_its_contract(case: schemathesis.Case) -> None:
    if case.path == "/api/events/stream":  # endless: a second of it shows its shape
        case.call_and_validate(timeout=1)
    else:
        case.call_and_validate()
