"""PDF → cleaned text plus page map: pypdf's text layer, or OCR when a page scan has none (or
only garbage glyphs) and the `ocr` extra is installed."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from assistant.core.errors import IngestError
from ingest.clean import clean_pages
from ingest.loaders.common import check_size, error_summary

if TYPE_CHECKING:  # pypdf is imported only when a PDF is read
    from pypdf import PageObject, PdfReader

logger = logging.getLogger(__name__)

NO_TEXT_LAYER = "no text layer (scanned PDF?) — OCR it first / 扫描件，无文字层，需先OCR"
GARBAGE_TEXT = (
    "text layer is mostly unreadable glyphs (a font without a Unicode map) — OCR it or export "
    "the PDF again from the original / 文字层为乱码，需OCR或从原文件重新导出PDF"
)
MAX_GARBAGE_SHARE = 0.3
# Controls, Latin-1/Latin-Extended letters (GBK bytes read as Latin-1: "¹ØÓÚ"), private use and
# U+FFFD are what a broken font map produces; "·×°±§" and friends are common in real text.
_GARBAGE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xa6\xa8-\xaf\xb4-\xb6\xb8-\xd6"
                      "\xd8-\xf6\xf8-\u024f\ue000-\uf8ff\ufffd]")


class PdfText(NamedTuple):
    text: str
    page_starts: tuple[int, ...]
    ocr_boxes: list[list[Any]] | None = None  # per page, when the text came from OCR


def load_pdf(path: Path, max_text_chars: int, ocr: str = "auto",
             ocr_max_pages: int = 50) -> PdfText:
    """Cleaned text and page start offsets (and the OCR boxes of a scan); IngestError with an
    actionable reason."""
    text, starts = clean_pages(_read_pdf_pages(path, max_text_chars))
    problem = text_layer_problem(text)
    if not problem:
        return PdfText(text, starts)
    if ocr == "off" or not _ocr_available():
        raise IngestError(problem)
    from ingest.loaders.ocr import ocr_pages

    pages = ocr_pages(path, ocr_max_pages)
    check_size(sum(len(p.text) for p in pages), max_text_chars)
    text, starts = clean_pages([p.text for p in pages])
    if text_layer_problem(text):
        raise IngestError(f"{problem}; OCR found no readable text either / OCR也未识别出文字")
    return PdfText(text, starts, [[list(box) for box in p.boxes] for p in pages])


def text_layer_problem(text: str) -> str:
    """Why extracted text is unusable ('' when it is fine): none at all, or mostly garbage."""
    visible = sum(1 for char in text if not char.isspace())
    if not visible:
        return NO_TEXT_LAYER
    if len(_GARBAGE.findall(text)) > MAX_GARBAGE_SHARE * visible:
        return GARBAGE_TEXT
    return ""


def _ocr_available() -> bool:
    from ingest.loaders.ocr import ocr_available

    return ocr_available()


def _read_pdf_pages(path: Path, max_text_chars: int) -> list[str]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not _decrypt_without_password(reader):
            raise IngestError("encrypted PDF — remove the password first / 加密PDF，请先去除密码")
        pages = list(reader.pages)
    except IngestError:
        raise
    except Exception as exc:  # pypdf raises many kinds on malformed files
        raise IngestError(
            f"not a readable PDF ({error_summary(exc)}) — the file is damaged or "
            f"truncated, get a fresh copy / PDF已损坏，请重新获取文件"
        ) from None
    if not pages:
        raise IngestError("PDF has no pages / PDF没有页面")
    texts: list[str] = []
    for number, page in enumerate(pages, start=1):
        texts.append(_page_text(page, path, number))
        check_size(sum(map(len, texts)), max_text_chars)
    return texts


def _decrypt_without_password(reader: PdfReader) -> bool:
    """Many PDFs are encrypted with an empty user password and open without asking."""
    from pypdf.errors import DependencyError

    try:
        return bool(reader.decrypt(""))
    except DependencyError:
        raise IngestError(
            "encrypted PDF (AES) — install the 'cryptography' package or remove the password / "
            "加密PDF，请先去除密码"
        ) from None
    except Exception:  # a broken encryption dictionary
        return False


def _page_text(page: PageObject, path: Path, number: int) -> str:
    try:
        return page.extract_text() or ""
    except Exception as exc:
        logger.warning("skipped pdf page file=%s page=%d reason=%s", path, number, exc)
        return ""
