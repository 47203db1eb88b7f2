"""The ingest pipeline: files → text → metadata → chunks → embeddings → knowledge base.

A document is identified by its source path (absolute) and its content hash. Unchanged files are
skipped before they are parsed; the same content under a second path is linked, not embedded
again; a changed file's new chunks are committed before its old ones are removed.

Files are hashed, parsed and chunked on a second thread while the current ones embed
(`ingest.parse_ahead` files ahead). New documents wait in a pool and are embedded together, all
their chunks sorted by length (ingest/pool.py); storing stays in order, one document at a time,
its chunks first and its record last.
"""

from __future__ import annotations

import hashlib
import logging
import time
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from langchain_core.embeddings import Embeddings

from assistant.core.errors import PolicyQAError
from assistant.core.settings import Settings
from assistant.core.types import Chunk, DocRecord
from ingest.ahead import ahead
from ingest.document import chunk_sizes, parse_document
from ingest.loaders.dispatch import iter_source_files
from ingest.originals import keep_original
from ingest.pool import POOL_CHUNKS, EmbeddingPool, Pending
from ingest.progress import FileResult, IngestReport, Progress, TqdmProgress

logger = logging.getLogger(__name__)

PIPELINE_VERSION = "1"


class DocumentStore(Protocol):
    """Where the pipeline commits documents (vectorstore's KnowledgeBase is one)."""

    dirty: bool

    def write_lock(self, wait: bool = True) -> AbstractContextManager[None]: ...

    def records(self) -> dict[str, DocRecord]: ...

    def find_source(self, source: str) -> DocRecord | None: ...

    def link_source(self, doc_hash: str, source: str) -> None: ...

    def unlink_source(self, source: str, keep: str = "") -> bool: ...

    def add_document(self, record: DocRecord, chunks: list[Chunk],
                     vectors: list[list[float]]) -> None: ...

    def commit(self) -> None: ...

    def original_path(self, doc_hash: str) -> Path: ...


@dataclass(frozen=True)
class _Prepared:
    """One file as the parsing thread hands it over: skipped (why), or hashed and, unless the
    store already held that content when the run began, parsed and chunked."""

    path: Path
    source: str
    skip: str = ""
    doc_hash: str = ""
    parsed: tuple[DocRecord, list[Chunk]] | None = None


@dataclass(frozen=True)
class _Known:
    """The registry as it was when the run began (the parsing thread reads only this)."""

    sources: dict[str, str]
    hashes: frozenset[str]


