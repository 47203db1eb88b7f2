"""Loaders: a .txt/.md/.pdf/.docx file → one cleaned `Document` (text plus page map).

Every failure is an `IngestError` whose one-line message says what is wrong with the file and
what to do; the caller prefixes the file name.
"""

import codecs
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from langchain_core.documents import Document

from assistant.errors import IngestError
from ingest.clean import clean_text

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
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# controls (not tab/newline/form feed), private use, U+FFFD: a text file has almost none
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\ufffd]")
MAX_ODD_SHARE = 0.05


def load_document(path: Path, *, max_text_chars: int = 5_000_000, ocr: str = "auto",
                  ocr_max_pages: int = 50, max_unzipped_mb: float = 200.0) -> Document:
    """Read and clean one file; raises IngestError with an actionable reason.
    `ocr` is auto|off (scanned PDFs); the limits mirror the ingest.* settings."""
    suffix = path.suffix.lower()
    reason = skip_reason(path)
    if reason:
        raise IngestError(reason)
    size = _file_size(path)
    page_starts: tuple[int, ...] = ()
    if suffix == ".pdf":
        from ingest.pdf_loader import load_pdf

        text, page_starts = load_pdf(path, max_text_chars, ocr, ocr_max_pages)
    elif suffix == ".docx":
        from ingest.docx_loader import read_docx

        text = clean_text(read_docx(path, max_unzipped_mb), join_lines=False)
    else:
        text = _read_text_file(path, size, max_text_chars, markdown=suffix == ".md")
    if not text:
        raise IngestError("no text in file (only blanks) — check it is the right file / "
                          "文件中没有文字")
    check_size(len(text), max_text_chars)
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


def _file_size(path: Path) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(_unreadable(exc)) from None
    if size == 0:
        raise IngestError("empty file (0 bytes) — check it was copied completely / 空文件")
    return size


def _unreadable(exc: OSError) -> str:
    return (f"cannot read file ({exc.strerror or exc}) — check its permissions / "
            f"无法读取文件，请检查权限")


def error_summary(exc: Exception, limit: int = 160) -> str:
    """`Kind: message` of a third-party exception on one line, cut to `limit` characters (lxml
    and pypdf messages can span lines)."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_size(chars: int, max_text_chars: int) -> None:
    if chars > max_text_chars:
        raise IngestError(
            f"extracted text is {chars / 1e6:.1f} MB, above the limit of "
            f"{max_text_chars / 1e6:.1f} MB (setting ingest.max_text_mb) — split the file / "
            f"文字量超过上限，请拆分文件"
        )


# --- .txt / .md ---------------------------------------------------------------------------


def _read_text_file(path: Path, size: int, max_text_chars: int, *, markdown: bool) -> str:
    limit = TEXT_BYTES_PER_CHAR * max_text_chars
    if size > limit:
        raise IngestError(
            f"file is {size / 1e6:.1f} MB, too large for a text file (limit "
            f"{limit / 1e6:.1f} MB, from setting ingest.max_text_mb) — split the file / "
            f"文件过大，请拆分"
        )
    try:
        text = decode_text(path.read_bytes())
    except OSError as exc:
        raise IngestError(_unreadable(exc)) from None
    if markdown:
        text = _HTML_COMMENT.sub("", text)
    return clean_text(text)


def decode_text(data: bytes) -> str:
    """Bytes of a text file → str: BOM, UTF-16 without BOM, UTF-8, GB18030 (GBK), then
    charset-normalizer's guess (Big5…); binary data is refused, whatever it decodes to."""
    text = _decode(data)
    odd = len(_NOT_TEXT.findall(text))
    if odd > MAX_ODD_SHARE * len(text):
        raise IngestError(f"binary file, not text ({odd} of {len(text)} characters are control "
                          f"or unassigned codes) — check the file type / 二进制文件，不是文本")
    return text


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):  # a BOM settles the encoding; stray bad bytes become �
            return data.decode(encoding, errors="replace")
    if b"\x00" in data:
        text = _guess_utf16(data)
        if text is None:
            raise IngestError("binary file, not text (contains NUL bytes) — check the file type / "
                              "二进制文件，不是文本")
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
    raise IngestError("cannot decode text (tried UTF-8, GB18030, UTF-16) — save it as UTF-8 / "
                      "无法识别编码，请另存为 UTF-8")


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
