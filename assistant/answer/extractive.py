"""The extractive backend: quote the retrieved sentences that best answer the question.

It never writes a word of its own: every sentence of the answer is a verbatim sentence of a
passage, followed by that passage's citation number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from assistant.answer.backend import Delta, History, TermsFn
from assistant.core.sources import Numbering
from assistant.core.text import IdfFn, coverage, split_sentences
from assistant.core.types import Answer, Passage
from ingest.headings import detect_heading

_LIST_CUES = ("哪些", "哪几", "几个方面", "措施", "举措", "要求", "内容", "重点", "任务", "主要")
_PER_PASSAGE = 3
HEADING_DISCOUNT = 0.6
_MD_HEADING = re.compile(r"^#{1,6}\s+")


@dataclass(frozen=True)
class _Candidate:
    rank: int  # passage rank, 1-based
    position: int  # sentence index within the passage
    text: str
    score: float


class ExtractiveBackend:
    name = "extractive"

    def __init__(self, terms_of: TermsFn, idf: IdfFn, max_sentences: int = 6) -> None:
        self.terms_of = terms_of
        self.idf = idf
        self.max_sentences = max_sentences

    def answer(self, question: str, passages: Sequence[Passage],
               history: History = ()) -> Answer:
        terms = self.terms_of(question)
        picked = self._pick(question, terms, list(passages))
        return _compose(question, picked, list(passages))

    def stream(self, question: str, passages: Sequence[Passage],
               history: History = ()) -> Iterator[Delta | Answer]:
        """Quotes come whole, in well under a second: no deltas, just the Answer."""
        yield self.answer(question, passages, history)

    def key_sentences(self, question: str, passages: Sequence[Passage],
                      limit: int) -> list[tuple[int, str]]:
        """The `limit` best-answering sentences as (passage rank, sentence), in text order."""
        picked = self._pick(question, self.terms_of(question), list(passages))
        best = sorted(picked, key=lambda c: -c.score)[:limit]
        return [(c.rank, c.text) for c in sorted(best, key=lambda c: (c.rank, c.position))]

    def _pick(self, question: str, terms: list[str], passages: list[Passage]) -> list[_Candidate]:
        candidates = [c for rank, p in enumerate(passages, 1)
                      for c in self._score(terms, rank, p)]
        if not candidates:
            return []
        best = max(c.score for c in candidates)
        good = sorted((c for c in candidates if c.score >= 0.5 * best and c.score > 0),
                      key=lambda c: (-c.score, c.rank, c.position))
        chosen: list[_Candidate] = []
        for cand in good:
            if len(chosen) >= self.max_sentences:
                break
            if sum(1 for c in chosen if c.rank == cand.rank) < _PER_PASSAGE:
                chosen.append(cand)
        if any(cue in question for cue in _LIST_CUES):
            chosen = self._with_continuations(chosen, passages)
        return sorted(chosen, key=lambda c: (c.rank, c.position))

    def _score(self, terms: list[str], rank: int, passage: Passage) -> list[_Candidate]:
        context = passage.heading
        out = []
        for pos, sentence in enumerate(split_sentences(passage.text)):
            if len(sentence) < 4:
                continue
            own = coverage(terms, sentence, self.idf).score
            ctx = coverage(terms, sentence + context, self.idf).score
            score = own + 0.3 * ctx + 0.15 / rank
            if is_heading_sentence(sentence, passage):
                score *= HEADING_DISCOUNT  # a heading names a topic; prefer what it says
            out.append(_Candidate(rank, pos, _MD_HEADING.sub("", sentence), score))
        return out

    def _with_continuations(self, chosen: list[_Candidate],
                            passages: list[Passage]) -> list[_Candidate]:
        """A sentence that opens a list (ends with ：) brings the items that follow it."""
        extra: list[_Candidate] = []
        budget = self.max_sentences + 4
        for cand in chosen:
            if not cand.text.endswith(("：", ":")):
                continue
            sentences = split_sentences(passages[cand.rank - 1].text)
            for pos in range(cand.position + 1, min(len(sentences), cand.position + 5)):
                if len(chosen) + len(extra) >= budget:
                    break
                extra.append(_Candidate(cand.rank, pos, sentences[pos], 0.0))
        seen = {(c.rank, c.position) for c in chosen}
        return chosen + [c for c in extra if (c.rank, c.position) not in seen]


def is_heading_sentence(sentence: str, passage: Passage) -> bool:
    """A heading or title line, which says what a section is about but answers nothing."""
    heading = detect_heading(sentence)
    if heading is not None and not heading.inline_body:
        return True
    return sentence.rstrip("。") in (passage.title, *passage.heading_path)


def _compose(question: str, picked: list[_Candidate], passages: list[Passage]) -> Answer:
    """Quote the picked sentences grouped by passage, numbering sources by first use."""
    numbering = Numbering(passages)
    lines: list[str] = []
    for rank in dict.fromkeys(c.rank for c in picked):
        quote = "".join(c.text for c in picked if c.rank == rank)
        lines.append(f"{quote}{numbering.cite(rank)}")
    return Answer(question=question, text="\n".join(lines), citations=numbering.citations(),
                  passages=tuple(passages), backend="extractive")
