"""Read the key/value metadata at the start of a GGUF model file, without llama.cpp.

The local provider uses it to reject a path that is not a GGUF with a clear message before
llama.cpp sees it, and to answer `context_window()` without loading the model. Only scalars and
strings are kept; arrays (the tokenizer's vocabulary, tens of thousands of strings) are skipped.
Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from axo_tui.core.base.errors import AxoError

MAGIC = b"GGUF"

_SCALARS: dict[int, str] = {
    0: "<B",  # uint8
    1: "<b",  # int8
    2: "<H",  # uint16
    3: "<h",  # int16
    4: "<I",  # uint32
    5: "<i",  # int32
    6: "<f",  # float32
    7: "<?",  # bool
    10: "<Q",  # uint64
    11: "<q",  # int64
    12: "<d",  # float64
}
_STRING = 8
_ARRAY = 9
MAX_STRING = 16 * 1024 * 1024
"""Longer than any real metadata string (chat templates are a few KB): a sign of corruption."""

Value = int | float | bool | str


class GgufError(AxoError, ValueError):
    """The file is not a GGUF file, or its header is damaged."""


def read_gguf_metadata(path: Path) -> dict[str, Value]:
    """The scalar and string metadata of a GGUF file (e.g. `llama.context_length`)."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
            if magic != MAGIC:
                raise GgufError(
                    f"{path} is not a GGUF model file (it starts with {magic!r}, not b'GGUF')"
                )
            (version,) = _unpack(handle, "<I")
            if version < 2:
                raise GgufError(f"{path} is GGUF version {version}; only 2 and later are read")
            _tensor_count, kv_count = _unpack(handle, "<QQ")
            metadata: dict[str, Value] = {}
            for _ in range(kv_count):
                key = _read_string(handle)
                (kind,) = _unpack(handle, "<I")
                value = _read_value(handle, kind)
                if value is not None:
                    metadata[key] = value
            return metadata
    except OSError as exc:
        raise GgufError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (struct.error, UnicodeDecodeError) as exc:
        raise GgufError(f"{path}: the GGUF header is damaged ({exc})") from exc


def context_length(metadata: dict[str, Value]) -> int | None:
    """The context length the model was trained with (`<architecture>.context_length`)."""
    architecture = metadata.get("general.architecture")
    value = metadata.get(f"{architecture}.context_length")
    return int(value) if isinstance(value, int) and value > 0 else None


def _unpack(handle: BinaryIO, fmt: str) -> tuple[int, ...]:
    size = struct.calcsize(fmt)
    raw = handle.read(size)
    if len(raw) != size:
        raise struct.error("unexpected end of file")
    return struct.unpack(fmt, raw)


def _read_string(handle: BinaryIO) -> str:
    (length,) = _unpack(handle, "<Q")
    if length > MAX_STRING:
        raise struct.error(f"string of {length} bytes")
    raw = handle.read(length)
    if len(raw) != length:
        raise struct.error("unexpected end of file")
    return raw.decode("utf-8")


def _read_value(handle: BinaryIO, kind: int) -> Value | None:
    if kind in _SCALARS:
        value: Value = struct.unpack(_SCALARS[kind], handle.read(struct.calcsize(_SCALARS[kind])))[
            0
        ]
        return value
    if kind == _STRING:
        return _read_string(handle)
    if kind == _ARRAY:
        item_kind, count = _unpack(handle, "<IQ")
        if item_kind in _SCALARS:
            handle.seek(struct.calcsize(_SCALARS[item_kind]) * count, 1)
        else:
            for _ in range(count):
                _read_value(handle, item_kind)
        return None
    raise struct.error(f"unknown value type {kind}")
