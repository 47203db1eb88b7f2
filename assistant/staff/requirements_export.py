"""汇总 as the CLI and the page show it: JSON records, a Markdown report grouped by document, and
.xlsx / .docx exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.core.dates import chinese_date
from assistant.core.errors import ConfigError
from assistant.core.sources import source_line, status_note
from assistant.core.types import Answer, Citation, Passage, SearchFilter
from assistant.export import write_sheet
from assistant.staff.across import Store
from assistant.staff.addressee import KIND_LABELS
from assistant.staff.requirements import (
    RequirementRow,
    RequirementTable,
    requirement_table,
    summary_target,
)

HEADERS = ("序号", "文件", "要求（原文）", "对象", "方式", "责任单位", "时限", "位置")
_WIDTHS = (6, 30, 70, 16, 8, 20, 14, 30)
_DOCX_HEADERS = ("要求（原文）", "对象", "方式", "责任单位", "时限")


def requirement_json(row: RequirementRow) -> dict[str, Any]:
    p = row.passage
    return {"source": p.source, "title": p.title, "doc_no": p.doc_no, "date": p.date,
            "status": p.status, "requirement": row.requirement, "target": row.target,
            "kind": row.kind, "unit": row.unit, "due_text": row.due_text,
            "heading": p.heading, "page": p.page, "chunk_id": p.chunk_id, "quote": p.text}


def document_label(passage: Passage) -> str:
    """《标题》（文号，2020年2月10日）（已废止）"""
    details = "，".join(x for x in (passage.doc_no, chinese_date(passage.date)) if x)
    return f"《{passage.title}》" + (f"（{details}）" if details else "") + status_note(passage)


def cells(table: RequirementTable) -> list[tuple[str, ...]]:
    """One tuple of cell texts per row, under HEADERS."""
    return [(str(n), document_label(r.passage), r.requirement, r.target, KIND_LABELS[r.kind],
             r.unit, r.due_text or "—", r.passage.heading or "—")
            for n, r in enumerate(table.rows, 1)]


def title_of(table: RequirementTable) -> str:
    scope = "（含旧版本）" if table.all_versions else ""
    return f"各文件对“{table.target}”的要求汇总{scope}"


def summary_line(table: RequirementTable) -> str:
    groups = table.by_document()
    if not table.rows:
        return (f"在 {table.documents} 个文件中没有找到对“{table.target}”提出的要求"
                f"（按“{table.family}”及其同类称谓查找）。")
    return (f"{len(groups)} 个文件对“{table.target}”提出了 {len(table.rows)} 条要求"
            f"（共读 {table.documents} 个文件，按“{table.family}”及其同类称谓查找；"
            f"方式：直接＝主语或责任单位，督促＝由主管部门督促/要求/指导落实，隐含＝文件或章节面向该对象）。")


def requirements_markdown(table: RequirementTable) -> str:
    lines = [f"# {title_of(table)}", "", summary_line(table), ""]
    for passage, rows in table.by_document():
        lines += [f"## {document_label(passage)}", "",
                  "| 要求（原文） | 对象 | 方式 | 责任单位 | 时限 | 位置 |",
                  "|---|---|---|---|---|---|"]
        lines += ["| " + " | ".join(_md(x) for x in (
            r.requirement, r.target, KIND_LABELS[r.kind], r.unit, r.due_text or "—",
            r.passage.heading + (f" 第{r.passage.page}页" if r.passage.page else ""))) + " |"
            for r in rows]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "｜") or "—"


def export_requirements(table: RequirementTable, path: Path) -> Path:
    match path.suffix.lower():
        case ".md":
            path.write_text(requirements_markdown(table), encoding="utf-8")
            return path
        case ".xlsx":
            return _xlsx(table, path)
        case ".docx":
            return _docx(table, path)
        case other:
            raise ConfigError(f"cannot export 汇总 to {other or 'a file without extension'}: use "
                              f".xlsx, .docx or .md")


def _xlsx(table: RequirementTable, path: Path) -> Path:
    rows = ([int(row[0]), *row[1:]] for row in cells(table))
    return write_sheet(path, "要求汇总", HEADERS, rows, _WIDTHS)


def _docx(table: RequirementTable, path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.add_heading(title_of(table), level=1)
    doc.add_paragraph(summary_line(table))
    for passage, rows in table.by_document():
        doc.add_heading(document_label(passage), level=2)
        grid = doc.add_table(rows=1, cols=5)
        grid.style = "Table Grid"
        for cell, header in zip(grid.rows[0].cells, _DOCX_HEADERS, strict=True):
            cell.text = header
        for r in rows:
            values = (r.requirement, r.target, KIND_LABELS[r.kind], r.unit, r.due_text or "—")
            for cell, text in zip(grid.add_row().cells, values, strict=True):
                cell.text = text
    if table.rows:
        doc.add_heading("附：依据来源", level=2)
        for passage in dict.fromkeys(r.passage for r in table.rows):
            doc.add_paragraph(source_line(passage))
    doc.save(str(path))
    return path


# --- the chat's answer to a cross-document question --------------------------------------------
CHAT_ROWS = 20  # requirements quoted in the chat; the 汇总 tab and `policyqa requirements` list all


def cross_document_answer(store: Store, question: str,
                          filters: SearchFilter = SearchFilter()) -> Answer | None:
    """“各文件对企业提出了哪些要求？” answered by 汇总 (each requirement quoted and cited);
    None for any other question, which the QA chain answers."""
    target = summary_target(question)
    if not target:
        return None
    return summary_answer(question, requirement_table(store, target, filters))


def summary_answer(question: str, table: RequirementTable, limit: int = CHAT_ROWS) -> Answer:
    lines = [summary_line(table)]
    numbers: dict[str, int] = {}  # chunk id → citation number
    shown = table.rows[:limit]
    for passage, rows in RequirementTable(table.target, table.family, shown, 0).by_document():
        lines.append(f"{document_label(passage)}：")
        for row in rows:
            n = numbers.setdefault(row.passage.chunk_id, len(numbers) + 1)
            lines.append(f"{row.requirement}[{n}]")
    citations = {row.passage.chunk_id: row.passage for row in shown}
    notes = ((f"只列出前 {limit} 条，共 {len(table.rows)} 条；完整结果见“汇总”页或 "
              f"`policyqa requirements {table.target}`。",) if len(table.rows) > limit else ())
    return Answer(question=question, text="\n".join(lines),
                  citations=tuple(Citation(n, citations[cid], n) for cid, n in numbers.items()),
                  passages=tuple(citations.values()), backend="汇总", notes=notes)
