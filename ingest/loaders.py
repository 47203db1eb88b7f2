"""Loaders: a .txt/.md/.pdf/.docx file → one cleaned `Document` (text plus page map).

Every failure is an `IngestError` whose one-line message says what is wrong with the file and
what to do; the caller prefixes the file name.
"""

import codecs
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from assistant.errors import IngestError
from ingest.clean import clean_fragment, clean_pages, clean_text

if TYPE_CHECKING:  # pypdf and python-docx are imported only when such a file is read
    from docx.document import Document as DocxDocument
    from docx.table import Table, _Row
    from docx.text.paragraph import Paragraph
    from lxml.etree import _Element
    from pypdf import PageObject, PdfReader

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".pdf", ".docx"})
CONVERT_FIRST_SUFFIXES = frozenset({".doc", ".wps", ".ofd"})
TEXT_BYTES_PER_CHAR = 4

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HEADING_STYLE = re.compile(r"(?:heading|标题)\s*([1-9])", re.IGNORECASE)
_NO_TEXT_LAYER = "no text layer (scanned PDF?) — OCR it first / 扫描件，无文字层，需先OCR"


def load_document(path: Path, *, max_text_chars: int = 5_000_000) -> Document:
    """Read and clean one file; raises IngestError with an actionable reason."""
    suffix = path.suffix.lower()
    reason = skip_reason(path)
    if reason:
        raise IngestError(reason)
    size = _file_size(path)
    page_starts: tuple[int, ...] = ()
    if suffix == ".pdf":
        text, page_starts = clean_pages(_read_pdf_pages(path, max_text_chars))
    elif suffix == ".docx":
        text = clean_text(_read_docx(path), join_lines=False)
    else:
        text = _read_text_file(path, size, max_text_chars, markdown=suffix == ".md")
    if not text:
        raise IngestError(_NO_TEXT_LAYER if suffix == ".pdf" else "no text in file (only blanks)")
    _check_size(len(text), max_text_chars)
    metadata = {"source": str(path), "format": suffix[1:], "page_starts": list(page_starts)}
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
    return f"unsupported extension {suffix or '(none)'}"


def iter_source_files(paths: list[Path]) -> Iterator[tuple[Path, str | None]]:
    """Yield (file, None) for each supported file under `paths`, (file, reason) for skipped ones.

    Folders are walked recursively in sorted order; hidden entries are ignored; symlinks are
    followed, but a folder already visited is not entered again (no loops).
    """
    visited: set[Path] = set()
    for path in paths:
        if not path.exists():
            yield path, "no such file or directory"
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


def _file_size(path: Path) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(f"cannot read file ({exc.strerror or exc})") from None
    if size == 0:
        raise IngestError("empty file")
    return size


def _check_size(chars: int, max_text_chars: int) -> None:
    if chars > max_text_chars:
        raise IngestError(
            f"extracted text is {chars / 1e6:.1f} MB, above the limit of "
            f"{max_text_chars / 1e6:.1f} MB (setting ingest.max_text_mb)"
        )


# --- .txt / .md ---------------------------------------------------------------------------


def _read_text_file(path: Path, size: int, max_text_chars: int, *, markdown: bool) -> str:
    limit = TEXT_BYTES_PER_CHAR * max_text_chars
    if size > limit:
        raise IngestError(
            f"file is {size / 1e6:.1f} MB, too large for a text file (limit "
            f"{limit / 1e6:.1f} MB, from setting ingest.max_text_mb)"
        )
    try:
        text = decode_text(path.read_bytes())
    except OSError as exc:
        raise IngestError(f"cannot read file ({exc.strerror or exc})") from None
    if markdown:
        text = _HTML_COMMENT.sub("", text)
    return clean_text(text)


def decode_text(data: bytes) -> str:
    """Bytes of a text file → str: BOM, UTF-16 without BOM, UTF-8, GB18030 (GBK), then
    charset-normalizer's guess (Big5…)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):  # a BOM settles the encoding; stray bad bytes become �
            return data.decode(encoding, errors="replace")
    if b"\x00" in data:
        text = _guess_utf16(data)
        if text is None:
            raise IngestError("binary file, not text (contains NUL bytes)")
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if not _PRIVATE_USE.search(text):  # Big5 read as GB18030 lands in the private-use area
            return text
    except UnicodeDecodeError:
        pass
    detected = _decode_detected(data)
    if detected:
        return detected
    raise IngestError("cannot decode text (tried UTF-8, GB18030, UTF-16) — save it as UTF-8")


def _guess_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM decodes to printable text in one byte order; binary does not."""
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        printable = sum(1 for char in text if char.isprintable() or char in "\r\n\t")
        if "\x00" not in text and printable >= 0.95 * len(text):
            return text
    return None


def _decode_detected(data: bytes) -> str | None:
    """Text in another encoding (Big5, Shift-JIS…), as charset-normalizer reads it."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best else None


# --- .pdf ---------------------------------------------------------------------------------


def _read_pdf_pages(path: Path, max_text_chars: int) -> list[str]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not _decrypt_without_password(reader):
            raise IngestError("encrypted PDF — remove the password first")
        pages = list(reader.pages)
    except IngestError:
        raise
    except Exception as exc:  # pypdf raises many kinds on malformed files
        raise IngestError(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    if not pages:
        raise IngestError("PDF has no pages")
    texts: list[str] = []
    for number, page in enumerate(pages, start=1):
        texts.append(_page_text(page, path, number))
        _check_size(sum(map(len, texts)), max_text_chars)
    return texts


def _decrypt_without_password(reader: "PdfReader") -> bool:
    """Many PDFs are encrypted with an empty user password and open without asking."""
    from pypdf.errors import DependencyError

    try:
        return bool(reader.decrypt(""))
    except DependencyError:
        raise IngestError(
            "encrypted PDF (AES) — install the 'cryptography' package or remove the password"
        ) from None
    except Exception:  # a broken encryption dictionary
        return False


def _page_text(page: "PageObject", path: Path, number: int) -> str:
    try:
        return page.extract_text() or ""
    except Exception as exc:
        logger.warning("skipped pdf page file=%s page=%d reason=%s", path, number, exc)
        return ""


# --- .docx --------------------------------------------------------------------------------


def _read_docx(path: Path) -> str:
    if not zipfile.is_zipfile(path):
        with path.open("rb") as handle:
            is_ole = handle.read(4) == _OLE_MAGIC
        if is_ole:
            raise IngestError(
                "not a valid .docx (an old .doc or a password-protected file) — "
                "save it as .docx without a password / 请另存为 docx"
            )
        raise IngestError("not a valid .docx (not a zip file)")
    import docx

    try:
        document = docx.Document(str(path))
        return "\n".join(_body_lines(document.element.body, document))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors…
        raise IngestError(f"not a valid .docx ({type(exc).__name__}: {exc})") from None


def _body_lines(container: "_Element", document: "DocxDocument") -> Iterator[str]:
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


def _paragraph_line(paragraph: "Paragraph") -> str:
    text = paragraph.text
    level = _heading_level(paragraph)
    if not level:
        return text
    title = clean_fragment(text)
    return f"{'#' * level} {title}" if title else ""


def _heading_level(paragraph: "Paragraph") -> int:
    name = ((paragraph.style.name if paragraph.style else None) or "").strip()
    if name.lower() == "title" or name == "标题":
        return 1
    match = _HEADING_STYLE.fullmatch(name)
    return int(match.group(1)) if match else 0


def _table_lines(table: "Table") -> list[str]:
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


def _row_cells(row: "_Row") -> list[str]:
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
