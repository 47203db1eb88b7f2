"""What every loader shares: file size checks and one-line reasons for failures."""

from __future__ import annotations

from pathlib import Path

from assistant.core.errors import IngestError


def file_size(path: Path) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(unreadable(exc)) from None
    if size == 0:
        raise IngestError("empty file (0 bytes) — check it was copied completely / 空文件")
    return size


def unreadable(exc: OSError) -> str:
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
