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
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import IngestError, PolicyQAError
from assistant.settings import Settings
from assistant.types import Chunk
from ingest.chunking import ChunkSizes, chunk_text
from ingest.clean import page_at
from ingest.loaders import iter_source_files, load_document
from ingest.metadata import extract_metadata
from ingest.status import extract_status
from vectorstore.chroma_store import DocRecord
from vectorstore.embed_cache import CachedEmbeddings
from vectorstore.knowledge_base import KnowledgeBase, indexed_text

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


class IngestPipeline:
    def __init__(self, kb: KnowledgeBase, settings: Settings) -> None:
        self.kb = kb
        self.settings = settings
        ing = settings.ingest
        self.sizes = ChunkSizes(ing.target_chars, ing.max_chars, ing.min_chars, ing.overlap_chars)
        self.fingerprint = f"{PIPELINE_VERSION}:{self.sizes}".encode()
        self.embedder = _document_embedder(kb, settings)

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
        max_chars = int(self.settings.ingest.max_text_mb * 1_000_000)
        ing = self.settings.ingest
        doc = load_document(path, max_text_chars=max_chars, ocr=ing.ocr,
                            ocr_max_pages=ing.ocr_max_pages,
                            max_unzipped_mb=ing.max_docx_unzipped_mb)
        text = doc.page_content
        meta = extract_metadata(text, path.name)
        status = extract_status(text, meta.date)
        chunks = chunk_text(text, self.sizes)
        page_starts = doc.metadata.get("page_starts") or []
        if page_starts:
            chunks = [Chunk(c.text, c.heading_path, c.start, c.end, page_at(page_starts, c.start))
                      for c in chunks]
        if not chunks:
            raise IngestError("no text to index after clean-up")
        record = DocRecord(doc_hash=doc_hash, sources=(source,), title=meta.title,
                           doc_type=meta.doc_type, doc_no=meta.doc_no, issuer=meta.issuer,
                           date=meta.date, chunks=len(chunks), chars=len(text),
                           extra={"format": doc.metadata.get("format", ""),
                                  "repeals": list(status.repeals)},
                           status=status.status, effective=status.effective)
        return record, chunks

    def embed(self, record: DocRecord, chunks: list[Chunk]) -> list[list[float]]:
        texts = [indexed_text(record.title, " > ".join(c.heading_path), c.text) for c in chunks]
        return self.embedder.embed_documents(texts)


def _document_embedder(kb: KnowledgeBase, settings: Settings):  # noqa: ANN202
    if not settings.embedding.cache:
        return kb.embeddings
    default = Path(settings.store.path) / "embedding_cache.sqlite"
    path = Path(settings.embedding.cache_path or default)
    return CachedEmbeddings(kb.embeddings, kb.embeddings.identity, path)


def _progress(files: list[tuple[Path, str | None]], enabled: bool):  # noqa: ANN202
    if not enabled:
        return files
    from tqdm import tqdm

    return tqdm(files, desc="ingest", unit="file", file=sys.stderr, leave=False)
