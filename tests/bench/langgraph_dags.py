"""The benchmark DAGs as LangGraph graphs with a SQLite checkpointer, for a fair comparison.

Imported only when `langgraph` and `langgraph-checkpoint-sqlite` are installed (they live in
`.venv-bench`, made by `tests/bench/setup_bench_env.sh`), never by the product.

Each node does what the scripted provider does in axo, minus the bookkeeping axo adds around
it: it reads its upstream outputs from the state, builds the same prompt text axo's engine
builds (the input plus "Context from upstream agents"), and returns a small fixed string.
State is durable: every superstep is checkpointed to a SQLite file (WAL, synchronous=NORMAL,
the same settings as axo's journal), each run on its own `thread_id`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

import aiosqlite
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, StateGraph

Durability = Literal["sync", "async", "exit"]


def _merge(left: dict[str, str], right: dict[str, str]) -> dict[str, str]:
    return {**left, **right}


class DagState(TypedDict):
    input: str
    outputs: Annotated[dict[str, str], _merge]


def _prompt(state: DagState, deps: Sequence[str]) -> str:
    # The same text axo's compose_user_message builds for a workflow step.
    if not deps:
        return state["input"]
    context = "\n\n".join(f"[{dep}]\n{state['outputs'][dep]}" for dep in deps)
    return f"{state['input']}\n\nContext from upstream agents:\n{context}"


def _sync_node(name: str, deps: tuple[str, ...], reply: str) -> Callable[[DagState], Any]:
    def node(state: DagState) -> dict[str, dict[str, str]]:
        if not _prompt(state, deps):
            raise RuntimeError("empty prompt")
        return {"outputs": {name: reply}}

    return node


def _async_node(
    name: str, deps: tuple[str, ...], reply: str
) -> Callable[[DagState], Awaitable[Any]]:
    async def node(state: DagState) -> dict[str, dict[str, str]]:
        if not _prompt(state, deps):
            raise RuntimeError("empty prompt")
        return {"outputs": {name: reply}}

    return node


def build_graph(
    nodes: Sequence[str],
    deps: Mapping[str, tuple[str, ...]],
    replies: Mapping[str, str],
    *,
    asynchronous: bool,
) -> StateGraph[Any]:
    """The DAG as a StateGraph: a node with several deps waits for all of them (a join)."""
    builder: StateGraph[Any] = StateGraph(DagState)
    for name in nodes:
        make = _async_node if asynchronous else _sync_node
        builder.add_node(name, make(name, deps[name], replies[name]))
    depended_on = {dep for name in nodes for dep in deps[name]}
    for name in nodes:
        upstream = deps[name]
        if not upstream:
            builder.add_edge(START, name)
        elif len(upstream) == 1:
            builder.add_edge(upstream[0], name)
        else:
            builder.add_edge(list(upstream), name)
        if name not in depended_on:
            builder.add_edge(name, END)
    return builder


def _tune(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")


class SyncLangGraphDag:
    """`graph.invoke` with `SqliteSaver` on a file."""

    def __init__(
        self,
        nodes: Sequence[str],
        deps: Mapping[str, tuple[str, ...]],
        replies: Mapping[str, str],
        db_path: Path,
        *,
        durability: Durability = "sync",
    ) -> None:
        self._conn = sqlite3.connect(str(db_path), check_same_thread=False)
        _tune(self._conn)
        saver = SqliteSaver(self._conn)
        saver.setup()
        self._graph = build_graph(nodes, deps, replies, asynchronous=False).compile(
            checkpointer=saver
        )
        self._durability = durability
        self._runs = 0

    def run(self, input_text: str) -> dict[str, str]:
        self._runs += 1
        config = {"configurable": {"thread_id": f"run-{self._runs}"}}
        state = self._graph.invoke(
            {"input": input_text, "outputs": {}}, config, durability=self._durability
        )
        return dict(state["outputs"])

    def close(self) -> None:
        self._conn.close()


class AsyncLangGraphDag:
    """`graph.ainvoke` with `AsyncSqliteSaver` (aiosqlite) on a file. Use `await create()`."""

    def __init__(self) -> None:
        self._conn: aiosqlite.Connection | None = None
        self._graph: Any = None
        self._durability: Durability = "sync"
        self._runs = 0

    @classmethod
    async def create(
        cls,
        nodes: Sequence[str],
        deps: Mapping[str, tuple[str, ...]],
        replies: Mapping[str, str],
        db_path: Path,
        *,
        durability: Durability = "sync",
    ) -> AsyncLangGraphDag:
        self = cls()
        self._conn = await aiosqlite.connect(str(db_path))
        await self._conn.execute("PRAGMA journal_mode=WAL")
        await self._conn.execute("PRAGMA synchronous=NORMAL")
        saver = AsyncSqliteSaver(self._conn)
        await saver.setup()
        self._graph = build_graph(nodes, deps, replies, asynchronous=True).compile(
            checkpointer=saver
        )
        self._durability = durability
        return self

    async def run(self, input_text: str) -> dict[str, str]:
        self._runs += 1
        config = {"configurable": {"thread_id": f"run-{self._runs}"}}
        state = await self._graph.ainvoke(
            {"input": input_text, "outputs": {}}, config, durability=self._durability
        )
        return dict(state["outputs"])

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
