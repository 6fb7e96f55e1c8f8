"""The minimal safetensors reader: round trip, and clear errors for broken files."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from axo_tui.core.embeddings.safetensors_file import SafetensorsError, read_safetensors


def _write(path: Path, header: dict[str, object], body: bytes) -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + body)


def test_round_trip(tmp_path: Path) -> None:
    matrix = np.arange(6, dtype="<f4").reshape(2, 3)
    ids = np.array([7, -1], dtype="<i8")
    body = matrix.tobytes() + ids.tobytes()
    header = {
        "__metadata__": {"format": "pt"},
        "m": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
        "ids": {"dtype": "I64", "shape": [2], "data_offsets": [24, 40]},
    }
    _write(tmp_path / "t.safetensors", header, body)
    tensors = read_safetensors(tmp_path / "t.safetensors")
    np.testing.assert_array_equal(tensors["m"], matrix)
    np.testing.assert_array_equal(tensors["ids"], ids)
    assert set(tensors) == {"m", "ids"}


def test_offsets_past_the_end_are_rejected(tmp_path: Path) -> None:
    _write(
        tmp_path / "t.safetensors",
        {"m": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}},
        b"\0" * 8,
    )
    with pytest.raises(SafetensorsError, match="outside the file"):
        read_safetensors(tmp_path / "t.safetensors")


def test_garbage_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "t.safetensors").write_bytes(b"PK\x03\x04 this is a zip, not safetensors")
    with pytest.raises(SafetensorsError, match=r"t\.safetensors"):
        read_safetensors(tmp_path / "t.safetensors")
