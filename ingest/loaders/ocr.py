"""OCR for scanned PDFs: pypdfium2 renders each page, RapidOCR (the PP-OCRv4 Chinese models ship
in its wheel) reads it. Optional extra `ocr`; imported only when a PDF has no usable text layer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from assistant.core.errors import IngestError
from ingest.loaders.common import error_summary

logger = logging.getLogger(__name__)

RENDER_SCALE = 2.0  # 72 dpi × 2 = 144 dpi: small print stays legible, a page OCRs in seconds
MIN_SCORE = 0.5  # boxes RapidOCR is less sure of are mostly specks and stamps

Box = tuple[float, float, float, str]  # top, bottom, left, text
# a recognised text box in PDF points from the page's top-left corner: x0, y0, x1, y1, text
# (kept with the stored original, so the page viewer can highlight a cited sentence)
PointBox = tuple[float, float, float, float, str]


@dataclass(frozen=True)
class OcrPage:
    text: str
    boxes: tuple[PointBox, ...] = ()


def ocr_available() -> bool:
    """True when the `ocr` extra (rapidocr-onnxruntime, pypdfium2) is installed."""
    return all(find_spec(name) is not None for name in ("rapidocr_onnxruntime", "pypdfium2"))


def ocr_pdf(path: Path, max_pages: int) -> list[str]:
    """The text of every page of a PDF, read by OCR, lines in reading order."""
    return [page.text for page in ocr_pages(path, max_pages)]


def ocr_pages(path: Path, max_pages: int) -> list[OcrPage]:
    """Every page of a PDF read by OCR: its text (lines in reading order) and its boxes."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception as exc:  # pdfium raises PdfiumError on what it cannot open
        raise IngestError(f"cannot render the PDF for OCR ({error_summary(exc)}) — get a fresh "
                          f"copy / 无法渲染PDF做OCR") from None
    try:
        if len(pdf) > max_pages:
            raise IngestError(
                f"scanned PDF has {len(pdf)} pages, above the OCR limit of {max_pages} "
                f"(setting ingest.ocr_max_pages) — OCR it with a dedicated tool first / "
                f"扫描件页数过多，请先用专门工具OCR"
            )
        return [_page(pdf[index], path, index + 1) for index in range(len(pdf))]
    finally:
        pdf.close()


def _page(page: Any, path: Path, number: int) -> OcrPage:
    import numpy as np

    engine = _ready_engine()
    start = time.perf_counter()
    try:
        image = page.render(scale=RENDER_SCALE).to_pil().convert("RGB")
        result, _ = engine(np.asarray(image))
    except Exception as exc:  # a page pdfium cannot render: the others still count
        logger.warning("skipped ocr page file=%s page=%d reason=%s", path, number,
                       error_summary(exc))
        return OcrPage("")
    kept = _kept(result or [])
    lines = reading_order([(y0, y1, x0, text) for x0, y0, x1, y1, text in kept])
    logger.info("ocr file=%s page=%d lines=%d seconds=%.1f", path, number, len(lines),
                time.perf_counter() - start)
    return OcrPage("\n".join(lines), tuple(kept))


def _ready_engine() -> Any:
    try:
        return _engine()
    except Exception as exc:  # a half-installed extra: onnxruntime or opencv missing or broken
        raise IngestError(f"OCR engine cannot start ({error_summary(exc)}) — reinstall the "
                          f"extra: pip install -e '.[ocr]' / OCR组件不可用，请重新安装") from None


@cache
def _engine() -> Any:
    """RapidOCR loads its three ONNX models once (~1 s) and is reused for every page."""
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def _kept(result: Sequence[Any]) -> list[PointBox]:
    """The boxes RapidOCR is sure enough of, in PDF points."""
    boxes: list[PointBox] = []
    for points, text, score in result:
        if float(score) < MIN_SCORE or not str(text).strip():
            continue
        ys = [float(p[1]) / RENDER_SCALE for p in points]
        xs = [float(p[0]) / RENDER_SCALE for p in points]
        boxes.append((min(xs), min(ys), max(xs), max(ys), str(text).strip()))
    return boxes


def reading_order(boxes: list[Box]) -> list[str]:
    """Boxes → lines: a box whose vertical centre lies within the current line's band joins it;
    lines top to bottom, boxes in a line left to right (single-column layouts)."""
    lines: list[list[Box]] = []
    for box in sorted(boxes):
        centre = (box[0] + box[1]) / 2
        if lines and lines[-1][0][0] <= centre <= lines[-1][0][1]:
            lines[-1].append(box)
        else:
            lines.append([box])
    return [_join(sorted(line, key=lambda b: b[2])) for line in lines]


def _join(line: list[Box]) -> str:
    text = ""
    for box in line:
        word = box[3]
        ascii_seam = text[-1:].isascii() and text[-1:].isalnum() and word[0].isascii()
        text += (" " if ascii_seam and word[0].isalnum() else "") + word
    return text
