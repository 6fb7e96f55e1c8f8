"""Integer fields of request bodies take what JSON Schema calls an integer (`434.0` too, as
schemathesis and other clients may send it) and refuse anything else."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from axo_tui.serve.http.routes_wasm import Limits


def test_an_integral_float_is_a_whole_number() -> None:
    limits = Limits.model_validate({"fuel": 434.0, "sends_per_call": 7})
    assert (limits.fuel, limits.sends_per_call) == (434, 7)
    assert isinstance(limits.fuel, int)


@pytest.mark.parametrize("value", [4.5, "434", True, None])
def test_anything_else_is_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        Limits.model_validate({"fuel": value})
