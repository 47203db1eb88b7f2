"""The ingest pipeline: files → text → metadata → chunks → embeddings → knowledge base.

A document is identified by its source path (absolute) and its content hash. Unchanged files are
skipped before they are parsed; the same content under a second path is linked, not embedded
again; a changed file's new chunks are committed before its old ones are removed.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from langchain_core.embeddings import Embeddings

from assistant.core.errors import PolicyQAError
from assistant.core.settings import Settings
from assistant.core.types import Chunk, DocRecord, indexed_text
from ingest.document import chunk_sizes, parse_document
from ingest.loaders.dispatch import iter_source_files
from ingest.originals import keep_original

logger = logging.getLogger(__name__)

PIPELINE_VERSION = "1"


@dataclass(frozen=True)
class FileResult:
    source: str
    status: str  # ingested | unchanged | skipped
    reason: str = ""
    chunks: int = 0
    title: str = ""


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def chunks(self) -> int:
        return sum(r.chunks for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 when something was ingested or all was unchanged; 1 when nothing could be."""
        ok = self.count("ingested") + self.count("unchanged")
        return 0 if ok else 1

    def summary(self) -> str:
        counts = Counter(r.status for r in self.results)
        lines = [f"ingested {counts['ingested']} · unchanged {counts['unchanged']} · "
                 f"skipped {counts['skipped']} · chunks {self.chunks} · {self.seconds:.1f} s"]
        lines += [f"  skipped {r.source}: {r.reason}" for r in self.results
                  if r.status == "skipped"]
        return "\n".join(lines)


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


class IngestPipeline:
    def __init__(self, kb: DocumentStore, settings: Settings, embedder: Embeddings) -> None:
        self.kb = kb
        self.settings = settings
        self.sizes = chunk_sizes(settings.ingest)
        self.fingerprint = f"{PIPELINE_VERSION}:{self.sizes}".encode()
        self.embedder = embedder

    def run(self, paths: list[Path], progress: bool = True) -> IngestReport:
        start = time.perf_counter()
        report = IngestReport()
        files = list(iter_source_files(paths))
        with self.kb.write_lock():
            for path, skip in _progress(files, progress):
                result = self._one(path, skip)
                report.results.append(result)
                if result.status == "skipped":
                    logger.warning("skipped file=%s reason=%s", path, result.reason)
            if self.kb.dirty:
                self.kb.commit()
        report.seconds = time.perf_counter() - start
        return report

    def _one(self, path: Path, skip: str | None) -> FileResult:
        source = str(path.resolve()) if path.exists() else str(path)
        if skip:
            return FileResult(source, "skipped", skip)
        try:
            return self._ingest(path, source)
        except PolicyQAError as exc:
            return FileResult(source, "skipped", str(exc))
        except OSError as exc:
            return FileResult(source, "skipped", f"cannot read file: {exc.strerror or exc}")

    def _ingest(self, path: Path, source: str) -> FileResult:
        doc_hash = self.content_hash(path)
        current = self.kb.find_source(source)
        if current and current.doc_hash == doc_hash:
            self.kb.unlink_source(source, keep=doc_hash)  # a stale copy left by a crash, if any
            return FileResult(source, "unchanged", title=current.title)
        if doc_hash in self.kb.records():
            self.kb.link_source(doc_hash, source)
            self.kb.unlink_source(source, keep=doc_hash)
            title = self.kb.records()[doc_hash].title
            return FileResult(source, "unchanged", "linked", title=title)
        record, chunks = self.prepare(path, source, doc_hash)
        vectors = self.embed(record, chunks)
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
        if parsed.format == "pdf":  # 原文定位: the page viewer renders the stored copy
            keep_original(path, self.kb.original_path(doc_hash), parsed.ocr_boxes)
        meta, status = parsed.meta, parsed.status
        record = DocRecord(doc_hash=doc_hash, sources=(source,), title=meta.title,
                           doc_type=meta.doc_type, doc_no=meta.doc_no, issuer=meta.issuer,
                           date=meta.date, chunks=len(parsed.chunks), chars=len(parsed.text),
                           extra={"format": parsed.format, "repeals": list(status.repeals)},
                           status=status.status, effective=status.effective)
        return record, parsed.chunks

    def embed(self, record: DocRecord, chunks: list[Chunk]) -> list[list[float]]:
        texts = [indexed_text(record.title, c.heading, c.text) for c in chunks]
        return self.embedder.embed_documents(texts)


def _progress(files: list[tuple[Path, str | None]], enabled: bool):  # noqa: ANN202
    if not enabled:
        return files
    from tqdm import tqdm

    return tqdm(files, desc="ingest", unit="file", file=sys.stderr, leave=False)
