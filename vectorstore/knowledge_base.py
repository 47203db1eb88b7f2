"""The knowledge base: Chroma chunks + document registry + BM25 side index, kept in step.

Writers hold an exclusive lock file in the store folder; every committed change bumps the
store generation, and a BM25 index built for another generation is rebuilt before use.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.dates import date_number
from assistant.core.errors import StoreError
from assistant.core.settings import Settings, StoreSettings
from assistant.core.types import (
    HEADING_SEP,
    Chunk,
    DocRecord,
    Passage,
    SearchFilter,
    chunk_id,
    doc_hash_of,
    indexed_text,
    seq_of,
)
from vectorstore.bm25_index import BM25Index
from vectorstore.chroma_store import ChromaStore
from vectorstore.embeddings.base import PolicyEmbeddings
from vectorstore.hybrid import Ranked, fuse, rerank_by_sentence
from vectorstore.tokenize import Tokenizer

logger = logging.getLogger(__name__)


def index_folder(store: StoreSettings) -> Path:
    """Where a collection's side indexes live: the store folder for the default collection (so
    stores written before knowledge bases existed keep theirs), kbs/<collection>/ for others."""
    folder = Path(store.path)
    default = StoreSettings.model_fields["collection"].default
    return folder if store.collection == default else folder / "kbs" / store.collection


class KnowledgeBase:
    def __init__(self, settings: Settings, embeddings: PolicyEmbeddings,
                 tokenizer: Tokenizer) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.tokenizer = tokenizer
        self.folder = Path(settings.store.path)
        self.index_folder = index_folder(settings.store)
        self.store = ChromaStore(settings.store, embeddings.identity, embeddings.dimension)
        self.bm25 = BM25Index(self.index_folder / "bm25")
        self._bm25_hashes = np.array([], dtype=object)
        self._records: dict[str, DocRecord] | None = None
        self.dirty = False  # uncommitted changes since the last commit()

    # --- writing ------------------------------------------------------------------------------
    @contextmanager
    def write_lock(self, wait: bool = True) -> Iterator[None]:
        """One writer at a time per store folder (a second ingest waits, or fails cleanly)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".write.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                raise StoreError(f"another ingest is writing to {self.folder}; try again when it "
                                 f"has finished") from None
            try:
                self._records = None
                self._purge_orphans()
                yield
            finally:
                self._records = None
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _purge_orphans(self) -> None:
        """Remove chunks a crashed write left behind. Committed documents hold exactly
        `record.chunks` chunks, so when the counts agree there is nothing to scan for (the scan
        reads every chunk's metadata: seconds on a large store, on every ingest)."""
        records = self.records()
        if self.store.chunks.count() != sum(r.chunks for r in records.values()):
            self.store.purge_orphans(set(records))
        self._purge_original_orphans()

    def add_document(self, record: DocRecord, chunks: list[Chunk],
                     vectors: list[list[float]]) -> None:
        """Store a document's chunks, then its record (the commit point)."""
        ids = [chunk_id(record.doc_hash, i) for i in range(len(chunks))]
        metas = [chunk_metadata(record, c, i) for i, c in enumerate(chunks)]
        self.store.add_chunks(ids, vectors, [c.text for c in chunks], metas)
        self.store.put_record(record)
        self.records()[record.doc_hash] = record
        self.dirty = True

    def link_source(self, doc_hash: str, source: str) -> None:
        """List one more path for an already stored document (same content, no embedding)."""
        record = self.records()[doc_hash]
        if source not in record.sources:
            record = replace(record, sources=record.sources + (source,))
            self.store.put_record(record)
            self.records()[doc_hash] = record
            self.dirty = True

    def set_record(self, record: DocRecord) -> None:
        """Replace a stored document's registry record (metadata only; hold the write lock)."""
        self.store.put_record(record)
        self.records()[record.doc_hash] = record
        self.dirty = True

    def unlink_source(self, source: str, keep: str = "") -> bool:
        """Remove a path from every document except `keep`; a document with no paths left goes."""
        found = False
        for record in list(self.records().values()):
            if source not in record.sources or record.doc_hash == keep:
                continue
            found = self.dirty = True
            rest = tuple(s for s in record.sources if s != source)
            if rest:
                record = replace(record, sources=rest)
                self.store.put_record(record)
                self.records()[record.doc_hash] = record
            else:
                self.store.delete_record(record.doc_hash)  # uncommit first, then the chunks
                self.store.delete_chunks(record.doc_hash)
                del self.records()[record.doc_hash]
                self._drop_original(record.doc_hash)
        return found

    def original_path(self, doc_hash: str) -> Path:
        """Where a stored PDF's copy lives (原文定位): originals/<doc hash>.pdf."""
        return self.index_folder / "originals" / f"{doc_hash}.pdf"

    def _drop_original(self, doc_hash: str) -> None:
        original = self.original_path(doc_hash)
        for path in (original, original.with_suffix(".ocr.json")):
            path.unlink(missing_ok=True)

    def _purge_original_orphans(self) -> None:
        """Copies a crashed ingest wrote for a document whose record never committed."""
        folder = self.index_folder / "originals"
        if folder.is_dir():
            records = self.records()
            for path in folder.iterdir():
                if path.name.split(".")[0] not in records:
                    path.unlink(missing_ok=True)

    def commit(self) -> None:
        """Publish the changes: bump the generation and rebuild the BM25 side index."""
        gen = self.store.bump_generation()
        self._rebuild_bm25(gen)
        self.dirty = False

    # --- reading ------------------------------------------------------------------------------
    def records(self) -> dict[str, DocRecord]:
        if self._records is None:
            self._records = {r.doc_hash: r for r in self.store.records()}
        return self._records

    def find_source(self, source: str) -> DocRecord | None:
        return next((r for r in self.records().values() if source in r.sources), None)

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term over the indexed chunks."""
        return self.bm25.idf(term)

    def ensure_bm25(self) -> None:
        gen = self.store.generation()
        if self.bm25.generation == gen:
            return
        self._records = None  # another process changed the store: re-read the registry too
        if not (self.bm25.load() and self.bm25.generation == gen):
            logger.info("bm25 index is stale, rebuilding generation=%s", gen)
            self._rebuild_bm25(gen)
        else:
            self._index_hashes()

    def _index_hashes(self) -> None:
        """The document of each BM25 row, for filter masks (chunk ids are '<doc hash>-<seq>')."""
        self._bm25_hashes = np.array([doc_hash_of(i) for i in self.bm25.ids], dtype=object)

    def _rebuild_bm25(self, gen: int) -> None:
        committed = set(self.records())
        chunks = ((cid, indexed_text(m.get("title", ""), m.get("heading", ""), body))
                  for cid, body, m in self.store.iter_chunks() if m["doc_hash"] in committed)
        self.bm25.rebuild(gen, chunks, self.tokenizer.tokens)
        self._index_hashes()

    def allowed_hashes(self, filters: SearchFilter) -> set[str] | None:
        """Documents a filter admits; None when there is no filter."""
        if filters.is_empty():
            return None
        lo, hi = date_number(filters.since), date_number(filters.until)
        hi = hi + (9999 if hi % 10000 == 0 else 99 if hi % 100 == 0 else 0) if hi else 0
        allowed = set()
        for record in self.records().values():
            if filters.sources and not set(filters.sources) & set(record.sources):
                continue
            if filters.doc_type and record.doc_type != filters.doc_type:
                continue
            num = date_number(record.date)
            if (lo or hi) and (not num or num < lo or (hi and num > hi)):
                continue
            allowed.add(record.doc_hash)
        return allowed

    # --- searching ----------------------------------------------------------------------------
    def search(self, query: str, k: int | None = None,
               filters: SearchFilter = SearchFilter()) -> list[Passage]:
        """Hybrid search: BM25 and dense rankings fused by weighted reciprocal rank."""
        cfg = self.settings.retrieval
        k = k or cfg.k
        self.ensure_bm25()
        allowed = self.allowed_hashes(filters)
        committed = set(self.records()) if allowed is None else allowed
        if not committed:
            return []
        fetch = max(cfg.fetch_k, k)
        tokens = self.tokenizer.tokens(query)
        bm25 = self._bm25_ranked(tokens, fetch, allowed)
        dense = self._dense_ranked(query, fetch, allowed, committed)
        fused = fuse([(bm25, cfg.bm25_weight), (dense, cfg.dense_weight)], cfg.rrf_k)[:fetch]
        stored = self.store.get_chunks([cid for cid, _ in fused])
        texts = {cid: f"{m.get('heading', '')}\n{body}" for cid, (body, m) in stored.items()}
        terms = list(dict.fromkeys(tokens))  # Tokenizer.terms, without tokenising again
        fused = rerank_by_sentence(fused, texts, terms, self.bm25.idf, cfg.sentence_weight)[:k]
        return self._passages(fused, stored, bm25, dense)

    def _bm25_ranked(self, tokens: list[str], n: int, allowed: set[str] | None) -> Ranked:
        mask = None
        if allowed is not None:
            mask = np.isin(self._bm25_hashes, list(allowed))
        return self.bm25.top(tokens, n, mask)

    def _dense_ranked(self, query: str, n: int, allowed: set[str] | None,
                      committed: set[str]) -> Ranked:
        where = {"doc_hash": {"$in": sorted(allowed)}} if allowed is not None else None
        vector = self.embeddings.embed_query(query)
        hits = self.store.query(vector, n, where)
        return [(cid, score) for cid, score in hits if doc_hash_of(cid) in committed]

    def _passages(self, fused: list[tuple[str, float]], stored: dict[str, Any], bm25: Ranked,
                  dense: Ranked) -> list[Passage]:
        b_rank = {cid: (r, s) for r, (cid, s) in enumerate(bm25, 1)}
        d_rank = {cid: (r, s) for r, (cid, s) in enumerate(dense, 1)}
        out = []
        for cid, score in fused:
            if cid not in stored:
                continue
            body, meta = stored[cid]
            out.append(_passage(cid, body, meta, score, self.records().get(meta["doc_hash"]),
                                b_rank.get(cid), d_rank.get(cid)))
        return out

    def context(self, cid: str, around: int = 1) -> list[Passage]:
        """The chunk and its neighbours in document order (to show surrounding text)."""
        doc_hash, seq = doc_hash_of(cid), seq_of(cid)
        first = max(0, seq - around)
        ids = [chunk_id(doc_hash, i) for i in range(first, seq + around + 1)]
        stored = self.store.get_chunks(ids)
        record = self.records().get(doc_hash)
        return [_passage(cid, stored[cid][0], stored[cid][1], 0.0, record, None, None)
                for cid in ids if cid in stored]

    def document_passages(self, doc_hash: str) -> list[Passage]:
        """Every chunk of one document, in document order."""
        record = self.records().get(doc_hash)
        if record is None:
            return []
        ids = [chunk_id(doc_hash, i) for i in range(record.chunks)]
        stored = self.store.get_chunks(ids)
        return [_passage(cid, stored[cid][0], stored[cid][1], 0.0, record, None, None)
                for cid in ids if cid in stored]


def chunk_metadata(record: DocRecord, chunk: Chunk, seq: int) -> dict[str, Any]:
    heading = HEADING_SEP.join(chunk.heading_path)
    return {"doc_hash": record.doc_hash, "seq": seq, "heading": heading,
            "page": chunk.page or 0, "start": chunk.start, "end": chunk.end, "title": record.title,
            "doc_type": record.doc_type, "doc_no": record.doc_no, "date": record.date,
            "date_num": date_number(record.date)}


def _passage(cid: str, body: str, meta: dict[str, Any], score: float, record: DocRecord | None,
             bm25: tuple[int, float] | None, dense: tuple[int, float] | None) -> Passage:
    heading = meta.get("heading", "")
    return Passage(
        chunk_id=cid, text=body, source=record.sources[0] if record and record.sources else "",
        title=meta.get("title", ""),
        heading_path=tuple(heading.split(HEADING_SEP)) if heading else (),
        page=meta.get("page") or None, score=score, doc_type=meta.get("doc_type", "其他"),
        doc_no=meta.get("doc_no", ""), date=meta.get("date", ""), start=meta.get("start", 0),
        end=meta.get("end", 0), bm25_rank=bm25[0] if bm25 else None,
        dense_rank=dense[0] if dense else None, bm25_score=bm25[1] if bm25 else None,
        dense_score=dense[1] if dense else None)
