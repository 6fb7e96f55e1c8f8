"""The names a project uses on NATS: streams, buckets, subjects and keys, from its prefix.

Ids may hold characters subjects and keys cannot (`.` splits a subject into tokens), so each
id becomes one token: letters, digits, `_` and `-` stay, anything else is `=` and its hex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEEP = re.compile(r"[A-Za-z0-9_-]")


def token(text: str | None) -> str:
    """One subject token (and KV key part) for an id; `-` for none."""
    if not text:
        return "-"
    return "".join(
        char if _KEEP.fullmatch(char) else "".join(f"={byte:02x}" for byte in char.encode())
        for char in text
    )


@dataclass(frozen=True)
class Names:
    prefix: str

    @property
    def events_stream(self) -> str:
        return f"{self.prefix}_events"

    @property
    def work_stream(self) -> str:
        return f"{self.prefix}_work"

    @property
    def runs_bucket(self) -> str:
        return f"{self.prefix}_runs"

    @property
    def field_bucket(self) -> str:
        return f"{self.prefix}_field"

    @property
    def events_subjects(self) -> str:
        return f"{self.prefix}.events.>"

    def event_subject(self, kind: str, run_id: str | None, agent_id: str | None) -> str:
        """`<prefix>.events.<run>.<agent>.<kind>`: filter a run with `<prefix>.events.R.>`,
        an agent with `<prefix>.events.*.A.>`, a kind with `<prefix>.events.*.*.agent.completed`."""
        return f"{self.prefix}.events.{token(run_id)}.{token(agent_id)}.{kind}"

    def run_events(self, run_id: str) -> str:
        return f"{self.prefix}.events.{token(run_id)}.>"

    @property
    def work_subjects(self) -> str:
        return f"{self.prefix}.work.>"

    def work_subject(self, agent_id: str, run_id: str) -> str:
        return f"{self.prefix}.work.{token(agent_id)}.{token(run_id)}"

    def work_filter(self, agent_id: str) -> str:
        return f"{self.prefix}.work.{token(agent_id)}.*"

    def work_consumer(self, agent_id: str) -> str:
        return f"work_{token(agent_id)}"

    def ambient_subject(self, agent_id: str) -> str:
        """A plain NATS subject: a proactive agent fired on one node, run on another."""
        return f"{self.prefix}.ambient.{token(agent_id)}"

    @staticmethod
    def ambient_queue(agent_id: str) -> str:
        """The queue group of the nodes that may run an agent: one of them takes a firing."""
        return f"ambient_{token(agent_id)}"

    def run_done_subject(self, run_id: str) -> str:
        """A plain NATS subject: the node that ends a run tells its starter at once."""
        return f"{self.prefix}.done.{token(run_id)}"

    # Keys of the runs bucket.
    @staticmethod
    def meta_key(run_id: str) -> str:
        return f"{token(run_id)}.meta"

    @staticmethod
    def step_key(run_id: str, agent_id: str) -> str:
        return f"{token(run_id)}.step.{token(agent_id)}"

    @staticmethod
    def end_key(run_id: str) -> str:
        return f"{token(run_id)}.end"

    @staticmethod
    def field_key(scope: str | None, agent_id: str) -> str:
        return f"{token(scope or '~ambient')}.{token(agent_id)}"

    @staticmethod
    def cooldown_key(trigger_id: str) -> str:
        """A proactive trigger's last firing, in the field bucket (`~` is in no run id)."""
        return f"{token('~cooldown')}.{token(trigger_id)}"

    @staticmethod
    def schedule_key(timer: str) -> str:
        """A schedule's last claimed tick, in the field bucket: which node starts it."""
        return f"{token('~schedule')}.{token(timer)}"
