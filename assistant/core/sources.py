"""How sources are shown: the way staff cite documents, and citation numbers in order of use."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.core.dates import chinese_date
from assistant.core.types import Citation, Passage


def source_line(passage: Passage) -> str:
    """《标题》（文号，日期）（已废止）（2024年版，另有2023年版）· heading path · 第N页 — unknown
    parts are left out."""
    title = f"《{passage.title}》" if passage.title else passage.source
    details = "，".join(p for p in (passage.doc_no, chinese_date(passage.date)) if p)
    parts = [title + (f"（{details}）" if details else "") + status_note(passage)
             + version_note(passage)]
    if passage.heading_path:
        parts.append(passage.heading)
    if passage.page:
        parts.append(f"第{passage.page}页")
    return " · ".join(parts)


def sources_block(citations: Sequence[Citation]) -> str:
    if not citations:
        return ""
    lines = ["来源："] + [f"[{c.n}] {source_line(c.passage)}" for c in citations]
    return "\n".join(lines)


def version_note(passage: Passage) -> str:
    """（2024年版，另有2023年版） for a document stored in several versions, else ""."""
    if len(passage.versions) < 2:
        return ""
    own, *others = passage.versions
    return f"（{own}版，另有{'、'.join(others)}版）"


def status_note(passage: Passage) -> str:
    return f"（{passage.status}）" if passage.status in ("已废止", "已修订") else ""


class Numbering:
    """Citation numbers in order of first use: the passages (1-based ranks) a text cites become
    [1], [2], … (with a prefix, [A1], [A2], … for one side of a comparison)."""

    def __init__(self, passages: Sequence[Passage] = (), prefix: str = "") -> None:
        self.passages = list(passages)
        self.prefix = prefix
        self.numbers: dict[int, int] = {}  # rank → citation number
        self._ranks = {p.chunk_id: r for r, p in enumerate(self.passages, 1)}

    def number(self, rank: int) -> int:
        return self.numbers.setdefault(rank, len(self.numbers) + 1)

    def cite(self, rank: int) -> str:
        return f"[{self.prefix}{self.number(rank)}]"

    def cite_passage(self, passage: Passage) -> str:
        """Cite a passage that may not be in the list yet (it is added, one number a chunk)."""
        if passage.chunk_id not in self._ranks:
            self.passages.append(passage)
            self._ranks[passage.chunk_id] = len(self.passages)
        return self.cite(self._ranks[passage.chunk_id])

    def citations(self) -> tuple[Citation, ...]:
        return tuple(Citation(n, self.passages[rank - 1], rank)
                     for rank, n in self.numbers.items())
