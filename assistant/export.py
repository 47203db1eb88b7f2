"""Export an answer, outline or draft as Markdown or .docx, with its sources as an appendix
(`add_sources` also serves the 任务清单 and comparison exports)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from assistant.core.errors import ConfigError
from assistant.core.sources import source_line
from assistant.core.text import one_line
from assistant.core.types import Answer, Citation


def to_markdown(answer: Answer, title: str = "") -> str:
    lines = [f"# {title or answer.question}", "", answer.text, ""]
    if answer.citations:
        lines += ["## 依据来源", ""]
        for c in answer.citations:
            lines += [f"[{c.n}] {source_line(c.passage)}", "", f"> {one_line(c.passage.text)}", ""]
    return "\n".join(lines)


def to_docx(answer: Answer, path: Path, title: str = "") -> Path:
    from docx import Document

    doc = Document()
    doc.add_heading(title or answer.question, level=1)
    for line in answer.text.splitlines():
        if line.strip():
            doc.add_paragraph(line.strip())
    add_sources(doc, answer.citations, "附：依据来源")
    doc.save(str(path))
    return path


def add_sources(doc: Any, citations: Sequence[Citation], heading: str, prefix: str = "") -> None:
    """An appendix to a .docx: each source line, then its passage in small print."""
    from docx.shared import Pt

    if citations:
        doc.add_heading(heading, level=2)
    for c in citations:
        doc.add_paragraph(f"[{prefix}{c.n}] {source_line(c.passage)}")
        quote = doc.add_paragraph(one_line(c.passage.text))
        for run in quote.runs:
            run.font.size = Pt(9)


def export(answer: Answer, path: Path, title: str = "") -> Path:
    match path.suffix.lower():
        case ".md":
            path.write_text(to_markdown(answer, title), encoding="utf-8")
            return path
        case ".docx":
            return to_docx(answer, path, title)
        case other:
            raise ConfigError(f"cannot export to {other or 'a file without extension'}: "
                              f"use .md or .docx")


def write_sheet(path: Path, title: str, headers: Sequence[str],
                rows: Iterable[Sequence[object]], widths: Sequence[int]) -> Path:
    """One .xlsx sheet: a bold, frozen header row, wrapped cells, column widths in characters."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for line in sheet.iter_rows():
        for cell in line:
            cell.alignment = wrap
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    book.save(str(path))
    return path
