"""A lexical rerank of the retrieved passages: the fused hybrid score plus how much of the
question each passage holds — its phrase coverage (the question's characters in runs of three or
more) and its IDF-weighted word coverage (signals.py). Questions are often written from the very
sentence that answers them; a passage holding their phrases rises above one that only shares
their topic. The weights were chosen by 2-fold cross-validation over ncp-dev documents
(bench/bench_rerank.py; the table is in bench/README.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.answer.backend import TermsFn
from assistant.answer.signals import full_text, passage_match
from assistant.core.text import IdfFn
from assistant.core.types import Passage

PHRASE_WEIGHT = 1.5
COVER_WEIGHT = 1.0
SCORE_RANGE = 2.0  # scores stay within 0..2, the range the scope bonus was chosen for


def rerank(question: str, passages: Sequence[Passage], idf: IdfFn, terms_of: TermsFn,
           phrase_weight: float = PHRASE_WEIGHT,
           cover_weight: float = COVER_WEIGHT) -> list[Passage]:
    """The passages reordered by score / best score + weighted phrase and word coverage
    (rescaled to 0..SCORE_RANGE)."""
    if not passages or (phrase_weight <= 0 and cover_weight <= 0):
        return list(passages)
    top = max(p.score for p in passages) or 1.0
    texts = [full_text(p).lower() for p in passages]
    matches = passage_match(question, texts, idf, terms_of)
    scale = SCORE_RANGE / (1.0 + phrase_weight + cover_weight)  # keep the 0..2 scale the
    scored = [replace(p, score=scale * (p.score / top + phrase_weight * phrase  # scope bonus
                                        + cover_weight * cover))  # of chain.py is set against
              for p, (phrase, cover) in zip(passages, matches, strict=True)]
    return sorted(scored, key=lambda p: -p.score)
