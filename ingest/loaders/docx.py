""".docx → text: paragraphs (headings as `#` lines) and tables in document order. The zip's
declared sizes are checked before python-docx unpacks anything (zip bombs)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.errors import IngestError
from ingest.clean import clean_fragment
from ingest.loaders.common import error_summary

if TYPE_CHECKING:  # python-docx is imported only when a .docx is read
    from docx.document import Document as DocxDocument
    from docx.table import Table, _Row
    from docx.text.paragraph import Paragraph
    from lxml.etree import _Element

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_HEADING_STYLE = re.compile(r"(?:heading|标题)\s*([1-9])", re.IGNORECASE)
MAX_RATIO = 200  # real .docx XML deflates ~5–50:1; zip bombs pack ~1000:1 and tighter
RATIO_MIN_BYTES = 10_000_000  # small members may compress as they like


def read_docx(path: Path, max_unzipped_mb: float = 200.0) -> str:
    """The document's lines; IngestError for non-zips, old .doc files and zip bombs."""
    if not zipfile.is_zipfile(path):
        raise IngestError(_not_a_zip_reason(path))
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise IngestError(f"not a valid .docx (damaged zip: {error_summary(exc)}) — get a fresh "
                          f"copy / 文件已损坏，请重新获取") from None
    check_unzipped_size(members, max_unzipped_mb)
    import docx

    try:
        document = docx.Document(str(path))
        return "\n".join(_body_lines(document.element.body, document))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors…
        raise IngestError(f"not a valid .docx ({error_summary(exc)}) — open it in Word/WPS "
                          f"and save it again as .docx / 请另存为 docx") from None


def _not_a_zip_reason(path: Path) -> str:
    with path.open("rb") as handle:
        is_ole = handle.read(4) == _OLE_MAGIC
    if is_ole:
        return ("not a valid .docx (an old .doc or a password-protected file) — "
                "save it as .docx without a password / 请另存为 docx")
    return ("not a valid .docx (not a zip file) — open it in Word/WPS and save as .docx / "
            "请另存为 docx")


def check_unzipped_size(members: list[zipfile.ZipInfo], max_unzipped_mb: float) -> None:
    """Refuse by the sizes the zip declares (zipfile never inflates a member past its declared
    size), before anything is unpacked."""
    total = sum(info.file_size for info in members)
    if total > max_unzipped_mb * 1e6:
        raise IngestError(
            f".docx unpacks to {total / 1e6:,.0f} MB, above the limit of {max_unzipped_mb:g} MB "
            f"(setting ingest.max_docx_unzipped_mb) — a zip bomb or huge embedded media; remove "
            f"the media or raise the setting / 解压后过大，已拒绝"
        )
    for info in members:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_MIN_BYTES and ratio > MAX_RATIO:
            raise IngestError(
                f".docx member {info.filename} is compressed {ratio:,.0f}:1 "
                f"({info.file_size / 1e6:,.0f} MB unpacked) — a zip bomb, not a document / "
                f"疑似压缩炸弹，已拒绝"
            )


def _body_lines(container: _Element, document: DocxDocument) -> Iterator[str]:
    """Paragraphs and tables in document order (content controls are looked into)."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield _paragraph_line(Paragraph(child, document))  # type: ignore[arg-type]
        elif child.tag == qn("w:tbl"):
            yield from _table_lines(Table(child, document))  # type: ignore[arg-type]
        elif child.tag == qn("w:sdt"):
            for content in child.iterchildren(qn("w:sdtContent")):
                yield from _body_lines(content, document)


def _paragraph_line(paragraph: Paragraph) -> str:
    text = paragraph.text
    level = _heading_level(paragraph)
    if not level:
        return text
    title = clean_fragment(text)
    return f"{'#' * level} {title}" if title else ""


def _heading_level(paragraph: Paragraph) -> int:
    name = ((paragraph.style.name if paragraph.style else None) or "").strip()
    if name.lower() == "title" or name == "标题":
        return 1
    match = _HEADING_STYLE.fullmatch(name)
    return int(match.group(1)) if match else 0


def _table_lines(table: Table) -> list[str]:
    """One line per data row: `表头1：值1；表头2：值2` (first row is the header)."""
    rows = [_row_cells(row) for row in table.rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    header, data = rows[0], rows[1:]
    if not data or not any(header):
        return ["；".join(_dedupe(cell for cell in row if cell)) for row in rows]
    lines = [_row_line(header, row) for row in data]
    return [line for line in lines if line]


def _row_cells(row: _Row) -> list[str]:
    return [""] * row.grid_cols_before + [clean_fragment(cell.text) for cell in row.cells]


def _row_line(header: list[str], row: list[str]) -> str:
    fields = (
        f"{name}：{value}" if name and name != value else value
        for name, value in zip_longest(header, row, fillvalue="")
        if value
    )
    return "；".join(_dedupe(fields))


def _dedupe(items: Iterable[str]) -> list[str]:
    """Drop consecutive repeats: a merged cell is reported once per grid column it spans."""
    out: list[str] = []
    for item in items:
        if not out or out[-1] != item:
            out.append(item)
    return out
