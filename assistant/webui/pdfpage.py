"""A cited sentence on its PDF page (原文定位): pypdfium2 renders the page to PNG and the sentence
is painted over its characters' boxes.

The sentence comes from the cleaned text (a chunk's sentence); it is aligned to the page's raw
text layer with whitespace ignored and compatibility characters folded on both sides (the
clean-up folds ⼀ to 一): an exact match first, else the longest common run (a sentence that a
page break cut). A scanned page has no text layer: its OCR boxes, kept with the stored original
at ingest, stand in for the characters (each box's width shared out among its characters).
"""

from __future__ import annotations

import difflib
import io
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RENDER_SCALE = 1.5  # 108 dpi: a page is ~900 px wide, sharp in a half-screen column
HIGHLIGHT = (250, 204, 21, 110)  # amber, translucent: the print stays readable under it
MIN_SHARE = 0.6  # a partial match must cover this much of the sentence
MIN_RUN = 8  # ... and at least this many characters (one half of a sentence split by a page)
MARGIN = 24  # points of white kept around the print when the page's margins are cropped

Rect = tuple[float, float, float, float]  # left, top, right, bottom in points from the top-left


@dataclass(frozen=True)
class PageView:
    page: int  # 1-based
    pages: int
    png: bytes
    found: bool  # the sentence was located and highlighted
    top_share: float  # the highlight's top as a share of the page height (0 when not found)


@dataclass(frozen=True)
class _Chars:
    """A page's non-space characters (folded) and the box of each."""

    text: str
    boxes: list[Rect]


def render_citation(path: Path, sentence: str, page_hint: int | None,
                    ocr_pages: Sequence[Sequence[Sequence]] | None = None,
                    scale: float = RENDER_SCALE) -> PageView:
    """The page holding the sentence (the cited chunk's page or the next or previous one),
    rendered with the sentence highlighted; the hinted page unmarked when it is not found."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        pages = len(pdf)
        hint = min(max((page_hint or 1) - 1, 0), pages - 1)
        best: tuple[float, int, list[Rect]] = (0.0, hint, [])
        for index in dict.fromkeys(i for i in (hint, hint + 1, hint - 1) if 0 <= i < pages):
            chars = _page_chars(pdf[index], ocr_pages[index] if ocr_pages and index < len(
                ocr_pages) else None)
            share, rects = _locate(chars, sentence)
            if share > best[0]:
                best = (share, index, rects)
            if share >= 1.0:
                break
        _, index, rects = best
        png, top_share = _render(pdf[index], rects, scale)
        return PageView(index + 1, pages, png, bool(rects), top_share)
    finally:
        pdf.close()


def _fold(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


def squashed(text: str) -> str:
    return "".join(_fold(c) for c in text if not c.isspace())


def _page_chars(page, ocr_boxes: Sequence[Sequence] | None) -> _Chars:  # noqa: ANN001
    """The text layer's characters with their boxes; the OCR boxes when there is no layer."""
    import pypdfium2.raw as raw

    height = page.get_height()
    textpage = page.get_textpage()
    try:
        chars, boxes = [], []
        for i in range(textpage.count_chars()):
            char = chr(raw.FPDFText_GetUnicode(textpage.raw, i) or 32)
            if char.isspace() or not char.isprintable():
                continue
            left, bottom, right, top = textpage.get_charbox(i)
            chars.append(_fold(char))
            boxes.append((left, height - top, right, height - bottom))
    finally:
        textpage.close()
    if len(chars) < 2 and ocr_boxes:
        return _ocr_chars(ocr_boxes)
    return _Chars("".join(chars), boxes)


def _ocr_chars(ocr_boxes: Sequence[Sequence]) -> _Chars:
    """OCR boxes (x0, y0, x1, y1, text in points) as characters, each box's width shared out
    evenly among its characters."""
    chars, boxes = [], []
    for x0, y0, x1, y1, text in ocr_boxes:
        letters = [c for c in str(text) if not c.isspace()]
        step = (float(x1) - float(x0)) / max(len(letters), 1)
        for n, char in enumerate(letters):
            chars.append(_fold(char))
            boxes.append((float(x0) + n * step, float(y0), float(x0) + (n + 1) * step,
                          float(y1)))
    return _Chars("".join(chars), boxes)


def _locate(chars: _Chars, sentence: str) -> tuple[float, list[Rect]]:
    """(share of the sentence found, line rectangles covering it) on one page."""
    wanted = squashed(sentence)
    if not wanted or not chars.text:
        return 0.0, []
    at = chars.text.find(wanted)
    if at >= 0:
        return 1.0, _line_rects(chars.boxes[at:at + len(wanted)])
    matcher = difflib.SequenceMatcher(None, chars.text, wanted, autojunk=False)
    block = matcher.find_longest_match(0, len(chars.text), 0, len(wanted))
    share = block.size / len(wanted)
    if block.size < MIN_RUN or (share < MIN_SHARE and not _at_an_end(block, wanted)):
        return 0.0, []
    return share, _line_rects(chars.boxes[block.a:block.a + block.size])


def _at_an_end(block, wanted: str) -> bool:  # noqa: ANN001
    """The run is the sentence's start or end: the rest is on the next or previous page."""
    return block.b == 0 or block.b + block.size == len(wanted)


def _line_rects(boxes: list[Rect]) -> list[Rect]:
    """Character boxes merged into one rectangle per line of print: a box joins the line when
    its vertical middle lies in the line's band (punctuation boxes are shorter) and it does not
    go back to the left (a new line starts at the margin)."""
    lines: list[Rect] = []
    for left, top, right, bottom in boxes:
        if right <= left:
            continue  # a generated character without a box
        middle = (top + bottom) / 2
        if lines and lines[-1][1] <= middle <= lines[-1][3] and left >= lines[-1][2] - 2:
            a, b, c, d = lines[-1]
            lines[-1] = (a, min(b, top), max(c, right), max(d, bottom))
        else:
            lines.append((left, top, right, bottom))
    return lines


def _render(page, rects: list[Rect], scale: float) -> tuple[bytes, float]:  # noqa: ANN001
    """The page as PNG, its white margins cropped (the print is larger in a narrow column), and
    where the highlight's top is, as a share of the image's height."""
    from PIL import Image, ImageChops, ImageDraw

    image = page.render(scale=scale).to_pil().convert("RGBA")
    if rects:
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        pad = 1.5 * scale
        for left, top, right, bottom in rects:
            draw.rectangle((left * scale - pad, top * scale - pad, right * scale + pad,
                            bottom * scale + pad), fill=HIGHLIGHT)
        image = Image.alpha_composite(image, overlay)
    flat = image.convert("RGB")
    box = ImageChops.difference(flat, Image.new("RGB", flat.size, "white")).getbbox()
    if box:
        margin = int(MARGIN * scale)
        box = (max(box[0] - margin, 0), max(box[1] - margin, 0),
               min(box[2] + margin, flat.width), min(box[3] + margin, flat.height))
        flat = flat.crop(box)
    top = min((r[1] * scale for r in rects), default=0.0) - (box[1] if box else 0)
    out = io.BytesIO()
    flat.save(out, format="PNG", optimize=False, compress_level=3)
    return out.getvalue(), max(top, 0.0) / flat.height if rects else 0.0


def load_ocr_boxes(path: Path) -> list | None:
    """The OCR boxes kept next to a stored original, per page; None when it had a text layer."""
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("pages")
