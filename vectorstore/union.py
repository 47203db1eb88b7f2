"""Several knowledge bases searched as one (a chat over every knowledge base a user may read).

Fused scores are comparable within one knowledge base only (reciprocal ranks of its own BM25
and dense lists), so the lists are not merged by score. Each knowledge base gives its best
`retrieval.fetch_k` candidates with their BM25 and dense scores, and the fusion is done again
over all of them, as one knowledge base does it over its own: a dense ranking by cosine
similarity (every knowledge base of a store uses the same embedding model, which the store
checks, so cosines are comparable), a BM25 ranking by raw score (same tokenizer; IDF differs
by knowledge base), weighted reciprocal-rank fusion, then the best-sentence rerank with IDF
pooled over the knowledge bases. A passage held by two knowledge bases (the same document in
both) is one candidate.

bench/bench_kb_union.py measures it: ncp-dev split into two knowledge bases answers as well
as one index of all its documents (span-hit@5 0.907 vs 0.901 on the half not used to choose;
merging by each list's own scores 0.894, round robin 0.839).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from assistant.core.types import DocRecord, Passage, SearchFilter
from vectorstore.hybrid import Ranked, fuse, rerank_by_sentence
from vectorstore.knowledge_base import KnowledgeBase


class KnowledgeBaseUnion:
    """The read side of KnowledgeBase over several of them."""

    def __init__(self, kbs: Sequence[KnowledgeBase]) -> None:
        if not kbs:
            raise ValueError("a union needs at least one knowledge base")
        self.kbs = list(kbs)
        self.settings = self.kbs[0].settings
        self.tokenizer = self.kbs[0].tokenizer
        self.embeddings = self.kbs[0].embeddings  # one embedding model per store
        self._records: tuple[list[dict[str, DocRecord]], dict[str, DocRecord]] | None = None

    def search(self, query: str, k: int | None = None,
               filters: SearchFilter = SearchFilter()) -> list[Passage]:
        cfg = self.settings.retrieval
        k = k or cfg.k
        found: dict[str, Passage] = {}
        for kb in self.kbs:
            for passage in kb.search(query, max(k, cfg.fetch_k), filters):
                found.setdefault(passage.chunk_id, passage)
        dense = _ranking((c, p.dense_score) for c, p in found.items())
        bm25 = _ranking((c, p.bm25_score) for c, p in found.items())
        fused = fuse([(bm25, cfg.bm25_weight), (dense, cfg.dense_weight)], cfg.rrf_k)
        texts = {cid: f"{p.heading}\n{p.text}" for cid, p in found.items()}
        terms = self.tokenizer.terms(query)
        reranked = rerank_by_sentence(fused, texts, terms, self.idf, cfg.sentence_weight)
        return [replace(found[cid], score=score) for cid, score in reranked[:k]]

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

    def original_path(self, doc_hash: str) -> Path:
        """The stored PDF copy in the member that holds the document (原文定位)."""
        holder = next((kb for kb in self.kbs if doc_hash in kb.records()), self.kbs[0])
        return holder.original_path(doc_hash)


def _ranking(scored: Iterable[tuple[str, float | None]]) -> Ranked:
    """(chunk id, score) best first, leaving out candidates that list did not find."""
    return sorted(((cid, s) for cid, s in scored if s is not None), key=lambda item: -item[1])
