"""Per-session conversation state: one object per user session, never shared."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

MAX_TURNS = 6


@dataclass
class Conversation:
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    turns: list[tuple[str, str]] = field(default_factory=list)

    @property
    def history(self) -> tuple[tuple[str, str], ...]:
        return tuple(self.turns[-MAX_TURNS:])

    def record(self, question: str, answer: str) -> None:
        self.turns.append((question, answer))
        del self.turns[:-MAX_TURNS]

    def reset(self) -> None:
        self.turns.clear()
