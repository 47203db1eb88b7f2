"""Rank fusion for hybrid search, and a sentence-level lexical rerank of the fused list."""

from __future__ import annotations

from collections.abc import Callable

from assistant.core.text import coverage, split_sentences

Ranked = list[tuple[str, float]]  # (chunk id, score), best first


def fuse(rankings: list[tuple[Ranked, float]], k: int = 60) -> list[tuple[str, float]]:
    """Weighted reciprocal rank fusion: sum of weight / (k + rank) over the rankings.

    Ties keep the order in which ids were first seen (earlier rankings first), so the
    result is deterministic.
    """
    scores: dict[str, float] = {}
    for ranked, weight in rankings:
        if weight <= 0:
            continue
        for rank, (chunk_id, _) in enumerate(ranked, 1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def rerank_by_sentence(fused: list[tuple[str, float]], texts: dict[str, str], terms: list[str],
                       idf: Callable[[str], float], weight: float) -> list[tuple[str, float]]:
    """Add `weight` × the best single sentence's question-term coverage to each candidate's
    fused score (normalised to the top score). A passage with one sentence that states most of
    what was asked beats one that mentions the terms here and there."""
    if not fused or weight <= 0:
        return fused
    top = fused[0][1] or 1.0
    weights = {t: idf(t) for t in terms}  # once per term, not once per sentence
    scored = []
    for chunk_id, score in fused:
        sentences = split_sentences(texts.get(chunk_id, ""))
        best = max((coverage(terms, s, weights.__getitem__).score
                    for s in sentences), default=0.0)
        scored.append((chunk_id, score / top + weight * best))
    return sorted(scored, key=lambda item: -item[1])
