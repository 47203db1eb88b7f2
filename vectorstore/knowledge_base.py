"""The knowledge base: Chroma chunks + document registry + BM25 side index, kept in step.

Writers hold an exclusive lock file in the store folder. A document's BM25 postings are written
in one index transaction that commits right after its registry record (the commit point), and a
document leaves the index before its record goes, so the index never lists a document that is
not committed. Every committed write logs its changes and bumps the store generation; a process
that sees a new generation applies just those changes to its index (vectorstore.index_sync).
"""

from __future__ import annotations

import fcntl
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

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
from vectorstore.bm25_index import BM25Index, IndexedDoc
from vectorstore.chroma_store import ChromaStore
from vectorstore.embeddings.base import PolicyEmbeddings
from vectorstore.hybrid import Ranked, fuse, rerank_by_sentence
from vectorstore.index_sync import catch_up
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
        self.bm25 = BM25Index(self.index_folder / "lexical" / "bm25.sqlite",
                              tokenizer.fingerprint())
        self._records: dict[str, DocRecord] | None = None
        self._seen: int | None = None  # the generation whose registry self._records holds
        self._synced: int | None = None  # the generation this process brought the index to
        self._changes: list[tuple[str, str]] = []  # (op, doc hash) since the last commit()
        self.dirty = False  # uncommitted changes since the last commit()

    # --- writing ------------------------------------------------------------------------------
    @contextmanager
    def _flock(self, wait: bool) -> Iterator[bool]:
        """The store folder's writer lock; yields whether it was taken (False: busy, no wait)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".write.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def write_lock(self, wait: bool = True) -> Iterator[None]:
        """One writer at a time per store folder (a second ingest waits, or fails cleanly)."""
        with self._flock(wait) as locked:
            if not locked:
                raise StoreError(f"another ingest is writing to {self.folder}; try again when it "
                                 f"has finished")
            try:
                self._records = None
                self._purge_orphans()
                self._catch_up(self.store.generation())
                yield
            finally:
                self._records = None

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
        tokens = [self.tokenizer.tokens(indexed_text(record.title, c.heading, c.text))
                  for c in chunks]
        self.store.add_chunks(ids, vectors, [c.text for c in chunks], metas)
        with self.bm25.adding([IndexedDoc(record.doc_hash, list(zip(ids, tokens, strict=True)))]):
            self.store.put_record(record)  # the commit point; the index commits right after it
        self.records()[record.doc_hash] = record
        self._changes.append(("add", record.doc_hash))
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
                self.bm25.remove([record.doc_hash])  # out of the index before it is uncommitted
                self.store.delete_record(record.doc_hash)  # uncommit, then the chunks
                self.store.delete_chunks(record.doc_hash)
                del self.records()[record.doc_hash]
                self._changes.append(("remove", record.doc_hash))
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
        """Publish the changes: log them, bump the generation, bring the index to it (this
        process's own changes are in it already)."""
        before = self.bm25.generation
        gen = self.store.commit_changes(self._changes)
        self._changes = []
        if gen != before + 1:
            self._records = None  # another process committed meanwhile: read what it did
        self._catch_up(gen)
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
        """Before a search: re-read the registry if the store moved, and bring the BM25 index to
        the store's generation. While a writer holds the store folder, it does that instead and
        the index is searched as it is (hits are limited to committed documents anyway)."""
        gen = self.store.generation()
        if gen != self._seen:  # another process changed the store: re-read the registry
            self._records, self._seen = None, gen
        if gen == self._synced:
            return
        if self._synced is not None and self.bm25.generation == gen:
            self._synced = gen  # a process sharing this index folder brought it here
            return
        with self._flock(wait=False) as locked:
            if locked:
                self._catch_up(gen)

    def _catch_up(self, gen: int) -> None:
        """Apply the changes up to `gen` to the index; the first time in a process, also check
        it against the registry (heals a crash between a record and its index write)."""
        report = catch_up(self.bm25, self.store, self.records(), self.tokenizer.tokens, gen,
                          verify=self._synced is None)
        self._synced = gen
        if report.indexed or report.removed or report.compared:
            logger.info("bm25 index at generation=%s: %d logged changes read, %d chunks "
                        "indexed, %d chunks removed, compared with the registry: %s", gen,
                        report.changes, report.indexed, report.removed, report.compared)
        legacy = self.index_folder / "bm25"  # the bm25s index of earlier versions
        if legacy.is_dir():
            shutil.rmtree(legacy, ignore_errors=True)
            logger.info("removed the bm25s index this one replaces folder=%s", legacy)

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
        bm25 = self._bm25_ranked(tokens, fetch, allowed, committed)
        dense = self._dense_ranked(query, fetch, allowed, committed)
        fused = fuse([(bm25, cfg.bm25_weight), (dense, cfg.dense_weight)], cfg.rrf_k)[:fetch]
        stored = self.store.get_chunks([cid for cid, _ in fused])
        texts = {cid: f"{m.get('heading', '')}\n{body}" for cid, (body, m) in stored.items()}
        terms = list(dict.fromkeys(tokens))  # Tokenizer.terms, without tokenising again
        fused = rerank_by_sentence(fused, texts, terms, self.bm25.idf, cfg.sentence_weight)[:k]
        return self._passages(fused, stored, bm25, dense)

    def _bm25_ranked(self, tokens: list[str], n: int, allowed: set[str] | None,
                     committed: set[str] | None = None) -> Ranked:
        hits = self.bm25.top(tokens, n, allowed)
        if committed is None:
            return hits
        return [(cid, score) for cid, score in hits if doc_hash_of(cid) in committed]

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
