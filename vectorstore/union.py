"""Several knowledge bases searched as one (a chat over every knowledge base a user may read).

Fused scores are comparable within one knowledge base only (reciprocal ranks of its own BM25
and dense lists, normalised to its own best passage), so the lists are not merged by score.
Each knowledge base is searched on its own; its ranked list counts as one ranking in a
reciprocal-rank fusion across knowledge bases (a passage found in two keeps its better rank,
not a sum), and the fused list is reranked by the best sentence's question-term coverage —
the same rerank a single knowledge base applies, with IDF pooled over all of them — so the
first passage of a knowledge base that does not answer the question falls behind the second
and third of one that does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.core.types import DocRecord, Passage, SearchFilter
from vectorstore.hybrid import rerank_by_sentence
from vectorstore.knowledge_base import KnowledgeBase


class KnowledgeBaseUnion:
    """The read side of KnowledgeBase over several of them."""

    def __init__(self, kbs: Sequence[KnowledgeBase]) -> None:
        if not kbs:
            raise ValueError("a union needs at least one knowledge base")
        self.kbs = list(kbs)
        self.settings = self.kbs[0].settings
        self.tokenizer = self.kbs[0].tokenizer
        self._records: tuple[list[dict[str, DocRecord]], dict[str, DocRecord]] | None = None

    def search(self, query: str, k: int | None = None,
               filters: SearchFilter = SearchFilter()) -> list[Passage]:
        cfg = self.settings.retrieval
        k = k or cfg.k
        best: dict[str, tuple[float, Passage]] = {}
        for kb in self.kbs:
            for rank, passage in enumerate(kb.search(query, k, filters), 1):
                score = 1.0 / (cfg.rrf_k + rank)
                if passage.chunk_id not in best or best[passage.chunk_id][0] < score:
                    best[passage.chunk_id] = (score, passage)
        fused = sorted(((cid, s) for cid, (s, _) in best.items()), key=lambda item: -item[1])
        texts = {cid: f"{p.heading}\n{p.text}" for cid, (_, p) in best.items()}
        terms = self.tokenizer.terms(query)
        reranked = rerank_by_sentence(fused, texts, terms, self.idf, cfg.sentence_weight)
        return [replace(best[cid][1], score=score) for cid, score in reranked[:k]]

    def idf(self, term: str) -> float:
        """Each knowledge base's IDF weighted by its number of chunks."""
        sizes = [sum(r.chunks for r in kb.records().values()) for kb in self.kbs]
        total = sum(sizes)
        if not total:
            return self.kbs[0].idf(term)
        return sum(n * kb.idf(term) for n, kb in zip(sizes, self.kbs, strict=True) if n) / total

    def records(self) -> dict[str, DocRecord]:
        """Every document of every member (one record per content hash, all its sources); the
        same dict while no member re-read its registry (so a catalog built on it is kept)."""
        parts = [kb.records() for kb in self.kbs]
        cached = self._records
        if cached is None or any(a is not b for a, b in zip(cached[0], parts, strict=True)):
            merged: dict[str, DocRecord] = {}
            for part in parts:
                for doc_hash, record in part.items():
                    if doc_hash in merged:
                        sources = tuple(dict.fromkeys(merged[doc_hash].sources + record.sources))
                        record = replace(merged[doc_hash], sources=sources)
                    merged[doc_hash] = record
            cached = self._records = (parts, merged)
        return cached[1]

    def find_source(self, source: str) -> DocRecord | None:
        return next((r for kb in self.kbs if (r := kb.find_source(source))), None)

    def context(self, cid: str, around: int = 1) -> list[Passage]:
        return next((found for kb in self.kbs if (found := kb.context(cid, around))), [])

    def document_passages(self, doc_hash: str) -> list[Passage]:
        return next((found for kb in self.kbs if (found := kb.document_passages(doc_hash))), [])
