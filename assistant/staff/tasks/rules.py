"""任务清单 (task breakdown): every concrete task of a speech, 实施意见 or notice — what is to be
done, who is responsible, by when, the quantitative target — each row citing its passage.

Without a language model a rule-based extractor reads the document sentence by sentence
(requirement verbs + unit / time-node / target patterns, see staff/patterns.py); with one, the
model proposes rows and tasks/llm.py checks each against its passage. Where the passages come
from (a stored document, a file, one section) is tasks/sources.py."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answer.extractive import is_heading_sentence
from assistant.core.text import split_sentences
from assistant.core.types import Passage
from assistant.staff.patterns import (
    ACTION,
    ASSIGNED,
    DEADLINES,
    STRONG,
    UNIT,
    assigned_units,
    deadline_in,
    responsible_units,
    target_in,
)

_ENUMERATOR = re.compile(r"^(?:[一二三四五六七八九十]+[是要]|第[一二三四五六七八九十]+[，,、]|"
                         r"[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+\s*[.、．]\s*)")
_PAST = re.compile(r"了|截至|同比|去年|上年|一年来|以来|已经|先后")
# context and analysis, not tasks: “在…之际”, “近年来…”, “但由于…”, quotations of leaders
_CONTEXT = re.compile(r"^(?:在.{2,60}(?:之际|时期|阶段)|近年来|今年以来|当前|但|目前|总体看|"
                      r"从.{1,12}看)|总书记|主要任务是|(?:做好|抓好|做到)以下|"
                      r"起(?:施行|实施)|有效期(?:至|为)")  # the document's own term is no task
_GENERIC = re.compile(r"^(?:这项工作)?由?[、和及]*(?:要|负责|牵头|配合)*(?:抓好|负责|做好)?"
                      r"(?:落实|推进|实施|组织实施)?$")
_ENUMERATION_START = re.compile(r"[：:](?=[一1（(]|第一)")
_GOAL_PART = re.compile(r"总体要求|指导思想|基本原则|主要目标|发展目标")
_DEADLINE_LEAD = re.compile(r"^(?:在|于)?(?:" + "|".join(p.pattern for p in DEADLINES[:2])
                            + r")[，,]")


@dataclass(frozen=True)
class TaskRow:
    """One task: the policy's own words, who, by when, how much, and where it says so."""

    task: str
    units: tuple[str, ...]
    deadline: str
    target: str
    passage: Passage
    quote: str  # the sentence(s) of the passage the row was read from

    def basis(self, snippet_chars: int = 80) -> str:
        """依据: 《title》 heading path, then the quoted passage text."""
        where = f"《{self.passage.title}》" + "".join(f" {h}" for h in heading_parts(self.passage))
        quote = self.quote if len(self.quote) <= snippet_chars else (
            self.quote[:snippet_chars] + "…")
        return f"{where}：“{quote}”"


def heading_parts(passage: Passage, limit: int = 2) -> list[str]:
    """The heading path without the title and without ranges of packed items (…～…)."""
    return [h for h in passage.heading_path if h != passage.title and "～" not in h][:limit]


@dataclass(frozen=True)
class TaskTable:
    title: str
    rows: tuple[TaskRow, ...]
    section: str = ""
    backend: str = "rules"
    notes: tuple[str, ...] = ()


# --- rule-based extraction -------------------------------------------------------------------
def extract_rules(passages: list[Passage]) -> list[TaskRow]:
    """Rows from every line of the passages, in document order; a sentence repeated by chunk
    overlap is read once."""
    rows: list[TaskRow] = []
    seen: set[str] = set()
    for passage in passages:
        for line in passage.text.splitlines():
            if ASSIGNED.search(line):
                rows += _item_row(line, passage)
            else:
                rows += _line_rows(line, passage, seen)
    return _dedupe(rows)


def _item_row(line: str, passage: Passage) -> list[TaskRow]:
    """An 实施意见 item: “1.标题。正文。（责任单位：…；时限：…）” → one row."""
    found = ASSIGNED.search(line)
    body = line[:found.start()].rstrip("（(") if found else line
    sentences = [s for s in split_sentences(body) if s.strip("（()）")]
    if not sentences:
        return []
    title = _trim(sentences[0]) if _is_lead(sentences[0]) else ""
    details = sentences[1:] if title else sentences
    main = next((s for s in details if deadline_in(s) or target_in(s)),
                details[0] if details else "")
    task = f"{title}：{_trim(main)}" if title and main else title or _trim(main)
    target = target_in("。".join(details))
    deadline = deadline_in(line)
    return [TaskRow(task, tuple(assigned_units(line)), deadline, target, passage, line.strip())]


