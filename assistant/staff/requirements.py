"""汇总: what the stored documents require of one target (企业, 乡镇, 医疗机构, 市发改委 …).

Every requirement sentence (the task rules' verbs: 要/必须/确保/力争/不得 …, plus 应/须/务必/严格)
that is addressed to the target — as its subject or 责任单位, imposed on it by a body that
督促/要求/指导 it, or implied by a document, section or lead-in addressed to it (addressee.py) —
grouped by document, newest first, current versions only unless asked, repealed ones marked.
A row quotes its sentence verbatim and cites the passage (chunk) it stands in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.core.text import split_sentences
from assistant.core.types import Passage, SearchFilter
from assistant.staff.across import Store, stored_documents
from assistant.staff.addressee import (
    DIRECT,
    IMPLICIT,
    Addressed,
    addressed,
    document_mention,
    ends_list_lead,
    heading_topic,
    is_permission,
    is_requirement,
    required_of,
)
from assistant.staff.clauses import ENUMERATOR, has_subject
from assistant.staff.patterns import (
    ACTION,
    OBLIGATION,
    STRONG,
    deadline_in,
    responsible_units,
)
from assistant.staff.targets import Target, make_target

_HEAD_LINES = 8
_MIN_ITEM_CHARS = 8
_TITLE_CHARS = 16
_TITLE_LINE = re.compile(r"^[^，,。；;：:]{6,60}$")
# a 责任单位 line: （责任单位：…） or （省商务厅牵头，省发展改革委等配合） / （省X、省Y负责）
_ASSIGNMENT = re.compile(r"^\s*[（(\[](?:(?:责任单位|牵头单位)[:：][^（）()\[\]]*"
                         r"(?:[（(][^（）()]*[）)][^（）()\[\]]*)*"
                         r"|[^（）()\[\]]{2,160}(?:负责|牵头|配合))[）)\]]"
                         r"|^\s*(?:责任单位|牵头单位)[:：][^。]*")
_DOC_TITLE = re.compile(r"^[^，,。；;：:]{6,80}(?:通知|意见|办法|决定|公告|通告|细则|指引|指南)$")
_COLON = re.compile(r"[：:](?!\s*$)")  # a colon with the list after it on the same line
_RULE_IN_HEADING = re.compile(OBLIGATION.pattern + r"|指导|要求|引导|监督")


@dataclass(frozen=True)
class RequirementRow:
    """One requirement of the target: the sentence verbatim, how it is addressed, who else is
    responsible, by when, and the passage it stands in."""

    requirement: str
    kind: str  # direct | imposed | implicit
    target: str  # the target as written (for implicit ones: as the context wrote it)
    units: tuple[str, ...]
    due_text: str
    passage: Passage

    @property
    def unit(self) -> str:
        """责任单位: the units the sentence names, else the target itself."""
        return "、".join(self.units) or self.target


@dataclass(frozen=True)
class RequirementTable:
    target: str  # as the user named it
    family: str  # what it was read as (企业, 交通运输部门 …)
    rows: tuple[RequirementRow, ...]
    documents: int  # documents read
    all_versions: bool = False

    def by_document(self) -> list[tuple[Passage, list[RequirementRow]]]:
        """The rows grouped by document, in the order of the rows (newest document first)."""
        groups: dict[str, list[RequirementRow]] = {}
        for row in self.rows:
            groups.setdefault(row.passage.doc_hash, []).append(row)
        return [(rows[0].passage, rows) for rows in groups.values()]


@dataclass
class _Reader:
    """Reads one document in order, carrying who its sentences are addressed to."""

    target: Target
    document: str = ""  # the target as a document addressed to it names it
    section: str = ""  # as the current heading names it
    carry: str = ""  # as the previous sentence of the paragraph named it (its subject)
    list_lead: str = ""  # as a lead-in "企业要做好以下工作：" named it, for the items after it
    other: bool = False  # the paragraph has moved on to another subject
    colon: str = ""  # "各校要切实做到：A；B；C；" — the items after the colon, to the line's end
    title_line: str = ""  # the previous line when it may be the first half of a title
    previous: str = ""  # the sentence before, with what joins it to the next ("" or a newline)
    rows: list[RequirementRow] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def passage(self, passage: Passage) -> None:
        self.section = self._section(passage)
        for line in passage.text.splitlines():
            self._title(line.strip())
            if self.list_lead and not ENUMERATOR.match(line):
                self.list_lead = ""
            self.carry, self.other, self.colon = self.list_lead, False, ""
            for sentence in _sentences(line):
                self._sentence(sentence, passage)
                self.previous = sentence
            self.previous += "\n"

    def _section(self, passage: Passage) -> str:
        for heading in reversed(passage.heading_path):
            hit = addressed(heading, self.target)
            if hit and hit.kind == DIRECT:
                return hit.mention
            if heading_topic(heading, self.target):
                return heading_topic(heading, self.target)
        return ""

    def _title(self, line: str) -> None:
        """A title line (maybe broken in two) of a guide or letter to the target, e.g. the
        attachment a notice prints after its 落款: the rest of the document is addressed to it."""
        if not _TITLE_LINE.match(line):
            self.title_line = ""
            return
        for candidate in (line, self.title_line + line):
            found = document_mention(candidate, [], self.target)
            if found:
                self.document = found
        self.title_line = line

    def _sentence(self, sentence: str, passage: Passage) -> None:
        self.document = required_of(sentence, self.target) or self.document
        if _is_title(sentence):
            return  # a title (or half of one) names its subject, it requires nothing
        assignment = _ASSIGNMENT.match(sentence)
        if assignment:  # "（责任单位：市商务局、…）" closes the task before it
            self._assigned(assignment.group(0), passage)
            return
        hit = addressed(sentence, self.target)
        if hit is not None and _is_heading(sentence, passage) and not _RULE_IN_HEADING.search(
                sentence):
            hit = None  # "（二）社区疫情划分。": a title naming the target, no requirement
        if hit is not None:
            self.carry = hit.mention if hit.kind == DIRECT else ""
            self.other = hit.kind != DIRECT
            if ends_list_lead(sentence, colon_only=hit.kind != DIRECT):
                self.list_lead = hit.mention  # the numbered items after it are the target's
            if hit.kind == DIRECT and _COLON.search(sentence):
                self.colon = hit.mention
            self._emit(sentence, hit, passage)
            return
        if self.colon and len(sentence) >= _MIN_ITEM_CHARS and not has_subject(sentence) \
                and not is_permission(sentence):
            self._emit(sentence, Addressed(IMPLICIT, self.colon), passage)
            return
        if has_subject(sentence):
            self.carry, self.other = "", True
            return
        context = self.carry or ("" if self.other else
                                 self.list_lead or self.section or self.document)
        if context and self._requires(sentence, passage):
            self._emit(sentence, Addressed(IMPLICIT, context), passage)

    def _assigned(self, assignment: str, passage: Passage) -> None:
        """The task before a 责任单位 line is the requirement of the units it lists; the line
        ends the task, so what follows is nobody's by continuation."""
        hit = addressed(assignment, self.target)
        task = self.previous.strip()
        if hit is not None and task and not _ASSIGNMENT.match(task):
            self._emit(self.previous + assignment, Addressed(DIRECT, hit.mention), passage)
        self.carry, self.other, self.list_lead = "", True, ""

    def _requires(self, sentence: str, passage: Passage) -> bool:
        """A requirement sentence, or a numbered item of a list addressed to the target."""
        if _is_heading(sentence, passage):
            return False
        if not ENUMERATOR.match(sentence) or len(sentence) < _MIN_ITEM_CHARS:
            return is_requirement(sentence)
        if self.list_lead:
            return True  # an item of "…做好以下工作：" is one of the things to do
        return is_requirement(sentence) or bool(self.document and ACTION.search(sentence))

    def _emit(self, sentence: str, hit: Addressed, passage: Passage) -> None:
        if sentence in self.seen:  # chunk overlap repeats a sentence
            return
        self.seen.add(sentence)
        units = tuple(u for u in responsible_units(sentence) if u != hit.mention)
        self.rows.append(RequirementRow(sentence, hit.kind, hit.mention, units,
                                        deadline_in(sentence), passage))


