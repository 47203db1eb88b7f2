"""What every answer backend offers (extractive quotes, a local or remote model), and the events
an answer is streamed as."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.core.types import Answer, Passage

History = tuple[tuple[str, str], ...]  # (question, answer) pairs, oldest first
TermsFn = Callable[[str], list[str]]  # a text's distinct content terms (the tokenizer's)


@dataclass(frozen=True)
class Delta:
    """A piece of streamed answer text (before verification)."""

    text: str


class AnswerBackend(Protocol):
    """Turns passages that passed the gate into a cited Answer."""

    @property
    def name(self) -> str:
        """extractive, local or openai: what the answer says it was written by."""
        ...

    def stream(self, question: str, passages: Sequence[Passage],
               history: History = ()) -> Iterator[Delta | Answer]:
        """Text deltas as they are generated (none for quotes), then the cited Answer."""
        ...

    def answer(self, question: str, passages: Sequence[Passage],
               history: History = ()) -> Answer:
        """The stream drained: its final Answer."""
        ...

    def key_sentences(self, question: str, passages: Sequence[Passage],
                      limit: int) -> list[tuple[int, str]]:
        """The `limit` passage sentences that best answer the question, as (passage rank,
        verbatim sentence) in text order."""
        ...


def final_answer(events: Iterator[object]) -> Answer:
    """The last Answer of a stream of events."""
    answer = None
    for event in events:
        if isinstance(event, Answer):
            answer = event
    if answer is None:
        raise RuntimeError("the answer stream ended without an Answer")
    return answer
