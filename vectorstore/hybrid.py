"""Rank fusion for hybrid search."""

from __future__ import annotations

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