def _sentences(line: str) -> list[str]:
    """The line's sentences, none cut inside brackets: “（牵头单位：市财政局；责任单位：…）” is
    one."""
    out: list[str] = []
    for sentence in split_sentences(line):
        if out and _open_brackets(out[-1]) > 0:
            out[-1] += sentence
        else:
            out.append(sentence)
    return out


def _open_brackets(text: str) -> int:
    return sum(text.count(c) for c in "（([") - sum(text.count(c) for c in "）)]")


def _is_title(sentence: str) -> bool:
    """A document title or a piece of one: …的通知, 关于… without sentence punctuation."""
    bare = sentence.strip().rstrip("。")
    if ENUMERATOR.match(bare):
        return False  # "一、督促指导企业落实…": a numbered heading, maybe a requirement
    return bool(_DOC_TITLE.match(bare) or (_TITLE_LINE.match(bare) and "关于" in bare))


def _is_heading(sentence: str, passage: Passage) -> bool:
    """A heading of the passage, or a short numbered title line ("（二）严格落实防控措施。"); a
    numbered item with a clause mark is an item, not a title."""
    bare = sentence.rstrip("。；;")
    if bare in (passage.title, *passage.heading_path) or _DOC_TITLE.match(bare):
        return True
    short = len(bare) <= _TITLE_CHARS and not re.search(r"[，,；;]", bare)
    return bool(ENUMERATOR.match(bare)) and short and not STRONG.search(bare)


def document_requirements(passages: list[Passage], target: Target) -> list[RequirementRow]:
    """The requirements one document (its passages in order) addresses to the target."""
    if not passages:
        return []
    head = [line.strip() for line in passages[0].text.splitlines()[:_HEAD_LINES]]
    reader = _Reader(target, document=document_mention(passages[0].title, head, target))
    for passage in passages:
        reader.passage(passage)
    return reader.rows


def requirement_table(store: Store, target: str, filters: SearchFilter = SearchFilter(),
                      all_versions: bool = False) -> RequirementTable:
    """汇总 over the stored documents a filter admits (current versions unless all_versions)."""
    wanted = make_target(target)
    documents = stored_documents(store, filters, all_versions)
    rows = [row for d in documents for row in document_requirements(d.passages, wanted)]
    return RequirementTable(wanted.name, wanted.family, tuple(rows), len(documents), all_versions)


_ACROSS = re.compile(r"(?:各|所有|全部|哪些|现行|历次|已收录的?)(?:文件|文档|政策|通知|规定)")
_ASKED_OF = re.compile(r"对(?P<target>[^，。？?、]{2,20}?)(?:都|分别|共)?(?:提出|作出|规定|有)了?"
                       r"(?:哪些|什么|何种|多少)?(?:要求|任务|规定|责任)")


def summary_target(question: str) -> str:
    """The target of a cross-document question (“各文件对企业提出了哪些要求？”), else ""."""
    if not _ACROSS.search(question):
        return ""
    found = _ASKED_OF.search(question)
    return found.group("target").strip() if found else ""
