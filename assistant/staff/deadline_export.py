"""时限日历 as the CLI and the page show it: JSON records, a Markdown list by month, an .xlsx
sheet and an RFC 5545 .ics calendar (one all-day event per dated deadline)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.core.dates import chinese_date
from assistant.core.errors import ConfigError
from assistant.core.sources import source_line
from assistant.export import write_sheet
from assistant.staff.deadline_list import DeadlineRow
from assistant.staff.requirements_export import document_label

HEADERS = ("到期日", "时限（原文）", "任务", "责任单位", "文件", "位置", "原文")
_WIDTHS = (12, 18, 60, 22, 34, 24, 70)
UNDATED = "未能确定日期"


def deadline_json(row: DeadlineRow) -> dict[str, Any]:
    p = row.passage
    return {"source": p.source, "title": p.title, "doc_no": p.doc_no, "date": p.date,
            "status": p.status, "task": row.task, "unit": "、".join(row.units),
            "due_text": row.due_text, "due": row.due, "recurring": row.recurring,
            "rule": row.rule, "sentence": row.sentence, "heading": p.heading, "page": p.page,
            "chunk_id": p.chunk_id, "quote": p.text}


def due_label(row: DeadlineRow) -> str:
    if row.due:
        return row.due
    return f"{UNDATED}（{row.recurring}）" if row.recurring else UNDATED


def deadline_cells(rows: Sequence[DeadlineRow]) -> list[tuple[str, ...]]:
    return [(due_label(r), r.due_text, r.task, "、".join(r.units) or "—",
             document_label(r.passage), r.passage.heading or "—", r.sentence) for r in rows]


def month_of(row: DeadlineRow) -> str:
    """2020年3月, or 定期 / 未能确定日期 for rows without a date."""
    if row.due:
        return chinese_date(row.due[:7])
    return "定期（按周期执行）" if row.recurring else UNDATED


def deadlines_markdown(rows: Sequence[DeadlineRow], title: str = "时限日历") -> str:
    dated = sum(1 for r in rows if r.due)
    lines = [f"# {title}", "", f"共 {len(rows)} 项时限（{dated} 项已定日期）。", ""]
    groups: dict[str, list[DeadlineRow]] = {}
    for row in rows:
        groups.setdefault(month_of(row), []).append(row)
    for month, members in groups.items():
        lines += [f"## {month}", "", "| 到期日 | 时限 | 任务 | 责任单位 | 文件 |",
                  "|---|---|---|---|---|"]
        lines += ["| " + " | ".join(_md(x) for x in (
            r.due or (r.recurring or "—"), r.due_text, r.task, "、".join(r.units) or "—",
            document_label(r.passage))) + " |" for r in members]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "｜") or "—"


# --- .ics (RFC 5545) --------------------------------------------------------------------------
def deadlines_ics(rows: Sequence[DeadlineRow], now: dt.datetime | None = None) -> str:
    """A VCALENDAR with one all-day VEVENT per dated row; lines folded at 75 octets, CRLF."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//policyqa//deadlines//ZH",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:" + _escape("时限日历")]
    for row in rows:
        if row.due:
            lines += _event(row, stamp)
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _event(row: DeadlineRow, stamp: str) -> list[str]:
    day = dt.date.fromisoformat(row.due or "")
    key = f"{row.passage.chunk_id}|{row.due_text}|{row.due}|{row.sentence}"
    uid = hashlib.sha1(key.encode()).hexdigest()[:24] + "@policyqa"
    summary = row.task if len(row.task) <= 60 else row.task[:60] + "…"
    description = "\n".join(x for x in (
        f"时限：{row.due_text}", f"责任单位：{'、'.join(row.units)}" if row.units else "",
        f"来源：{source_line(row.passage)}", f"原文：{row.sentence}") if x)
    return ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
            "SUMMARY:" + _escape(summary), "DESCRIPTION:" + _escape(description),
            "TRANSP:TRANSPARENT", "END:VEVENT"]


def _escape(text: str) -> str:
    """TEXT values: backslash, semicolon, comma and line breaks escaped (RFC 5545 3.3.11)."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str, limit: int = 75) -> str:
    """Content lines longer than 75 octets continue on lines that start with a space, never
    splitting a UTF-8 character."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (limit if not out else limit - 1):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


# --- files ------------------------------------------------------------------------------------
def export_deadlines(rows: Sequence[DeadlineRow], path: Path) -> Path:
    match path.suffix.lower():
        case ".ics":
            path.write_bytes(deadlines_ics(rows).encode("utf-8"))
        case ".md":
            path.write_text(deadlines_markdown(rows), encoding="utf-8")
        case ".xlsx":
            _xlsx(rows, path)
        case other:
            raise ConfigError(f"cannot export deadlines to {other or 'a file without extension'}:"
                              f" use .ics, .xlsx or .md")
    return path


def _xlsx(rows: Sequence[DeadlineRow], path: Path) -> None:
    write_sheet(path, "时限日历", HEADERS, deadline_cells(rows), _WIDTHS)
