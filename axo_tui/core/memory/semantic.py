"""Tier 4: semantic recall, past exchanges and facts found by meaning, in chromadb.

    <state_dir>/memory/semantic/        a chromadb PersistentClient
        collection agent-<id>           one per agent
        collection team-shared          memories every agent may recall

Vectors are always computed here, by the configured `Embedder` (the embedded MiniLM unless
told otherwise), and handed to chromadb explicitly; collections are created with
`embedding_function=None`. chromadb's default embedding function downloads a model at run
time, which axo must never do. Each collection records the embedder's name and dimension in
its metadata, and a store opened with a different embedder refuses with a clear message:
vectors of two models are not comparable, and mixing them would make recall silently wrong.

chromadb (slow to import) and the embedder are loaded on first use, never at import time:
`axo --help` must not pay for them, and a runtime whose agents never recall anything never
loads them. Every method here is blocking; the async memory service runs them in a thread.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from axo_tui.core.base.errors import AxoError
from axo_tui.core.store.private_files import make_private, private_dir

if TYPE_CHECKING:
    from axo_tui.core.embeddings.base import Embedder

T = TypeVar("T")
SHARED_COLLECTION = "team-shared"
NAMES_TTL_SECS = 2.0
EXCLUDE_OVERFETCH = 4
"""Neighbours fetched per wanted hit when the current session's memories are dropped."""
QUERY_CHARS = 320
"""A query is embedded from at most this many characters: its start and its end. MiniLM's
forward pass grows with the text and a turn waits for it; the start and the end of a long
message (a pasted log with the question after it) carry what it is about."""
_NAME_OK = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$")
_import_lock = threading.Lock()
_libraries_loaded = False


def load_libraries() -> None:
    """Import numpy and chromadb, one thread at a time. numpy's first import is not
    thread-safe: the store and recall workers both reach it on first use, and the loser saw
    "partially initialized module 'numpy._typing'", which turned recall off and lost the
    exchanges of that run. Later calls cost one flag check."""
    global _libraries_loaded
    if _libraries_loaded:
        return
    with _import_lock:
        if not _libraries_loaded:
            import chromadb  # noqa: F401  (imports numpy)
            import numpy  # noqa: F401

            import axo_tui.core.embeddings.base  # noqa: F401

            _libraries_loaded = True


class SemanticMemoryError(AxoError):
    """Recall cannot work (no embedder, mismatched vectors, a damaged store); says why."""


@dataclass(frozen=True)
class RecallHit:
    id: str
    text: str
    score: float
    """Cosine similarity to the query: 1 is identical, 0 unrelated."""
    ts: float
    agent_id: str
    session_id: str = ""
    shared: bool = False
    reply: str = ""
    """For an exchange: the agent's own reply then, which `text` (what the user said) does
    not include. Unchecked: a small model's answer may be wrong, so it is never shown as a
    fact."""


@dataclass(frozen=True)
class PendingMemory:
    """A text to store for an agent, with its metadata (session_id, run_id, day, kind)."""

    id: str
    agent_id: str
    text: str
    metadata: dict[str, str | float | int | bool]
    shared: bool = False


def collection_name(agent_id: str) -> str:
    """A chromadb-legal collection name for an agent (3-512 of [a-zA-Z0-9._-], alnum ends)."""
    name = f"agent-{agent_id}"
    if _NAME_OK.match(name):
        return name
    # Anything else is slugged and made unique again by a hash of the real id.
    slug = re.sub(r"[^a-zA-Z0-9._-]+", "-", agent_id)[:400].strip("-._")
    digest = hashlib.sha256(agent_id.encode("utf-8")).hexdigest()[:10]
    return f"agent-{slug}-{digest}" if slug else f"agent-{digest}"


def default_embedder() -> Embedder:
    from axo_tui.core.embeddings.minilm import MiniLMEmbedder

    return MiniLMEmbedder()


