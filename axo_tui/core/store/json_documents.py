"""Reading a folder of JSON documents, one object per file, as several stores keep them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def json_documents(directory: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every `*.json` file in `directory` holding an object, with that object, by name.
    Unreadable files and other JSON values are skipped: not provably ours, so nobody
    deletes them on that basis."""
    try:
        paths = sorted(directory.glob("*.json"))
    except OSError:
        return
    for path in paths:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(document, dict):
            yield path, document
