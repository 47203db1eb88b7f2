"""The 任务清单 tab's handler: pick a document (and a section), get the table and an .xlsx/.docx."""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.errors import PolicyQAError
from assistant.documents.library import lookup

if TYPE_CHECKING:
    from assistant.services import Services

logger = logging.getLogger(__name__)


@dataclass
class TaskOutcome:
    rows: list[list[str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    message: str = ""


def make_task_list(services: Services, source: str | None, section: str = "") -> TaskOutcome:
    """Rows for the table (under TASK_HEADERS), the .xlsx and .docx, a status line, for a
    document of the services' knowledge base."""
    from assistant.staff.tasks.export import task_cells, tasks_docx, tasks_xlsx
    from assistant.staff.tasks.sources import task_table

    if not source:
        return TaskOutcome(message="请先选择一个文件。")
    if lookup(services.kb, source) is None:  # the page reads stored documents, never any path
        return TaskOutcome(message="当前知识库中没有这个文件，请从列表中选择。")
    try:
        table = task_table(services, source, (section or "").strip())
    except PolicyQAError as exc:
        logger.warning("task list failed source=%s reason=%s", source, exc)
        return TaskOutcome(message=f"未能生成任务清单：{exc}")
    if not table.rows:
        return TaskOutcome(message="没有找到带责任单位、时限或量化目标的任务句。")
    folder = Path(tempfile.mkdtemp(prefix="policyqa-tasks-"))
    stem = re.sub(r"[\\/:*?\"<>|]", "_", f"{table.title}任务清单")[:80]
    files = [str(tasks_xlsx(table, folder / f"{stem}.xlsx")),
             str(tasks_docx(table, folder / f"{stem}.docx"))]
    notes = "；".join(table.notes)
    message = f"共 {len(table.rows)} 项任务（{_backend(table.backend)}）" + (
        f"。{notes}" if notes else "")
    return TaskOutcome([list(cells) for cells in task_cells(table)], files, message)


def _backend(name: str) -> str:
    return "规则抽取，请核对" if name == "rules" else f"大模型 {name} 抽取，已逐行核对原文"
