"""A comparison as people read it: a Markdown table (类型 / 位置 / 原表述(A) / 新表述(B) / 变化)
with [A1]/[B1] markers, the cited passages of both documents listed below it, or a .docx."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.errors import ConfigError
from assistant.core.sources import Numbering, source_line
from assistant.core.text import one_line
from assistant.core.types import Citation
from assistant.documents.library import find_record
from assistant.export import add_sources
from assistant.staff.compare.align import (
    ADDED,
    CHANGED,
    REMOVED,
    Comparison,
    Difference,
    Sentence,
    compare,
)

if TYPE_CHECKING:
    from vectorstore.knowledge_base import KnowledgeBase

HEADERS = ["#", "类型", "位置", "原表述（A）", "新表述（B）", "变化"]
NO_DIFFERENCE = "两份文件内容一致，未发现差异。"


@dataclass(frozen=True)
class CompareReport:
    """The rows of the difference table and the passages they cite, per side."""

    comparison: Comparison
    rows: tuple[tuple[str, ...], ...]
    citations_a: tuple[Citation, ...]
    citations_b: tuple[Citation, ...]

    @property
    def title(self) -> str:
        return f"文件对比：《{self.comparison.title_a}》与《{self.comparison.title_b}》"

    def summary(self) -> str:
        diffs = self.comparison.differences
        counts = {k: sum(d.kind == k for d in diffs) for k in (ADDED, REMOVED, CHANGED)}
        same = (f"另有 {self.comparison.same_sections} 个章节、{self.comparison.same_sentences} "
                f"句内容一致（未列出）")
        moved = self.comparison.moved
        same += f"，{moved} 句仅调整了位置（未列出）。" if moved else "。"
        if not diffs:
            return f"{NO_DIFFERENCE}{same}"
        listed = "，".join(f"{k} {n} 处" for k, n in counts.items())
        return f"共 {len(diffs)} 处差异：{listed}。{same}"

    def to_markdown(self, escape: Callable[[str], str] | None = None) -> str:
        esc = escape or _cell
        lines = [f"# {esc(self.title)}", "", esc(self.summary()), ""]
        if self.rows:
            lines += ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
            lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in self.rows]
            lines.append("")
        for side, citations in (("A", self.citations_a), ("B", self.citations_b)):
            if citations:
                lines += [f"## 依据来源（{side}）", ""]
                for c in citations:
                    lines += [f"[{side}{c.n}] {esc(source_line(c.passage))}", "",
                              f"> {esc(one_line(c.passage.text))}", ""]
        return "\n".join(lines)


def compare_documents(kb: KnowledgeBase, source_a: str, source_b: str) -> CompareReport:
    """Compare two stored documents (sources as `policyqa list` prints them)."""
    passages = [kb.document_passages(find_record(kb, s).doc_hash) for s in (source_a, source_b)]
    return report(compare(*passages))


def report(comparison: Comparison) -> CompareReport:
    a, b = Numbering(prefix="A"), Numbering(prefix="B")
    rows = tuple(_row(n, d, a, b) for n, d in enumerate(comparison.differences, 1))
    return CompareReport(comparison, rows, a.citations(), b.citations())


def _row(n: int, diff: Difference, a: Numbering, b: Numbering) -> tuple[str, ...]:
    default = {ADDED: "B 新增", REMOVED: "A 有、B 删去"}.get(diff.kind, "")
    change = "；".join(diff.changes) or default
    return (str(n), diff.kind, diff.where, _quote(diff.old, a), _quote(diff.new, b), change)


def _quote(sentence: Sentence | None, numbering: Numbering) -> str:
    return f"{sentence.text}{numbering.cite_passage(sentence.passage)}" if sentence else "—"


def _cell(text: str) -> str:
    """Plain Markdown table cell: one line, pipes escaped."""
    return one_line(text).replace("|", "\\|")


def export_report(result: CompareReport, path: Path) -> Path:
    match path.suffix.lower():
        case ".md":
            path.write_text(result.to_markdown(), encoding="utf-8")
            return path
        case ".docx":
            return _to_docx(result, path)
        case other:
            raise ConfigError(f"cannot export a comparison to {other or 'a file without extension'}"
                              f": use --out FILE.md or FILE.docx")


def _to_docx(result: CompareReport, path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.add_heading(result.title, level=1)
    doc.add_paragraph(result.summary())
    if result.rows:
        table = doc.add_table(rows=1, cols=len(HEADERS))
        table.style = "Table Grid"
        for cell, header in zip(table.rows[0].cells, HEADERS, strict=True):
            cell.text = header
        for row in result.rows:
            for cell, value in zip(table.add_row().cells, row, strict=True):
                cell.text = value
    for side, citations in (("A", result.citations_a), ("B", result.citations_b)):
        add_sources(doc, citations, f"附：依据来源（{side}）", prefix=side)
    doc.save(str(path))
    return path
