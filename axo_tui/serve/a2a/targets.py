"""What the config exposes over A2A, and each exposed target's agent card."""

from __future__ import annotations

from dataclasses import dataclass

from a2a.types import a2a_pb2 as pb
from a2a.utils.constants import PROTOCOL_VERSION_0_3, PROTOCOL_VERSION_1_0, TransportProtocol

from axo_tui import __version__
from axo_tui.core.config.schema import AgentConfig, Config, WorkflowConfig

PREFIX = "/a2a"
CARD_PATH = "/.well-known/agent-card.json"
TEXT = "text/plain"


@dataclass(frozen=True)
class Target:
    """An exposed agent (`kind` agent) or workflow (`kind` workflow)."""

    kind: str
    id: str
    name: str
    description: str
    multi_turn: bool = False

    @property
    def path(self) -> str:
        return f"{PREFIX}/{self.id}"


def exposed_targets(config: Config) -> list[Target]:
    """Agents first, then workflows; an id taken by an agent is not exposed twice."""
    targets = [
        Target(
            "agent", a.id, a.display_name, a.description or a.system_prompt[:200], a.a2a.multi_turn
        )
        for a in config.agents
        if a.a2a.expose
    ]
    taken = {t.id for t in targets}
    targets += [
        Target("workflow", w.id, w.name or w.id, w.description or f"the {w.id} workflow")
        for w in config.workflows
        if w.a2a.expose and w.id not in taken
    ]
    return targets


def agent_card(config: Config, target: Target, base_url: str, *, bearer: bool) -> pb.AgentCard:
    """The card generated from the YAML: name, description, skills (from the config's skills
    and the tools of the agents involved), streaming, and bearer auth when a token is set."""
    url = base_url.rstrip("/") + target.path
    interfaces = [
        pb.AgentInterface(url=address, protocol_binding=binding, protocol_version=version)
        for version in (PROTOCOL_VERSION_1_0, PROTOCOL_VERSION_0_3)
        for binding, address in (
            (TransportProtocol.JSONRPC.value, url),
            (TransportProtocol.HTTP_JSON.value, url + "/rest"),
        )
    ]
    card = pb.AgentCard(
        name=target.name,
        description=target.description or f"axo {target.kind} {target.id}",
        supported_interfaces=interfaces,
        version=__version__,
        capabilities=pb.AgentCapabilities(streaming=True, push_notifications=False),
        default_input_modes=[TEXT],
        default_output_modes=[TEXT],
        skills=_skills(config, target),
    )
    if bearer:
        card.security_schemes["bearer"].CopyFrom(
            pb.SecurityScheme(
                http_auth_security_scheme=pb.HTTPAuthSecurityScheme(
                    scheme="bearer", description="the axo API token"
                )
            )
        )
        requirement = card.security_requirements.add()
        requirement.schemes["bearer"].SetInParent()
    return card


def _agents_of(config: Config, target: Target) -> list[AgentConfig]:
    if target.kind == "agent":
        return [config.agent(target.id)]
    workflow: WorkflowConfig = config.workflow(target.id)
    return [config.agent(agent_id) for agent_id in workflow.agents]


def _skills(config: Config, target: Target) -> list[pb.AgentSkill]:
    agents = _agents_of(config, target)
    ids = {a.id for a in agents}
    skills = [
        pb.AgentSkill(
            id=skill.id,
            name=skill.name or skill.id,
            description=skill.description or skill.prompt[:200] or skill.id,
            tags=["skill", *skill.emits],
            input_modes=[TEXT],
            output_modes=[TEXT],
        )
        for skill in config.skills
        if ids & set(skill.agents)
    ]
    tools = sorted({tool for a in agents for tool in (a.tools or ())})
    skills += [
        pb.AgentSkill(
            id=f"tool:{tool}",
            name=tool,
            description=f"uses the tool {tool}",
            tags=["tool"],
            input_modes=[TEXT],
            output_modes=[TEXT],
        )
        for tool in tools
    ]
    if not skills:  # a card lists at least one skill: the target itself
        skills.append(
            pb.AgentSkill(
                id=target.id,
                name=target.name,
                description=target.description or f"axo {target.kind} {target.id}",
                tags=[target.kind],
                input_modes=[TEXT],
                output_modes=[TEXT],
            )
        )
    return skills
