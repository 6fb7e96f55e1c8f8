"""The axo config language: `axo.yaml` to a validated, typed, frozen `Config`.

    from axo_tui.core.config import load_config, ConfigError

    try:
        config = load_config("axo.yaml")
    except ConfigError as error:
        for problem in error.problems:  # file, line, column, message, hint, code, severity
            print(problem.render())

See docs/config.md for every key and error code.
"""

from axo_tui.core.config.duration import parse_duration
from axo_tui.core.config.loader import (
    CONFIG_NAMES,
    MAX_BYTES,
    find_config,
    load_config,
    load_config_text,
    readable_state_dir,
)
from axo_tui.core.config.problems import CODES, ConfigError, Problem, Severity
from axo_tui.core.config.schema import (
    DEFAULT_CORE_BLOCKS,
    AgentConfig,
    Config,
    ConsolidationConfig,
    CoreBlockSpec,
    LatticeDefaults,
    LatticeSettings,
    McpServerConfig,
    McpTransport,
    MemorySettings,
    OverflowPolicy,
    ProactiveConfig,
    ProactiveTrigger,
    ProviderConfig,
    ProviderKind,
    RecallSettings,
    Role,
    Sampling,
    ScheduleConfig,
    ScriptedStep,
    ServerConfig,
    SkillConfig,
    SourceSpan,
    TokenBudget,
    TriggerType,
    UpstreamFailurePolicy,
    WorkflowConfig,
)

__all__ = [
    "CODES",
    "CONFIG_NAMES",
    "DEFAULT_CORE_BLOCKS",
    "MAX_BYTES",
    "AgentConfig",
    "Config",
    "ConfigError",
    "ConsolidationConfig",
    "CoreBlockSpec",
    "LatticeDefaults",
    "LatticeSettings",
    "McpServerConfig",
    "McpTransport",
    "MemorySettings",
    "OverflowPolicy",
    "ProactiveConfig",
    "ProactiveTrigger",
    "Problem",
    "ProviderConfig",
    "ProviderKind",
    "RecallSettings",
    "Role",
    "Sampling",
    "ScheduleConfig",
    "ScriptedStep",
    "ServerConfig",
    "Severity",
    "SkillConfig",
    "SourceSpan",
    "TokenBudget",
    "TriggerType",
    "UpstreamFailurePolicy",
    "WorkflowConfig",
    "find_config",
    "load_config",
    "load_config_text",
    "parse_duration",
    "readable_state_dir",
]