class SemanticMemory:
    """One chromadb store; collections per agent plus the shared one."""

    def __init__(
        self,
        path: Path,
        *,
        embedder: Embedder | None = None,
        embedder_factory: Callable[[], Embedder] = default_embedder,
    ) -> None:
        self.path = path
        self._embedder = embedder
        self._embedder_factory = embedder_factory
        self._client: Any = None
        self._collections: dict[str, Any] = {}
        self._sessions: dict[str, _Sessions] = {}
        """collection -> what is known of the sessions in it; see `_other_sessions`."""
        self._known_names: tuple[float, set[str]] | None = None
        # chromadb's Python client is not documented as thread-safe; every call goes through
        # one lock (calls are milliseconds, so this costs nothing in practice).
        self._lock = threading.RLock()

    # --------------------------------------------------------------- opening
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            load_libraries()  # the factory imports the model's module, and with it numpy
            with self._lock:
                if self._embedder is None:
                    self._embedder = self._embedder_factory()
        return self._embedder

    def exists(self) -> bool:
        """Whether anything was ever stored here (checked without importing chromadb)."""
        return (self.path / "chroma.sqlite3").exists()

    def _open(self) -> Any:
        if self._client is None:
            load_libraries()
            import chromadb
            from chromadb.config import Settings

            private_dir(self.path)
            try:
                # No telemetry: nothing in axo phones home.
                self._client = chromadb.PersistentClient(
                    path=str(self.path), settings=Settings(anonymized_telemetry=False)
                )
            except Exception as exc:
                raise SemanticMemoryError(
                    f"cannot open the semantic memory store {self.path}: {exc}"
                ) from exc
            make_private(self.path, tree=True)  # chromadb's files follow the umask (0644)
        return self._client

    def _collection(self, name: str, agent_id: str, dimension: int, *, create: bool) -> Any:
        cached = self._collections.get(name)
        if cached is not None:
            self._check_embedder(cached, dimension)
            return cached
        client = self._open()
        # `create` skips the listing: get_or_create answers it, and listing every
        # collection for each new one made storing for N agents O(N²).
        if not create and name not in self._names():
            return None
        embedder = self.embedder
        collection = client.get_or_create_collection(
            name,
            embedding_function=None,  # never chromadb's default: it downloads a model
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"agent_id": agent_id, "embedder": embedder.name, "dimension": dimension},
        )
        self._check_embedder(collection, dimension)
        self._collections[name] = collection
        if self._known_names is not None:
            self._known_names[1].add(name)  # known now, without listing them all again
        return collection

    def _names(self) -> set[str]:
        """Collection names, listed again at most every NAMES_TTL_SECS: a recall should not
        pay a listing each time, but another process (`axo memory forget`, a second
        runtime) may create or delete collections."""
        now = time.monotonic()
        if self._known_names is None or now - self._known_names[0] > NAMES_TTL_SECS:
            names = {c.name for c in self._open().list_collections()}
            self._known_names = (now, names)
        return self._known_names[1]

    def _forget_cached(self) -> None:
        self._collections.clear()
        self._sessions.clear()
        self._known_names = None

    def _check_embedder(self, collection: Any, dimension: int) -> None:
        metadata = collection.metadata or {}
        stored_name = metadata.get("embedder")
        stored_dim = metadata.get("dimension")
        name = self.embedder.name
        if stored_name != name or (stored_dim is not None and int(stored_dim) != dimension):
            raise SemanticMemoryError(
                f"semantic memory '{collection.name}' in {self.path} holds vectors from "
                f"{stored_name} ({stored_dim} dimensions), but the embedder now is {name} "
                f"({dimension}); vectors of different models cannot be mixed. Switch the "
                "embedder back, or start this memory over with `axo memory forget AGENT`."
            )

    def _embed(self, texts: Sequence[str]) -> Any:
        load_libraries()
        from axo_tui.core.embeddings.base import EmbeddingError

        try:
            return self.embedder.embed_sync(list(texts))
        except EmbeddingError as exc:
            raise SemanticMemoryError(f"semantic recall is unavailable: {exc}") from exc

    # ----------------------------------------------------------------- write
    def add(
        self,
        agent_id: str,
        texts: Sequence[str],
        *,
        metadatas: Sequence[dict[str, str | float | int | bool]] | None = None,
        shared: bool = False,
    ) -> list[str]:
        """Embed and store `texts`. Returns their ids."""
        entries = [
            PendingMemory(
                uuid.uuid4().hex,
                agent_id,
                text,
                dict(metadatas[index]) if metadatas is not None else {},
                shared,
            )
            for index, text in enumerate(texts)
        ]
        self.add_many(entries)
        return [entry.id for entry in entries]

    def _add_many(self, entries: Sequence[PendingMemory]) -> None:
        if not entries:
            return
        vectors = self._embed([entry.text for entry in entries])
        now = time.time()
        groups: dict[tuple[str, bool], list[int]] = {}
        for index, entry in enumerate(entries):
            groups.setdefault((entry.agent_id, entry.shared), []).append(index)
        with self._lock:
            for (agent_id, shared), indexes in groups.items():
                name = SHARED_COLLECTION if shared else collection_name(agent_id)
                dimension = int(vectors.shape[1])
                collection = self._collection(name, agent_id, dimension, create=True)
                # upsert: an entry replayed from the spool after a crash replaces itself.
                collection.upsert(
                    ids=[entries[i].id for i in indexes],
                    embeddings=vectors[indexes],
                    documents=[entries[i].text for i in indexes],
                    metadatas=[
                        {"ts": now, "agent_id": agent_id, "session_id": "", **entries[i].metadata}
                        for i in indexes
                    ],
                )
                keys = {
                    _session_key(agent_id, str(entries[i].metadata.get("session_id", "")))
                    for i in indexes
                }
                self._note_sessions(name, keys)

    # ------------------------------------------------------------------ read
    def search(
        self,
        agent_id: str,
        query: str,
        k: int = 5,
        *,
        min_score: float = 0.0,
        include_shared: bool = True,
        exclude_session: str | None = None,
    ) -> list[RecallHit]:
        """The `k` memories closest to `query`, best first, scoring at least `min_score`;
        with `exclude_session`, none from that session (the one the caller is in)."""
        return self._retrying(
            lambda: self._search(
                agent_id,
                query,
                k,
                min_score=min_score,
                include_shared=include_shared,
                exclude_session=exclude_session,
            )
        )

    def add_many(self, entries: Sequence[PendingMemory]) -> None:
        """Store several memories with one forward pass (a burst of turns, an import)."""
        self._retrying(lambda: self._add_many(entries))

    def _retrying(self, action: Callable[[], T]) -> T:
        """Run `action`; if a collection it used was deleted meanwhile (by `axo memory
        forget` in another process), forget the cached handles and try once more."""
        try:
            return action()
        except Exception as exc:
            if "NotFound" not in type(exc).__name__ and "does not exist" not in str(exc):
                raise
        with self._lock:
            self._forget_cached()
        return action()

    def _search(
        self,
        agent_id: str,
        query: str,
        k: int = 5,
        *,
        min_score: float = 0.0,
        include_shared: bool = True,
        exclude_session: str | None = None,
    ) -> list[RecallHit]:
        if not self.exists() or k <= 0 or not query.strip():
            return []
        names = [collection_name(agent_id)] + ([SHARED_COLLECTION] if include_shared else [])
        if exclude_session is not None and not self._other_sessions(
            names, agent_id, exclude_session
        ):
            # Nothing but this very session is stored (a fresh agent, one long run): skip the
            # forward pass, which is most of the cost of a recall.
            return []
        vector = self._embed([query_text(query)])
        dimension = int(vector.shape[1])
        # The current session is dropped after the query rather than by a `where` filter:
        # chromadb pre-filters on metadata, which at 10k memories costs several times the
        # vector search itself. Over-fetching a few more neighbours is much cheaper.
        fetch = k * EXCLUDE_OVERFETCH if exclude_session else k
        hits: list[RecallHit] = []
        with self._lock:
            for name in names:
                collection = self._collection(name, agent_id, dimension, create=False)
                if collection is None:
                    continue
                result = collection.query(
                    query_embeddings=vector,
                    n_results=fetch,
                    include=["documents", "metadatas", "distances"],
                )
                hits.extend(_hits(result, shared=name == SHARED_COLLECTION))
        hits = [
            hit
            for hit in hits
            if hit.score >= min_score
            # Only the caller's own session: another agent's shared memory from a session
            # that happens to have the same name (`trip`, `main`) is news to this one.
            and not (hit.session_id == exclude_session and hit.agent_id == agent_id)
        ]
        hits.sort(key=lambda hit: hit.score, reverse=True)
        return hits[:k]

    def _other_sessions(self, names: list[str], agent_id: str, session_id: str) -> bool:
        """Whether any of the collections holds a memory that is not from this agent's
        `session_id` (else a recall could only find what the conversation already holds).

        Never reads a collection whole: at 100k memories that takes seconds (and chromadb
        1.5 refuses it with "too many SQL variables"). A one-row filtered query answers it,
        and its answer is cached: once two different (agent, session) pairs are known to be
        in a collection, every caller has another one, for good (until `forget`); a "no" is
        asked again only when the collection's count changed."""
        wanted = _session_key(agent_id, session_id)
        with self._lock:
            existing = self._names()
            for name in names:
                if name not in existing:
                    continue
                seen = self._sessions.setdefault(name, _Sessions())
                if seen.keys - {wanted}:
                    return True
                collection = self._collections.get(name)
                if collection is None:
                    collection = self._open().get_collection(name, embedding_function=None)
                count = int(collection.count())
                if seen.checked == (count, wanted):
                    continue
                others = _other_keys(collection, agent_id, session_id)
                # Nothing else but not empty: the caller's own pair is all there is.
                seen.keys |= others or ({wanted} if count else set())
                seen.checked = (count, wanted)
                if seen.keys - {wanted}:
                    return True
        return False

    def _note_sessions(self, name: str, keys: set[str]) -> None:
        """After this process stored into `name`: what it stored is known without asking."""
        self._sessions.setdefault(name, _Sessions()).keys |= keys

    def count(self, agent_id: str, *, shared: bool = False) -> int:
        if not self.exists():
            return 0
        name = SHARED_COLLECTION if shared else collection_name(agent_id)
        with self._lock:
            client = self._open()
            if name not in {c.name for c in client.list_collections()}:
                return 0
            return int(client.get_collection(name, embedding_function=None).count())

    def forget(self, agent_id: str, *, before: float | None = None) -> int:
        """Delete the agent's memories (those stored before the `before` timestamp when
        given). Returns how many were deleted. Shared memories are not touched."""
        if not self.exists():
            return 0
        name = collection_name(agent_id)
        with self._lock:
            client = self._open()
            if name not in {c.name for c in client.list_collections()}:
                return 0
            collection = client.get_collection(name, embedding_function=None)
            if before is None:
                count = int(collection.count())
                client.delete_collection(name)
                self._forget_cached()
                return count
            doomed = collection.get(where={"ts": {"$lt": before}}, include=[])
            ids = list(doomed["ids"])
            if ids:
                collection.delete(ids=ids)
                self._sessions.pop(name, None)  # the sessions known to be in it may be gone
            return len(ids)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
            self._collections.clear()
        close_embedder = getattr(self._embedder, "close", None)  # its threads, if it has any
        if close_embedder is not None:
            close_embedder()
        if client is not None:
            close = getattr(client, "close", None)  # chromadb >= 1.4 releases the SQLite file
            if close is not None:
                close()
            make_private(self.path, tree=True)  # and the segment files written since


