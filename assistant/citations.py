"""How sources are shown: the way staff cite documents."""

from __future__ import annotations

from assistant.doc_catalog import status_note, version_note
from assistant.types import Citation, Passage


def source_line(passage: Passage) -> str:
    """《标题》（文号，日期）（已废止）（2024年版，另有2023年版）· heading path · 第N页 — unknown
    parts are left out."""
    title = f"《{passage.title}》" if passage.title else passage.source
    details = "，".join(p for p in (passage.doc_no, _date_cn(passage.date)) if p)
    parts = [title + (f"（{details}）" if details else "") + status_note(passage)
             + version_note(passage)]
    if passage.heading_path:
        parts.append(passage.heading)
    if passage.page:
        parts.append(f"第{passage.page}页")
    return " · ".join(parts)


def sources_block(citations: tuple[Citation, ...] | list[Citation]) -> str:
    if not citations:
        return ""
    lines = ["来源："] + [f"[{c.n}] {source_line(c.passage)}" for c in citations]
    return "\n".join(lines)


def _date_cn(date: str) -> str:
    parts = date.split("-") if date else []
    units = ("年", "月", "日")
    return "".join(f"{int(p)}{u}" for p, u in zip(parts, units, strict=False))
