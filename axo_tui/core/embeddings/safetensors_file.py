"""A minimal reader for the safetensors format, so the embedder needs neither torch nor the
`safetensors` package.

The format is an 8-byte little-endian header length, a JSON header mapping tensor names to
dtype, shape and byte offsets, then the raw little-endian tensor bytes. Nothing in it is
executable, unlike a pickled torch checkpoint.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from axo_tui.core.base.errors import AxoError

_DTYPES: dict[str, str] = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U8": "u1",
    "BOOL": "?",
}

MAX_HEADER_BYTES = 100 * 1024 * 1024
"""A corrupt length field must not make us allocate gigabytes before failing."""


class SafetensorsError(AxoError, ValueError):
    """The file is not a readable safetensors file."""


def read_safetensors(path: Path) -> dict[str, NDArray[np.generic]]:
    """Every tensor in `path`, as read-only arrays backed by a memory map of the file."""
    try:
        with path.open("rb") as handle:
            prefix = handle.read(8)
            if len(prefix) != 8:
                raise SafetensorsError(f"{path}: too short to be a safetensors file")
            (header_len,) = struct.unpack("<Q", prefix)
            if header_len > MAX_HEADER_BYTES:
                raise SafetensorsError(f"{path}: header length {header_len} is implausible")
            header = json.loads(handle.read(header_len))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SafetensorsError(f"{path}: cannot read safetensors header: {exc}") from exc

    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_len)
    tensors: dict[str, NDArray[np.generic]] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(entry.get("dtype", ""))
        if dtype is None:
            raise SafetensorsError(f"{path}: tensor {name!r} has unsupported dtype {entry!r}")
        start, end = entry["data_offsets"]
        shape = tuple(int(dim) for dim in entry["shape"])
        if not 0 <= start <= end <= data.size:
            raise SafetensorsError(f"{path}: tensor {name!r} lies outside the file")
        tensors[name] = data[start:end].view(dtype).reshape(shape)
    return tensors
