"""Policy status from a document's own text: in force since when, repealed, revised, and which
other documents it repeals.

"本办法自2024年1月1日起施行" gives the effective date (and 现行); "（已废止）" or "已失效" near the
title marks the document itself repealed; "《…》同时废止" / "同时废止《…》" names documents this one
repeals (the knowledge base marks those 已废止 when it holds them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.core.dates import DATE_RE, match_date

_HEAD_LINES = 6

_EFFECTIVE = re.compile(
    rf"自\s*(?:{DATE_RE.pattern})\s*起\s*(?:施行|实施|执行|生效)")
_FROM_ISSUE = re.compile(r"自(?:发布|印发|公布)之日起\s*(?:施行|实施|执行|生效)")
_OWN_REPEALED = re.compile(r"[（(【\[]\s*(?:已废止|已失效|废止|失效)\s*[）)】\]]"
                           r"|本(?:办法|规定|通知|文件|条例|意见|细则|措施)已(?:废止|失效)")
_OWN_REVISED = re.compile(r"[（(【\[]\s*已修订\s*[）)】\]]"
                          r"|本(?:办法|规定|条例|细则)已(?:被)?修订")
_REPEALS_AFTER = re.compile(r"((?:《[^《》]{2,60}》[、和及]?)+)(?:（[^（）]{0,30}）)?"
                            r"\s*同时(?:废止|停止执行)")
_REPEALS_BEFORE = re.compile(r"同时(?:废止|停止执行)\s*((?:《[^《》]{2,60}》[、和及]?)+)")
_TITLE_IN = re.compile(r"《([^《》]{2,60})》")


@dataclass(frozen=True)
class StatusInfo:
    status: str = ""  # 现行 / 已修订 / 已废止, "" when the text does not say
    effective: str = ""  # YYYY-MM-DD (or shorter) the document takes effect, "" when not stated
    repeals: tuple[str, ...] = ()  # titles of documents this one repeals


def extract_status(text: str, date: str = "") -> StatusInfo:
    """Status, effective date and repealed titles stated by one cleaned document."""
    head = "\n".join(text.strip().splitlines()[:_HEAD_LINES])
    effective = _effective_date(text, date)
    if _OWN_REPEALED.search(head):
        status = "已废止"
    elif _OWN_REVISED.search(head):
        status = "已修订"
    else:
        status = "现行" if effective else ""
    return StatusInfo(status, effective, repealed_titles(text))


def repealed_titles(text: str) -> tuple[str, ...]:
    found: list[str] = []
    for pattern in (_REPEALS_AFTER, _REPEALS_BEFORE):
        for match in pattern.finditer(text):
            found += _TITLE_IN.findall(match.group(1))
    return tuple(dict.fromkeys(found))


def _effective_date(text: str, date: str) -> str:
    match = _EFFECTIVE.search(text)
    if match:
        return match_date(match) or ""
    return date if date and _FROM_ISSUE.search(text) else ""
