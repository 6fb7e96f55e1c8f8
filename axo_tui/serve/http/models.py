"""The API's request and response bodies, declared for /openapi.json.

Responses are made by the public API's `to_dict()` (the CLI's `--json` shapes, one
serializer); these models only describe them, field for field, so the OpenAPI document is
exact (the schemathesis test holds them to it). Request bodies are strict: unknown fields,
wrong types and missing ones are refused with 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

MAX_INPUT_CHARS = 100_000
"""Longest input text a run takes through the API: the longest valid body, even with
every character JSON-escaped (12 bytes for a surrogate pair), stays under the body limit,
so an overlong text is a 422 naming the field, not a 413."""


def _day(text: str) -> str:
    dt.date.fromisoformat(text)  # a real day: 2024-02-30 is refused (ValueError: 422)
    return text


Day = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="A day, YYYY-MM-DD",
        json_schema_extra={"format": "date"},
    ),
    AfterValidator(_day),
]
"""A calendar day, and only that: pydantic alone would also take a Unix time."""


def _integral(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[int, BeforeValidator(_integral)]
"""An integer, also written as `434.0` (JSON Schema's integer); strict otherwise: a string,
a bool or `4.5` is refused."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------- requests
class ExecuteBody(Strict):
    input: str = Field(max_length=MAX_INPUT_CHARS, description="What the agent is asked.")
    session: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="A chat session name to continue (as `axo run --session`).",
    )


class InputBody(Strict):
    input: str = Field(default="", max_length=MAX_INPUT_CHARS)


class SignalBody(Strict):
    name: str = Field(min_length=1, max_length=200, description="The signal's name.")
    payload: str = Field(default="", max_length=MAX_INPUT_CHARS)


class TurnBody(Strict):
    input: str = Field(min_length=1, max_length=MAX_INPUT_CHARS)


class BlockBody(Strict):
    value: str = Field(max_length=MAX_INPUT_CHARS)


class ForgetBody(Strict):
    before: Day | None = Field(
        default=None, description="Forget only what was recorded before this day (YYYY-MM-DD)."
    )
    core: bool = Field(default=False, description="Also reset its core blocks to the config.")


# ---------------------------------------------------------------- responses
class Health(Out):
    status: Literal["ok"]
    version: str
    project: str


class Agent(Out):
    id: str
    name: str
    role: str
    provider: str
    model: str
    depends_on: list[str]
    tools: list[str]
    per_call: int | None
    per_execution: int | None


class AgentStatus(Out):
    id: str
    state: str
    consecutive_failures: int
    degraded_until: float | None
    activations: int
    failures: int
    last_error: str | None
    last_activated: float | None
    tokens_today: int
    per_execution: int | None


class Workflow(Out):
    id: str
    name: str
    description: str
    agents: list[str]
    entry_point: str | None


class Skill(Out):
    id: str
    name: str
    description: str
    agents: list[str]
    emits: list[str]
    reacts_to: list[str]


class Usage(Out):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class RunResult(Out):
    run_id: str
    kind: str
    target: str
    status: str
    output: str
    outputs: dict[str, str]
    failed: list[str]
    skipped: list[str]
    errors: dict[str, str]
    usage: Usage
    activations: int


class Run(Out):
    id: str
    kind: str
    target: str
    input: str
    status: str
    output: str | None
    error: str | None
    failed: list[str]
    skipped: list[str]
    created_at: float
    finished_at: float | None


class Activation(Out):
    id: str
    run_id: str
    agent_id: str
    trigger: str
    input: str
    status: str
    output: str | None
    error: str | None
    started_at: float
    finished_at: float | None
    session_id: str | None


class RunUsage(Out):
    agent: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None


class RunDetail(Run):
    activations: list[Activation]
    usage: list[RunUsage]


class EventRecord(BaseModel):
    """A journaled event; the fields after `agent_id` depend on its kind."""

    model_config = ConfigDict(extra="allow")
    seq: int
    ts: float
    kind: str
    run_id: str | None
    agent_id: str | None


class UsageRow(Out):
    key: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost_usd: float | None


class UsageTotal(Out):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost_usd: float | None


class UsageReport(Out):
    group_by: str
    run_id: str | None
    since: str | None
    rows: list[UsageRow]
    total: UsageTotal


class Session(Out):
    id: str
    messages: int
    last: float


class CoreBlock(Out):
    label: str
    value: str
    chars: int
    limit: int
    description: str
    shared: bool
    in_config: bool


class RecallCounts(Out):
    own: int
    shared: int
    queued: int


class MemoryView(Out):
    agent: str
    core: list[CoreBlock]
    recall: RecallCounts | None
    activity_days: list[str]
    sessions: list[Session]


class RecallMatch(Out):
    score: float
    text: str
    ts: float
    session_id: str | None
    shared: bool
    reply: str = Field(description="For an exchange: the agent's reply then (unchecked)")


class BlockEdit(Out):
    agent: str
    block: str
    chars: int
    limit: int
    changed: bool


class ForgetReport(Out):
    agent: str
    recall: int
    activity_days: int
    summaries: int
    core_reset: bool


class McpServer(Out):
    """One configured MCP server (`axo mcp servers --json`)."""

    name: str
    transport: Literal["stdio", "http"]
    target: str
    state: Literal["disabled", "starting", "ready", "failed", "stopped"]
    tools: int
    error: str | None
    attempts: int
    retry_in: float | None
    noise: int


class McpTool(Out):
    """One tool of a ready MCP server (`axo mcp tools --json`)."""

    name: str
    server: str
    tool: str
    description: str
    input_schema: dict[str, object]
    read_only: bool
