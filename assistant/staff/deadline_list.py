"""时限日历: every deadline of the stored documents, with its task, unit and source, resolved to
a date where the text fixes one (deadlines.py has the readings).

A row's task and 责任单位 come from the 任务清单 rules (tasks/rules.py) when they read the
sentence as a task; any other sentence with a time node is listed too, as written. Vague time
words (今年, 汛期 …) are not deadlines and are left out; a deadline the text does not date
(受理之日起5个工作日内, 疫情解除后三个月内) is listed without a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.core.dates import DATE_RE, match_date
from assistant.core.text import split_sentences
from assistant.core.types import DocRecord, Passage, SearchFilter
from assistant.staff.across import Store, StoredDocument, stored_documents
from assistant.staff.clauses import ENUMERATOR
from assistant.staff.deadlines import DocDates, sentence_dues
from assistant.staff.patterns import responsible_units
from assistant.staff.tasks.rules import extract_rules

_REVISED = re.compile(rf"(?:{DATE_RE.pattern})[^\n。]{{0,80}}(?:修订|修正|修改)")
_STATED_EFFECTIVE = re.compile(rf"自\s*(?:{DATE_RE.pattern})\s*起\s*(?:施行|实施|执行|生效)")
_HEAD_LINES = 12


@dataclass(frozen=True)
class DeadlineRow:
    task: str
    units: tuple[str, ...]
    due_text: str
    due: str | None
    recurring: str | None
    rule: str
    sentence: str
    passage: Passage


def document_dates(record: DocRecord, passages: list[Passage]) -> DocDates:
    """The stored record's date and 施行日期, and what the text says about trusting them."""
    head = "\n".join(passages[0].text.splitlines()[:_HEAD_LINES]) if passages else ""
    text = "\n".join(p.text for p in passages)
    stated = {match_date(m) for m in _STATED_EFFECTIVE.finditer(text)}
    return DocDates(record.date, record.effective, revised=bool(_REVISED.search(head)),
                    effective_stated=bool(record.effective) and record.effective in stated)


def document_deadlines(passages: list[Passage], dates: DocDates) -> list[DeadlineRow]:
    """The deadlines of one document, in document order."""
    tasks = {row.quote: row for row in extract_rules(passages)}
    rows: list[DeadlineRow] = []
    seen: set[str] = set()
    for passage in passages:
        for line in passage.text.splitlines():
            for sentence in split_sentences(line):
                if sentence in seen:  # chunk overlap repeats a sentence
                    continue
                seen.add(sentence)
                rows += _sentence_rows(sentence, passage, dates, tasks)
    return rows


def _sentence_rows(sentence: str, passage: Passage, dates: DocDates,
                   tasks: dict) -> list[DeadlineRow]:
    task_row = tasks.get(sentence)
    task = task_row.task if task_row else ENUMERATOR.sub("", sentence).rstrip("。；;，,")
    units = tuple(task_row.units) if task_row else tuple(responsible_units(sentence))
    return [DeadlineRow(task, units, node.text, due.date, due.recurring, due.rule, sentence,
                        passage)
            for node, due in sentence_dues(sentence, dates) if due.rule != "R9"]


def deadline_rows(store: Store, filters: SearchFilter = SearchFilter(), since: str = "",
                  until: str = "") -> tuple[list[DeadlineRow], int]:
    """Every deadline in scope, soonest first, undated ones after the dated; with a date range,
    only dated ones inside it (and how many undated ones that left out)."""
    rows: list[DeadlineRow] = []
    for document in stored_documents(store, filters):
        rows += document_deadlines(document.passages, _dates(document))
    if since or until:
        undated = sum(1 for r in rows if r.due is None)
        rows = [r for r in rows if r.due and (not since or r.due >= since)
                and (not until or r.due <= until)]
        return sorted(rows, key=lambda r: (r.due or "", r.passage.title)), undated
    dated = sorted((r for r in rows if r.due), key=lambda r: (r.due or "", r.passage.title))
    return dated + [r for r in rows if not r.due], 0


def _dates(document: StoredDocument) -> DocDates:
    return document_dates(document.record, document.passages)
