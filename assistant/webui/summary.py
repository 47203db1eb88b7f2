"""The 汇总 and 日历 tabs' handlers: a target's requirements across documents, and every
deadline by month, each with its table or Markdown and its downloads."""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.dates import full_day, parse_date
from assistant.core.errors import PolicyQAError
from assistant.core.types import SearchFilter

if TYPE_CHECKING:
    from assistant.services import Services

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    rows: list[list[str]] = field(default_factory=list)
    markdown: str = ""
    files: list[str] = field(default_factory=list)
    message: str = ""


def make_summary(services: Services, target: str | None, all_versions: bool = False,
                 sources: list[str] | None = None) -> Outcome:
    """汇总: rows under requirements_export.HEADERS, the .xlsx and .docx, a status line."""
    from assistant.staff.requirements import requirement_table
    from assistant.staff.requirements_export import cells, export_requirements, summary_line

    target = (target or "").strip()
    if not target:
        return Outcome(message="请输入要汇总的对象，如：企业、乡镇、医疗机构、市发改委。")
    try:
        table = requirement_table(services, target, SearchFilter(sources=tuple(sources or ())),
                                  all_versions)
    except PolicyQAError as exc:
        logger.warning("summary failed target=%s reason=%s", target, exc)
        return Outcome(message=f"未能汇总：{exc}")
    files = []
    if table.rows:
        folder = Path(tempfile.mkdtemp(prefix="policyqa-summary-"))
        stem = _safe(f"对{table.target}的要求汇总")
        files = [str(export_requirements(table, folder / f"{stem}.{ext}")) for ext in
                 ("xlsx", "docx")]
    return Outcome([list(c) for c in cells(table)], "", files, summary_line(table))


def make_calendar(services: Services, since: str | None, until: str | None,
                  sources: list[str] | None = None) -> Outcome:
    """日历: the deadlines by month as Markdown, the .ics and .xlsx, a status line."""
    from assistant.staff.deadline_export import deadlines_markdown, export_deadlines
    from assistant.staff.deadline_list import deadline_rows

    try:
        low, high = (_day(since, end=False), _day(until, end=True))
    except ValueError as exc:
        return Outcome(message=str(exc))
    try:
        rows, undated = deadline_rows(services, SearchFilter(sources=tuple(sources or ())),
                                      low, high)
    except PolicyQAError as exc:
        logger.warning("calendar failed reason=%s", exc)
        return Outcome(message=f"未能生成日历：{exc}")
    if not rows:
        return Outcome(message="所选范围内没有时限。")
    folder = Path(tempfile.mkdtemp(prefix="policyqa-calendar-"))
    files = [str(export_deadlines(rows, folder / f"时限日历.{ext}")) for ext in ("ics", "xlsx")]
    dated = sum(1 for r in rows if r.due)
    message = f"共 {len(rows)} 项时限，{dated} 项已定日期" + (
        f"；另有 {undated} 项未能确定日期，清空日期范围即可列出" if undated else "") + "。"
    body = deadlines_markdown(rows).split("\n", 3)[-1]  # without its title and count
    return Outcome([], body, files, message)


def _day(value: str | None, end: bool) -> str:
    value = (value or "").strip()
    return full_day(parse_date(value), end) if value else ""


def _safe(name: str) -> str:
    return re.sub(r"[\\/:*?\"<>|]", "_", name)[:80]
