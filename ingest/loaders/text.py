""".txt and .md files: the encoding found (BOM, UTF-16, UTF-8, GB18030, then a guess), binary
data refused, Markdown comments dropped, the text cleaned."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from assistant.core.errors import IngestError
from ingest.clean import clean_text
from ingest.loaders.common import unreadable

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


def read_text_file(path: Path, size: int, max_text_chars: int, *, markdown: bool) -> str:
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
        raise IngestError(unreadable(exc)) from None
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
