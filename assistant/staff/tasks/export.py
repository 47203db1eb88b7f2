"""任务清单 exports: a Markdown table, an .xlsx sheet or a .docx table, with the sources."""

from __future__ import annotations

from pathlib import Path

from assistant.core.errors import ConfigError
from assistant.core.sources import source_line
from assistant.export import write_sheet
from assistant.staff.tasks.rules import TaskTable

TASK_HEADERS = ("序号", "任务", "责任单位", "时限", "依据")
_TASK_WIDTHS = (6, 60, 26, 14, 60)  # xlsx column widths, in characters


def task_cells(table: TaskTable) -> list[tuple[str, ...]]:
    """One tuple of cell texts per row, under TASK_HEADERS; the target joins the task."""
    cells: list[tuple[str, ...]] = []
    for n, row in enumerate(table.rows, 1):
        task = row.task + (f"（目标：{row.target}）" if row.target and row.target not in row.task
                           else "")
        cells.append((str(n), task, "、".join(row.units) or "—", row.deadline or "—",
                      row.basis()))
    return cells


def _table_title(table: TaskTable) -> str:
    part = f"（{table.section}）" if table.section else ""
    return f"《{table.title}》{part}任务清单"


def tasks_markdown(table: TaskTable) -> str:
    lines = [f"# {_table_title(table)}", "", "| " + " | ".join(TASK_HEADERS) + " |",
             "|" + "---|" * len(TASK_HEADERS)]
    lines += ["| " + " | ".join(c.replace("|", "｜") for c in cells) + " |"
              for cells in task_cells(table)]
    lines += [""] + [f"注：{note}" for note in table.notes]
    return "\n".join(lines).rstrip() + "\n"


def tasks_xlsx(table: TaskTable, path: Path) -> Path:
    rows = ([int(cells[0]), *cells[1:]] for cells in task_cells(table))
    return write_sheet(path, "任务清单", TASK_HEADERS, rows, _TASK_WIDTHS)


def tasks_docx(table: TaskTable, path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.add_heading(_table_title(table), level=1)
    grid = doc.add_table(rows=1, cols=len(TASK_HEADERS))
    grid.style = "Table Grid"
    for cell, header in zip(grid.rows[0].cells, TASK_HEADERS, strict=True):
        cell.text = header
    for cells in task_cells(table):
        for cell, text in zip(grid.add_row().cells, cells, strict=True):
            cell.text = text
    if table.rows:
        doc.add_heading("附：依据来源", level=2)
        for passage in dict.fromkeys(row.passage for row in table.rows):
            doc.add_paragraph(source_line(passage))
    for note in table.notes:
        doc.add_paragraph(f"注：{note}")
    doc.save(str(path))
    return path


def export_tasks(table: TaskTable, path: Path) -> Path:
    match path.suffix.lower():
        case ".md":
            path.write_text(tasks_markdown(table), encoding="utf-8")
            return path
        case ".xlsx":
            return tasks_xlsx(table, path)
        case ".docx":
            return tasks_docx(table, path)
        case other:
            raise ConfigError(f"cannot export a task list to {other or 'a file without extension'}"
                              f": use .xlsx, .docx or .md")
