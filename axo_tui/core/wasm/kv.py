"""Key-value state of WASM agents, by agent name, in SQLite under the data directory.

Keyed by name rather than by deployment, so the state survives restarts, a redeploy and an
undeploy followed by a deploy of the same name.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from axo_tui.core.store.private_files import make_private, private_dir
from axo_tui.core.wasm.abi import Err

MAX_KEYS = 10_000


class KvStore:
    def __init__(self, path: Path | None) -> None:
        if path is not None:
            private_dir(path.parent)
        target = ":memory:" if path is None else str(path)
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        if path is not None:
            make_private(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS kv (agent TEXT NOT NULL, key BLOB NOT NULL, "
            "value BLOB NOT NULL, PRIMARY KEY (agent, key)) WITHOUT ROWID"
        )
        self._lock = threading.Lock()

    def get(self, agent: str, key: bytes) -> bytes | None:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM kv WHERE agent = ? AND key = ?", (agent, key)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def set(self, agent: str, key: bytes, value: bytes) -> int:
        with self._lock:
            exists = self._db.execute(
                "SELECT 1 FROM kv WHERE agent = ? AND key = ?", (agent, key)
            ).fetchone()
            if exists is None:
                (count,) = self._db.execute(
                    "SELECT COUNT(*) FROM kv WHERE agent = ?", (agent,)
                ).fetchone()
                if count >= MAX_KEYS:
                    return Err.TOO_LARGE
            self._db.execute(
                "INSERT OR REPLACE INTO kv (agent, key, value) VALUES (?, ?, ?)",
                (agent, key, value),
            )
        return 0

    def delete(self, agent: str, key: bytes) -> bool:
        with self._lock:
            cursor = self._db.execute("DELETE FROM kv WHERE agent = ? AND key = ?", (agent, key))
        return cursor.rowcount > 0

    def items(self, agent: str) -> dict[bytes, bytes]:
        with self._lock:
            rows = self._db.execute("SELECT key, value FROM kv WHERE agent = ?", (agent,))
            return {bytes(k): bytes(v) for k, v in rows.fetchall()}

    def close(self) -> None:
        with self._lock:
            self._db.close()