class IngestPipeline:
    def __init__(self, kb: DocumentStore, settings: Settings, embedder: Embeddings) -> None:
        self.kb = kb
        self.settings = settings
        self.sizes = chunk_sizes(settings.ingest)
        self.fingerprint = f"{PIPELINE_VERSION}:{self.sizes}".encode()
        self.embedder = embedder

    def run(self, paths: list[Path], progress: bool | Progress = True) -> IngestReport:
        """Ingest files and folders; `progress` True draws bars on stderr, or is a listener."""
        start = time.perf_counter()
        report = IngestReport()
        files = list(iter_source_files(paths))
        shown = progress if isinstance(progress, Progress) else \
            TqdmProgress() if progress else Progress()
        shown.planned(len(files))
        try:
            with self.kb.write_lock():
                records = self.kb.records().values()
                known = _Known({s: r.doc_hash for r in records for s in r.sources},
                               frozenset(r.doc_hash for r in records))
                self._store_all(files, known, report, shown)
                if self.kb.dirty:
                    self.kb.commit()
        finally:
            shown.close()
        report.seconds = time.perf_counter() - start
        return report

    def _store_all(self, files: list[tuple[Path, str | None]], known: _Known,
                   report: IngestReport, progress: Progress) -> None:
        """Each file decided in order; new documents wait in a pool and are embedded together
        when it is full (or when the same content comes again, or at the end)."""
        pool, waiting = EmbeddingPool(), _Waiting()
        prepare = lambda f: self._prepare(f[0], f[1], known)  # noqa: E731
        with closing(ahead(files, prepare, self.settings.ingest.parse_ahead)) as items:
            for item in items:
                if pool.holds(item.doc_hash):  # the pooled copy is stored first, then linked
                    self._flush(pool, waiting, report, progress)
                waiting.append((item.source, self._one(item, pool, progress)))
                if pool.chunks >= POOL_CHUNKS:
                    self._flush(pool, waiting, report, progress)
        self._flush(pool, waiting, report, progress)

    def _flush(self, pool: EmbeddingPool, waiting: _Waiting, report: IngestReport,
               progress: Progress) -> None:
        """Embed the pool, store its documents (chunks first, record last, one at a time) and
        report every waiting file in the order the files came."""
        failed = ""
        try:
            pool.embed(self.embedder, progress)
        except PolicyQAError as exc:
            failed = str(exc)
        pending = iter(pool.docs)
        for source, result in waiting:
            if result is None:
                doc = next(pending)
                result = FileResult(source, "skipped", failed) if failed else self._add(doc)
            report.results.append(result)
            progress.file_done(result)
            if result.status == "skipped":
                logger.warning("skipped file=%s reason=%s", source, result.reason)
        pool.docs.clear()
        waiting.clear()

    def _add(self, doc: Pending) -> FileResult:
        self.kb.add_document(doc.record, doc.chunks, doc.vectors)
        self.kb.unlink_source(doc.source, keep=doc.record.doc_hash)
        return FileResult(doc.source, "ingested", chunks=len(doc.chunks), title=doc.record.title)

    def _prepare(self, path: Path, skip: str | None, known: _Known) -> _Prepared:
        """Hash the file and, unless the store held that content when the run began, parse
        and chunk it (on the parsing thread, which reads nothing of the store but `known`)."""
        source = str(path.resolve()) if path.exists() else str(path)
        if skip:
            return _Prepared(path, source, skip=skip)
        try:
            doc_hash = self.content_hash(path)
            if known.sources.get(source) == doc_hash or doc_hash in known.hashes:
                return _Prepared(path, source, doc_hash=doc_hash)  # stored: nothing to parse
            return _Prepared(path, source, doc_hash=doc_hash,
                             parsed=self.prepare(path, source, doc_hash))
        except PolicyQAError as exc:
            return _Prepared(path, source, skip=str(exc))
        except OSError as exc:
            return _Prepared(path, source, skip=f"cannot read file: {exc.strerror or exc}")

    def _one(self, item: _Prepared, pool: EmbeddingPool, progress: Progress) -> FileResult | None:
        """What became of the file, or None when it waits in the pool to be embedded."""
        if item.skip:
            return FileResult(item.source, "skipped", item.skip)
        try:
            return self._decide(item, pool, progress)
        except PolicyQAError as exc:
            return FileResult(item.source, "skipped", str(exc))
        except OSError as exc:
            return FileResult(item.source, "skipped", f"cannot read file: {exc.strerror or exc}")

    def _decide(self, item: _Prepared, pool: EmbeddingPool,
                progress: Progress) -> FileResult | None:
        source, doc_hash = item.source, item.doc_hash
        current = self.kb.find_source(source)
        if current and current.doc_hash == doc_hash:
            self.kb.unlink_source(source, keep=doc_hash)  # a stale copy left by a crash, if any
            return FileResult(source, "unchanged", title=current.title)
        if doc_hash in self.kb.records():
            self.kb.link_source(doc_hash, source)
            self.kb.unlink_source(source, keep=doc_hash)
            title = self.kb.records()[doc_hash].title
            return FileResult(source, "unchanged", "linked", title=title)
        # not parsed ahead when the content was stored at the start and has gone since
        record, chunks = item.parsed or self.prepare(item.path, source, doc_hash)
        progress.chunked(Path(source).name, len(chunks))
        pool.add(source, record, chunks)
        return None

    def content_hash(self, path: Path) -> str:
        digest = hashlib.sha256(self.fingerprint)
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()[:32]

    def prepare(self, path: Path, source: str, doc_hash: str) -> tuple[DocRecord, list[Chunk]]:
        parsed = parse_document(path, self.settings.ingest)
        if parsed.format == "pdf":  # 原文定位: the page viewer renders the stored copy
            keep_original(path, self.kb.original_path(doc_hash), parsed.ocr_boxes)
        meta, status = parsed.meta, parsed.status
        record = DocRecord(doc_hash=doc_hash, sources=(source,), title=meta.title,
                           doc_type=meta.doc_type, doc_no=meta.doc_no, issuer=meta.issuer,
                           date=meta.date, chunks=len(parsed.chunks), chars=len(parsed.text),
                           extra={"format": parsed.format, "repeals": list(status.repeals)},
                           status=status.status, effective=status.effective)
        return record, parsed.chunks

    def embed(self, record: DocRecord, chunks: list[Chunk],
              progress: Progress | None = None) -> list[list[float]]:
        """One document's vectors, embedded as a pool of one."""
        pool = EmbeddingPool()
        pool.add("", record, chunks)
        pool.embed(self.embedder, progress or Progress())
        return pool.docs[0].vectors


_Waiting = list[tuple[str, FileResult | None]]  # files in order; None: waiting in the pool
