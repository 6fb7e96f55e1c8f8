"""The keys each config section accepts (Axocoatl-compatible).

One table, so the loader, the docs test and `axo validate` agree on what exists.
"""

from __future__ import annotations

TOP_LEVEL = (
    "name",
    "agents",
    "workflows",
    "skills",
    "providers",
    "mcp_servers",
    "schedules",
    "proactive",
    "consolidation",
    "server",
    "lattice",
    "data_dir",
    "sandbox",
    "approvals",
    "observability",
    "tools",
)
AGENT = (
    "id",
    "name",
    "description",
    "provider",
    "model",
    "role",
    "system_prompt",
    "depends_on",
    "tools",
    "token_budget",
    "sampling",
    "memory",
    "lattice",
    "on_upstream_failure",
    "max_tool_rounds",
    "writes",
    "approvals",
    "url",
    "a2a",
    "kind",
    "module",
    "limits",
)
WASM_LIMITS = ("fuel", "memory_mb", "timeout_ms")
TOKEN_BUDGET = ("per_call", "per_execution", "overflow_policy")
SAMPLING = ("max_tokens", "temperature", "top_p")
MEMORY = ("core", "recall", "tools", "compaction")
MEMORY_CORE = ("blocks",)
CORE_BLOCK = ("label", "limit", "description", "shared", "value")
RECALL = ("passive_inject", "top_k", "min_score", "share")
MEMORY_COMPACTION = ("summarise",)
LATTICE = ("threshold", "decay")
PROJECT_LATTICE = (*LATTICE, "backend", "nats", "placement")
NATS = (
    "servers",
    "token",
    "credentials",
    "tls",
    "node",
    "lease_secs",
    "replicas",
    "prefix",
    "dedupe_window_secs",
    "run_ttl_secs",
)
NATS_TLS = ("ca", "cert", "key")
WORKFLOW = (
    "id",
    "name",
    "description",
    "agents",
    "entry_point",
    "max_activations",
    "a2a",
    "htn_methods_file",
    "htn_state",
)
A2A = ("expose", "multi_turn", "headers", "timeout_secs", "deadline_secs", "max_retries")
WORKFLOW_A2A = ("expose",)
SKILL = ("id", "name", "description", "emits", "reacts_to", "agents", "prompt")
PROVIDER = (
    "kind",
    "base_url",
    "api_key",
    "model",
    "model_path",
    "timeout_secs",
    "deadline_secs",
    "max_reply_chars",
    "max_retries",
    "fallback",
    "headers",
    "prices",
    "script",
    "replies",
    "context_window",
)
PRICE = ("input", "output")
SCRIPTED_STEP = ("text", "tool_calls", "usage")
TOOL_CALL = ("name", "arguments")
USAGE = ("prompt", "completion")
SCHEDULE = ("id", "name", "workflow", "every", "input", "enabled")
PROACTIVE = ("id", "name", "agent", "trigger", "input", "enabled")
TRIGGER = ("type", "every", "event", "cooldown_secs")
MCP_SERVER = (
    "name",
    "id",
    "transport",
    "command",
    "args",
    "env",
    "url",
    "headers",
    "enabled",
    "start_timeout_secs",
    "call_timeout_secs",
    "tools",
)
CONSOLIDATION = ("enabled", "idle_threshold_secs", "interval_secs")
SERVER = ("host", "port", "auth", "cors_origins", "token")
SERVER_AUTH = ("api_keys",)
APPROVALS = ("timeout_secs", "tools")
TOOL = (
    "name",
    "wasm",
    "description",
    "parameters",
    "grants",
    "sha256",
    "limits",
    "max_output_chars",
)
TOOL_GRANTS = ("dirs", "env")
DIR_GRANT = ("path", "as", "mode")
OBSERVABILITY = ("otlp_endpoint",)

ALL_SECTIONS: dict[str, tuple[str, ...]] = {
    "top level": TOP_LEVEL,
    "agent": AGENT,
    "token_budget": TOKEN_BUDGET,
    "sampling": SAMPLING,
    "memory": MEMORY,
    "memory.core": MEMORY_CORE,
    "core block": CORE_BLOCK,
    "recall": RECALL,
    "memory.compaction": MEMORY_COMPACTION,
    "lattice": PROJECT_LATTICE,
    "lattice.nats": NATS,
    "lattice.nats.tls": NATS_TLS,
    "workflow": WORKFLOW,
    "a2a": A2A,
    "workflow a2a": WORKFLOW_A2A,
    "skill": SKILL,
    "provider": PROVIDER,
    "price": PRICE,
    "scripted step": SCRIPTED_STEP,
    "tool call": TOOL_CALL,
    "usage": USAGE,
    "schedule": SCHEDULE,
    "proactive": PROACTIVE,
    "trigger": TRIGGER,
    "mcp server": MCP_SERVER,
    "consolidation": CONSOLIDATION,
    "server": SERVER,
    "server.auth": SERVER_AUTH,
    "approvals": APPROVALS,
    "tool": TOOL,
    "tool grants": TOOL_GRANTS,
    "directory grant": DIR_GRANT,
    "observability": OBSERVABILITY,
}