def _line_rows(line: str, passage: Passage, seen: set[str]) -> list[TaskRow]:
    rows: list[TaskRow] = []
    unassigned: list[int] = []  # rows without a unit, which a later sentence may name
    lead = ""
    line_requires = bool(STRONG.search(line))
    for sentence in _sentences(line):
        if sentence in seen:
            continue
        seen.add(sentence)
        if _is_lead(sentence) and sentence.rstrip("。") not in passage.heading_path:
            lead = _trim(sentence)
            continue
        if _is_heading(sentence, passage):
            continue
        units = responsible_units(sentence)
        if units and (_is_assignment(sentence) or sentence.startswith("由")):
            for i in unassigned:
                rows[i] = _with_units(rows[i], units)
            unassigned = []
            if _is_assignment(sentence):
                continue
        row = _sentence_row(sentence, passage, lead, units)
        if row is None or not _is_task(row, bool(line_requires or lead)):
            continue
        lead = ""
        if not row.units:
            unassigned.append(len(rows))
        rows.append(row)
    return rows


def _is_task(row: TaskRow, in_task_list: bool) -> bool:
    """A row says who or by when, or is a requirement (要/必须/确保…); a bare target counts in a
    list of tasks (a line that requires something, after a headline, or numbered 一是/1.),
    not among the 主要目标."""
    sentence = row.quote
    if row.units or STRONG.search(sentence) or _dated(sentence):
        return True
    in_list = in_task_list or bool(_ENUMERATOR.match(sentence))
    return bool(row.target) and in_list and not _is_goal(row.passage)


def _sentences(line: str) -> list[str]:
    """Sentences, with “抓好以下工作：一是…” cut before the enumeration."""
    out: list[str] = []
    for sentence in split_sentences(line):
        out += [part for part in _ENUMERATION_START.split(sentence) if part]
    return out


def _is_goal(passage: Passage) -> bool:
    """A 总体要求/主要目标 part states goals, not tasks: its rows need a unit or a 要."""
    return bool(_GOAL_PART.search(passage.heading))


def _sentence_row(sentence: str, passage: Passage, lead: str,
                  units: list[str]) -> TaskRow | None:
    if len(sentence) < 12 or not ACTION.search(sentence):
        return None
    if _CONTEXT.search(sentence) or (_PAST.search(sentence) and not (
            STRONG.search(sentence) and (units or _dated(sentence)))):
        return None
    deadline, target = deadline_in(sentence), target_in(sentence)
    if not (units or deadline or target or _is_enumerated_requirement(sentence)):
        return None
    task = _trim(sentence)
    if lead and lead not in task:
        task = f"{lead}：{task}"
    return TaskRow(task, tuple(units), deadline, target, passage, sentence)


def _is_enumerated_requirement(sentence: str) -> bool:
    """“二要畅通监督渠道，聘请…” — a speech's numbered requirement, a task even without a unit."""
    return bool(re.match(r"[一二三四五六七八九十]+要", sentence)) and len(sentence) > 32


def _is_lead(sentence: str) -> bool:
    """A short enumerated headline (一要…。/ 第一，… / 1.…) that names the task that follows."""
    return (len(sentence) <= 32 and bool(_ENUMERATOR.match(sentence))
            and not deadline_in(sentence) and not target_in(sentence)
            and not responsible_units(sentence))


def _is_heading(sentence: str, passage: Passage) -> bool:
    """A title or heading line; a numbered item that states a requirement, a time node or a
    target is not one."""
    if sentence.startswith("#"):
        return True
    if sentence.rstrip("。；;") in (passage.title, *passage.heading_path):
        return True
    return (is_heading_sentence(sentence, passage) and not STRONG.search(sentence)
            and not deadline_in(sentence) and not target_in(sentence))


def _is_assignment(sentence: str) -> bool:
    """“市自然资源和规划局要牵头抓好落实。” — names units for the tasks before it, no task."""
    rest = UNIT.sub("", sentence.rstrip("。；;"))
    return bool(_GENERIC.match(rest.replace("，", "")))


def _dated(sentence: str) -> bool:
    """A month/year-end deadline or a period (每月, 每季度), not just 今年/全年."""
    return any(p.search(sentence) for p in (*DEADLINES[:2], DEADLINES[3]))


def _with_units(row: TaskRow, units: list[str]) -> TaskRow:
    return TaskRow(row.task, tuple(units), row.deadline, row.target, row.passage, row.quote)


def _trim(sentence: str) -> str:
    """The task in the policy's own words without its lead-in: numbering, a leading time node,
    the responsible units and their 要/负责."""
    text = _ENUMERATOR.sub("", sentence.strip()).rstrip("。；;，,")
    text = _DEADLINE_LEAD.sub("", text)
    stripped = re.sub(r"^(?:这项工作)?由?(?:(?:" + UNIT.pattern + r")[、和及]?)+", "", text)
    stripped = re.sub(r"^(?:要|负责|牵头)(?:在|于)?", "", stripped)
    stripped = re.sub(r"^(?:会同|联合)(?:(?:" + UNIT.pattern + r")[、和及]?)+", "", stripped)
    stripped = _DEADLINE_LEAD.sub("", stripped.lstrip("，,"))
    return stripped if len(stripped) >= 6 else text


def _dedupe(rows: list[TaskRow]) -> list[TaskRow]:
    seen: set[str] = set()
    out = []
    for row in rows:
        if row.task not in seen:
            seen.add(row.task)
            out.append(row)
    return out
