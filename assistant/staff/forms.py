"""The writing forms besides 问答: 学习提纲 (outline) and 起草 (draft), on a topic or on a whole
document. Without a language model they are built from the documents' own structure: retrieved
passages grouped by their heading path, requirement sentences quoted verbatim, every point
cited. With a model the same passages go to the outline/draft prompts instead."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from assistant.answer.extractive import is_heading_sentence
from assistant.answer.gate import Retrieval, refusal_answer
from assistant.core.sources import Numbering
from assistant.core.text import split_sentences
from assistant.core.types import Answer, Passage, Refusal, RefusalKind, SearchFilter
from assistant.staff.patterns import REQUIREMENT, TARGET, deadline_in, responsible_units

if TYPE_CHECKING:
    from assistant.answer.chain import AnswerChain
    from vectorstore.knowledge_base import KnowledgeBase
    from vectorstore.union import KnowledgeBaseUnion

Form = Literal["qa", "outline", "draft"]
FORM_TITLES = {"qa": "问答", "outline": "学习提纲", "draft": "起草"}
FORM_PASSAGES = 8  # passages an outline or draft is built from
FORM_DOC_CHUNKS = 40  # chunks of a whole document given to an outline or draft

_GUARANTEE = re.compile(r"组织领导|督查|督导|考核|问责|保障|责任|协调|宣传")
_GUIDING = re.compile(r"指导思想|以.{2,30}为指导|贯彻落实|深入贯彻|为引领|总体要求")
MAX_PER_PART = 3


def _sentences(passages: list[Passage], pattern: re.Pattern[str]) -> Iterable[tuple[int, str]]:
    seen: set[str] = set()
    for rank, passage in enumerate(passages, 1):
        for sentence in split_sentences(passage.text):
            if (len(sentence) >= 8 and pattern.search(sentence) and sentence not in seen
                    and not is_heading_sentence(sentence, passage)):
                seen.add(sentence)
                yield rank, sentence


PREAMBLE = "开篇总述"


def _part_title(passage: Passage) -> str:
    return passage.heading_path[0] if passage.heading_path else PREAMBLE


def outline(topic: str, passages: list[Passage]) -> Answer:
    """A study outline: the parts the passages come from, their key requirements, questions."""
    numbering = Numbering(passages)
    parts: dict[str, list[str]] = {}
    for rank, sentence in _sentences(passages, REQUIREMENT):
        points = parts.setdefault(_part_title(passages[rank - 1]), [])
        if len(points) < MAX_PER_PART:
            points.append(f"{sentence}{numbering.cite(rank)}")
    title = passages[0].title if passages else topic
    lines = [f"《{title}》学习提纲（主题：{topic}）"]
    for i, (part, points) in enumerate(parts.items(), 1):
        lines.append(f"{_cn(i)}、{_strip_number(part)}")
        lines += [f"  {j}. {p}" for j, p in enumerate(points, 1)]
    lines.append("讨论题")
    for j, part in enumerate([p for p in parts if p != PREAMBLE][:5], 1):
        first = next(r for r, p in enumerate(passages, 1) if _part_title(p) == part)
        lines.append(f"  {j}. 结合本地本单位实际，如何落实“{_strip_number(part)}”的要求？"
                     f"{numbering.cite(first)}")
    return Answer(question=topic, text="\n".join(lines), citations=numbering.citations(),
                  passages=tuple(passages), backend="extractive")


def draft(topic: str, passages: list[Passage]) -> Answer:
    """A work-plan skeleton whose every task cites the requirement it implements."""
    numbering = Numbering(passages)
    title = passages[0].title if passages else topic
    lines = [f"《XX县（单位）贯彻落实〈{title}〉的工作方案》（初稿，请结合实际修改）"]
    lines.append("一、指导思想")
    lines += (_quoted(passages, _GUIDING, numbering, 1)
              or ["  （待填写：文件中未检索到指导思想表述）"])
    lines.append("二、主要目标")
    lines += _quoted(passages, TARGET, numbering, 3) or ["  （待填写：文件中未检索到量化目标）"]
    lines.append("三、重点任务")
    tasks = [(r, s) for r, s in _sentences(passages, REQUIREMENT) if not _GUARANTEE.search(s)]
    for j, (rank, sentence) in enumerate(tasks[:8], 1):
        unit, deadline = _unit(sentence), _deadline(sentence)
        lines.append(f"  {j}. {sentence}{numbering.cite(rank)}"
                     f"（责任单位：{unit or '待定'}；时限：{deadline or '待定'}）")
    lines.append("四、保障措施")
    lines += _quoted(passages, _GUARANTEE, numbering, 3) or ["  （待填写）"]
    return Answer(question=topic, text="\n".join(lines), citations=numbering.citations(),
                  passages=tuple(passages), backend="extractive")


def _quoted(passages: list[Passage], pattern: re.Pattern[str], numbering: Numbering,
            limit: int) -> list[str]:
    picked = list(_sentences(passages, pattern))[:limit]
    return [f"  {j}. {s}{numbering.cite(r)}" for j, (r, s) in enumerate(picked, 1)]


def _unit(sentence: str) -> str:
    units = responsible_units(sentence)
    return units[0] if units else ""


def _deadline(sentence: str) -> str:
    """The most specific time node in a sentence: a month/year-end deadline before a year."""
    return deadline_in(sentence)


def _strip_number(heading: str) -> str:
    marker = r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.、．])"
    return re.sub(marker, "", heading).strip()


def _cn(n: int) -> str:
    digits = "一二三四五六七八九十"
    return digits[n - 1] if n <= 10 else str(n)


def run_form(chain: AnswerChain, kb: KnowledgeBase | KnowledgeBaseUnion, form: Form,
             topic: str, filters: SearchFilter = SearchFilter()) -> Answer:
    """学习提纲 or 起草 on a topic, or on a whole document when the filter names exactly one
    document and the topic is empty; by the chain's backend (quotes, or a model)."""
    passages = _form_passages(chain, kb, topic, filters)
    if isinstance(passages, Answer):
        return passages
    if chain.backend.name == "extractive":
        build = outline if form == "outline" else draft
        return build(topic or passages[0].title, passages)
    answer = chain.backend.answer(topic or f"《{passages[0].title}》", passages)
    if not answer.citations:
        found = Retrieval(topic, topic, filters, tuple(passages))
        return refusal_answer(found, Refusal(RefusalKind.UNCITED))
    return answer


def _form_passages(chain: AnswerChain, kb: KnowledgeBase | KnowledgeBaseUnion, topic: str,
                   filters: SearchFilter) -> list[Passage] | Answer:
    if not topic.strip() and len(filters.sources) == 1:
        record = kb.find_source(filters.sources[0])
        passages = kb.document_passages(record.doc_hash) if record else []
        if passages:
            return passages[:FORM_DOC_CHUNKS]
    found = chain.retrieve({"question": topic, "filters": filters})
    refusal = found.refusal
    if refusal and (refusal.kind is RefusalKind.RELEVANCE or not found.passages):
        return refusal_answer(found)
    return list(found.passages[:FORM_PASSAGES])