def query_text(query: str) -> str:
    """What is embedded for `query`: all of it, or its start and end (see QUERY_CHARS)."""
    query = query.strip()
    if len(query) <= QUERY_CHARS:
        return query
    half = QUERY_CHARS // 2
    return f"{query[:half]} ... {query[-half:]}"


def _session_key(agent_id: str, session_id: str) -> str:
    return f"{agent_id}\x00{session_id}"


@dataclass
class _Sessions:
    """What `_other_sessions` knows of one collection."""

    keys: set[str] = field(default_factory=set)
    """(agent, session) pairs known to be stored in it."""
    checked: tuple[int, str] | None = None
    """(count, caller's pair) of the last query that found nothing else."""


def _other_keys(collection: Any, agent_id: str, session_id: str) -> set[str]:
    """The pair of one memory not from (agent_id, session_id), if there is one."""
    found = collection.get(
        where={"$or": [{"agent_id": {"$ne": agent_id}}, {"session_id": {"$ne": session_id}}]},
        limit=1,
        include=["metadatas"],
    )
    return {
        _session_key(str(meta.get("agent_id", "")), str(meta.get("session_id", "")))
        for meta in (m or {} for m in found.get("metadatas") or [])
    }


def _hits(result: Any, *, shared: bool) -> list[RecallHit]:
    hits = []
    ids = result["ids"][0]
    documents = (result.get("documents") or [[]])[0]
    metadatas = (result.get("metadatas") or [[]])[0]
    distances = (result.get("distances") or [[]])[0]
    for index, memory_id in enumerate(ids):
        meta = metadatas[index] or {}
        text, reply = split_exchange(str(documents[index] or ""), meta)
        hits.append(
            RecallHit(
                id=str(memory_id),
                text=text,
                # cosine space: distance = 1 - cosine similarity
                score=round(1.0 - float(distances[index]), 4),
                ts=float(meta.get("ts", 0.0)),
                agent_id=str(meta.get("agent_id", "")),
                session_id=str(meta.get("session_id", "")),
                shared=shared,
                reply=reply,
            )
        )
    return hits


def split_exchange(document: str, metadata: dict[str, Any]) -> tuple[str, str]:
    """(what the user said, the agent's reply) of a stored memory. Exchanges are stored as
    the user's words with the reply in the metadata; older ones as one text, "user: ...\n
    assistant: ...", which is split here so that no reply is ever recalled as a fact."""
    reply = str(metadata.get("reply", ""))
    legacy = metadata.get("kind") == "exchange" and "said_by" not in metadata
    if legacy and document.startswith("user: "):
        user, separator, old_reply = document[len("user: ") :].partition("\nassistant: ")
        if separator:
            return user, reply or old_reply
    return document, reply
