"""One file read the way ingest reads it: loaded and cleaned, its metadata and status extracted,
chunked along its structure, every chunk knowing its page. The pipeline stores the result; the
staff tools (任务清单 of a file that is not stored) use it directly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.core.errors import IngestError
from assistant.core.settings import IngestSettings
from assistant.core.types import Chunk, DocMeta
from ingest.chunking import ChunkSizes, chunk_text
from ingest.clean import page_at
from ingest.loaders.dispatch import load_document
from ingest.metadata import extract_metadata
from ingest.status import StatusInfo, extract_status


@dataclass(frozen=True)
class ParsedDocument:
    text: str
    meta: DocMeta
    status: StatusInfo
    chunks: list[Chunk]
    format: str
    ocr_boxes: list | None = None  # a scanned PDF's OCR boxes per page (原文定位 keeps them)


def chunk_sizes(settings: IngestSettings) -> ChunkSizes:
    return ChunkSizes(settings.target_chars, settings.max_chars, settings.min_chars,
                      settings.overlap_chars)


def parse_document(path: Path, settings: IngestSettings) -> ParsedDocument:
    """Read, clean, describe and chunk one file; IngestError says why it cannot be."""
    doc = load_document(path, max_text_chars=int(settings.max_text_mb * 1_000_000),
                        ocr=settings.ocr, ocr_max_pages=settings.ocr_max_pages,
                        max_unzipped_mb=settings.max_docx_unzipped_mb)
    text = doc.page_content
    meta = extract_metadata(text, path.name)
    chunks = chunk_text(text, chunk_sizes(settings))
    page_starts = doc.metadata.get("page_starts") or []
    if page_starts:
        chunks = [Chunk(c.text, c.heading_path, c.start, c.end, page_at(page_starts, c.start))
                  for c in chunks]
    if not chunks:
        raise IngestError("no text to index after clean-up")
    return ParsedDocument(text, meta, extract_status(text, meta.date), chunks,
                          doc.metadata.get("format", ""), doc.metadata.get("ocr_boxes"))
