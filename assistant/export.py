"""Export an answer, outline or draft as Markdown or .docx, with its sources as an appendix."""

from __future__ import annotations

from pathlib import Path

from assistant.citations import source_line
from assistant.errors import ConfigError
from assistant.types import Answer


def to_markdown(answer: Answer, title: str = "") -> str:
    lines = [f"# {title or answer.question}", "", answer.text, ""]
    if answer.citations:
        lines += ["## 依据来源", ""]
        for c in answer.citations:
            lines += [f"[{c.n}] {source_line(c.passage)}", "", f"> {_one_line(c.passage.text)}", ""]
    return "\n".join(lines)


def to_docx(answer: Answer, path: Path, title: str = "") -> Path:
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.add_heading(title or answer.question, level=1)
    for line in answer.text.splitlines():
        if line.strip():
            doc.add_paragraph(line.strip())
    if answer.citations:
        doc.add_heading("附：依据来源", level=2)
        for c in answer.citations:
            doc.add_paragraph(f"[{c.n}] {source_line(c.passage)}")
            quote = doc.add_paragraph(_one_line(c.passage.text))
            for run in quote.runs:
                run.font.size = Pt(9)
    doc.save(str(path))
    return path


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


def _one_line(text: str) -> str:
    return " ".join(text.split())
