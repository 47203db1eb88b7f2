"""Loaders: a .txt/.md/.pdf/.docx file → one cleaned `Document` (text plus page map).

Every failure is an `IngestError` whose one-line message says what is wrong with the file and
what to do; the caller prefixes the file name.
"""

import logging
from collections.abc import Iterator
from pathlib import Path

from langchain_core.documents import Document

from assistant.core.errors import IngestError
from ingest.clean import clean_text
from ingest.loaders.common import check_size, file_size
from ingest.loaders.text import read_text_file

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".pdf", ".docx"})
CONVERT_FIRST_SUFFIXES = frozenset({".doc", ".wps", ".ofd"})

def load_document(path: Path, *, max_text_chars: int = 5_000_000, ocr: str = "auto",
                  ocr_max_pages: int = 50, max_unzipped_mb: float = 200.0) -> Document:
    """Read and clean one file; raises IngestError with an actionable reason.
    `ocr` is auto|off (scanned PDFs); the limits mirror the ingest.* settings."""
    suffix = path.suffix.lower()
    reason = skip_reason(path)
    if reason:
        raise IngestError(reason)
    size = file_size(path)
    page_starts: tuple[int, ...] = ()
    ocr_boxes = None
    if suffix == ".pdf":
        from ingest.loaders.pdf import load_pdf

        text, page_starts, ocr_boxes = load_pdf(path, max_text_chars, ocr, ocr_max_pages)
    elif suffix == ".docx":
        from ingest.loaders.docx import read_docx

        text = clean_text(read_docx(path, max_unzipped_mb), join_lines=False)
    else:
        text = read_text_file(path, size, max_text_chars, markdown=suffix == ".md")
    if not text:
        raise IngestError("no text in file (only blanks) — check it is the right file / "
                          "文件中没有文字")
    check_size(len(text), max_text_chars)
    metadata = {"source": str(path), "format": suffix[1:], "page_starts": list(page_starts)}
    if ocr_boxes:
        metadata["ocr_boxes"] = ocr_boxes
    return Document(page_content=text, metadata=metadata)


def skip_reason(path: Path, named: bool = False) -> str | None:
    """Why a file of this name cannot be ingested, or None if its format is supported.
    A README met while walking a folder is skipped; one named on the command line is not."""
    suffix = path.suffix.lower()
    if not named and path.stem.lower() == "readme":
        return "a folder's README, not a policy document (ingest it by name to include it)"
    if suffix in SUPPORTED_SUFFIXES:
        return None
    if suffix in CONVERT_FIRST_SUFFIXES:
        return f"unsupported format {suffix} — convert to .docx or .pdf first / 请先转换为 docx/pdf"
    return f"unsupported extension {suffix or '(none)'} / 不支持的文件类型"


def iter_source_files(paths: list[Path]) -> Iterator[tuple[Path, str | None]]:
    """Yield (file, None) for each supported file under `paths`, (file, reason) for skipped ones.

    Folders are walked recursively in sorted order; hidden entries are ignored; symlinks are
    followed, but a folder already visited is not entered again (no loops).
    """
    visited: set[Path] = set()
    for path in paths:
        if not path.exists():
            yield path, "no such file or directory — check the path / 路径不存在"
        elif path.is_dir():
            yield from _walk(path, visited)
        else:
            yield path, skip_reason(path, named=True)


def _walk(folder: Path, visited: set[Path]) -> Iterator[tuple[Path, str | None]]:
    real = folder.resolve()
    if real in visited:
        logger.debug("skipped folder=%s reason=already visited (symlink)", folder)
        return
    visited.add(real)
    try:
        entries = sorted(folder.iterdir(), key=lambda entry: entry.name)
    except OSError as exc:
        yield folder, f"cannot list folder ({exc.strerror or exc})"
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(entry, visited)
        elif entry.is_file():
            yield entry, skip_reason(entry)
        elif entry.is_symlink():
            yield entry, "broken symbolic link"
