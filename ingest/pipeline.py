"""The ingest pipeline: files → text → metadata → chunks → embeddings → knowledge base.

A document is identified by its source path (absolute) and its content hash. Unchanged files are
skipped before they are parsed; the same content under a second path is linked, not embedded
again; a changed file's new chunks are committed before its old ones are removed.

Files are hashed, parsed and chunked on a second thread while the current one embeds
(`ingest.parse_ahead` files ahead); storing stays in order, one document at a time, its chunks
first and its record last. Chunks are embedded shortest first, so padded batches waste little.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Generator
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from langchain_core.embeddings import Embeddings

from assistant.core.errors import PolicyQAError
from assistant.core.settings import Settings
from assistant.core.text import embed_by_length
from assistant.core.types import Chunk, DocRecord, indexed_text
from ingest.document import chunk_sizes, parse_document
from ingest.loaders.dispatch import iter_source_files
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
                with closing(self._parsed_ahead(files, known)) as items:
                    for item in items:
                        result = self._one(item, shown)
                        report.results.append(result)
                        shown.file_done(result)
                        if result.status == "skipped":
                            logger.warning("skipped file=%s reason=%s", item.path, result.reason)
                if self.kb.dirty:
                    self.kb.commit()
        finally:
            shown.close()
        report.seconds = time.perf_counter() - start
        return report

    # --- parsing, one or more files ahead of embedding ----------------------------------------
    def _parsed_ahead(self, files: list[tuple[Path, str | None]],
                      known: _Known) -> Generator[_Prepared, None, None]:
        """The files hashed and parsed in order, on a second thread `ingest.parse_ahead` files
        ahead of the caller (which embeds), or in line when that is 0."""
        ahead = self.settings.ingest.parse_ahead
        if ahead == 0:
            yield from (self._prepare(path, skip, known) for path, skip in files)
            return
        handed: queue.Queue[object] = queue.Queue(maxsize=ahead)
        stop = threading.Event()

        def hand(item: object) -> bool:
            while not stop.is_set():
                try:
                    handed.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            try:
                for path, skip in files:
                    if not hand(self._prepare(path, skip, known)):
                        return
                hand(_DONE)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the embedding thread
                hand(exc)

        threading.Thread(target=produce, name="ingest-parse", daemon=True).start()
        try:
            while (item := handed.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, _Prepared)
                yield item
        finally:
            stop.set()

    def _prepare(self, path: Path, skip: str | None, known: _Known) -> _Prepared:
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

    # --- storing, one file at a time, in order ------------------------------------------------
    def _one(self, item: _Prepared, progress: Progress) -> FileResult:
        if item.skip:
            return FileResult(item.source, "skipped", item.skip)
        try:
            return self._ingest(item, progress)
        except PolicyQAError as exc:
            return FileResult(item.source, "skipped", str(exc))
        except OSError as exc:
            return FileResult(item.source, "skipped", f"cannot read file: {exc.strerror or exc}")

    def _ingest(self, item: _Prepared, progress: Progress) -> FileResult:
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
        vectors = self.embed(record, chunks, progress)
        self.kb.add_document(record, chunks, vectors)
        self.kb.unlink_source(source, keep=doc_hash)
        return FileResult(source, "ingested", chunks=len(chunks), title=record.title)

    def content_hash(self, path: Path) -> str:
        digest = hashlib.sha256(self.fingerprint)
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()[:32]

    def prepare(self, path: Path, source: str, doc_hash: str) -> tuple[DocRecord, list[Chunk]]:
        parsed = parse_document(path, self.settings.ingest)
        meta, status = parsed.meta, parsed.status
        record = DocRecord(doc_hash=doc_hash, sources=(source,), title=meta.title,
                           doc_type=meta.doc_type, doc_no=meta.doc_no, issuer=meta.issuer,
                           date=meta.date, chunks=len(parsed.chunks), chars=len(parsed.text),
                           extra={"format": parsed.format, "repeals": list(status.repeals)},
                           status=status.status, effective=status.effective)
        return record, parsed.chunks

    def embed(self, record: DocRecord, chunks: list[Chunk],
              progress: Progress | None = None) -> list[list[float]]:
        """The chunks' vectors, embedded shortest first, one batch (embedding.batch_size) per
        call, so the progress moves every few seconds even inside one long file."""
        texts = [indexed_text(record.title, c.heading, c.text) for c in chunks]

        def timed(batch: list[str]) -> list[list[float]]:
            start = time.perf_counter()
            vectors = self.embedder.embed_documents(batch)
            if progress is not None:
                progress.embedded(len(batch), time.perf_counter() - start)
            return vectors

        return embed_by_length(timed, texts, self.settings.embedding.batch_size)


_DONE = object()  # the parsing thread's last item
