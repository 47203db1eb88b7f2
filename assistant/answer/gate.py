"""The relevance gate: do the retrieved passages state an answer? It refuses — before any backend
runs — when a calibrated model over the answerability signals (signals.py, calibration.py) says
the passages do not answer, when the question names a year no passage or chosen document is
about, or when it asks for a kind of fact (an amount, a date, a count in 套 …) that no on-topic
sentence states. Every refusal is a typed `Refusal` and reads as what was searched, why it was
refused and which documents came nearest."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, replace

from assistant.answer.backend import History, TermsFn
from assistant.answer.calibration import model_for
from assistant.answer.relevance import asked_unit, fact_kind, has_fact, named_years
from assistant.answer.signals import Signals, full_text, measure
from assistant.core.text import IdfFn, split_sentences
from assistant.core.types import Answer, Passage, Refusal, RefusalKind, SearchFilter
from assistant.documents.scope import DocScope, doc_years

REFUSAL = "未在已收录文件中找到相关内容"
FACT_TOPIC_SHARE = 0.5  # a sentence stating the asked-for fact must also be about the question


@dataclass(frozen=True)
class Retrieval:
    """The passages found for a question, and the gate's verdict on them."""

    question: str
    query: str
    filters: SearchFilter
    passages: tuple[Passage, ...]
    relevance: float = 0.0  # the gate's 0..1 score that the passages state the answer
    refusal: Refusal | None = None  # why the gate refused; None when it passed
    scope: DocScope | None = None  # the documents the question names, when doc_scope is on
    history: History = ()  # the conversation so far, for a backend that uses it
    signals: Signals | None = None  # what the score was computed from


@dataclass(frozen=True)
class Judge:
    """What the gate needs to know about the knowledge base it judges passages of."""

    terms_of: TermsFn
    idf: IdfFn
    identity: str = ""  # the store's embedder identity: picks the calibrated model
    known_places: Set[str] = frozenset()  # place stems the stored documents' titles name
    threshold: float | None = None  # None: the model's calibrated operating point


def check(found: Retrieval, k: int, judge: Judge) -> Retrieval:
    """The retrieval with its score and, when the passages do not answer, its refusal."""
    top = found.passages[:k]
    if not top:
        return replace(found, refusal=Refusal(RefusalKind.RELEVANCE))
    signals = measure(found.query, top, judge.idf, judge.terms_of, judge.known_places)
    model = model_for(judge.identity, "lexical" if signals.lexical else "crosslingual")
    score = model.score(signals) if model else 0.0
    found = replace(found, relevance=score, signals=signals)
    threshold = judge.threshold if judge.threshold is not None else (
        model.threshold if model else 1.0)
    refusal = (_unknown_titles(found, top) or _absent_years(found, top)
               or _unanswered(signals, score, threshold)
               or _missing_fact(found, top, judge))
    return replace(found, refusal=refusal)


def _unanswered(signals: Signals, score: float, threshold: float) -> Refusal | None:
    if signals.absent_quoted:
        return Refusal(RefusalKind.ABSENT_NAME, signals.absent_quoted)
    if score >= threshold:
        return None
    if signals.absent_places:
        return Refusal(RefusalKind.ABSENT_NAME, signals.absent_places)
    return Refusal(RefusalKind.RELEVANCE, signals.missing[:3])


def _unknown_titles(found: Retrieval, top: tuple[Passage, ...]) -> Refusal | None:
    titles = found.scope.unknown_titles if found.scope else ()
    unknown = tuple(t for t in titles if not any(t in full_text(p) for p in top))
    if not unknown:
        return None
    message = "知识库中没有《" + "》《".join(unknown) + "》"
    return Refusal(RefusalKind.UNKNOWN_TITLE, unknown, message)


def _absent_years(found: Retrieval, top: tuple[Passage, ...]) -> Refusal | None:
    """Years the question names that no passage mentions and no top document is about (by its
    date or title, or because the question's scope chose it for that year)."""
    chosen = (found.scope.prefer | found.scope.restrict) if found.scope else frozenset()
    if any(p.doc_hash in chosen for p in top):
        return None
    about = {f"{y}年" for p in top for y in doc_years(p)}
    text = " ".join(full_text(p) for p in top)
    absent = tuple(y for y in named_years(found.question) if y not in text and y not in about)
    return Refusal(RefusalKind.ABSENT_NAME, absent) if absent else None


def _missing_fact(found: Retrieval, top: tuple[Passage, ...], judge: Judge) -> Refusal | None:
    """The asked-for kind of fact must be stated by a sentence about the question's topic; a
    document's date answers when it was issued. (Whether the sentence is about the place the
    question names is the score's `place` signal: documents often write 本市 for their city.)"""
    kind = fact_kind(found.question)
    if kind is None:
        return None
    topic = [t for t in judge.terms_of(found.query)
             if not kind.cue.search(t) and not kind.evidence.search(t)]
    sentences = []
    for p in top:
        lines = [*split_sentences(p.text), f"{p.title}（{p.date}）" if p.date else ""]
        sentences += [s for s in lines if s and _share(topic, s + p.heading) >= FACT_TOPIC_SHARE]
    if has_fact(kind, asked_unit(found.question), sentences):
        return None
    return Refusal(RefusalKind.MISSING_FACT, (kind.name,))


def _share(terms: list[str], text: str) -> float:
    return sum(1 for t in terms if t in text) / len(terms) if terms else 1.0


def refusal_answer(found: Retrieval, refusal: Refusal | None = None) -> Answer:
    """The refusal shown to the user: what was searched, why it was refused, nearest documents."""
    refusal = refusal or found.refusal or Refusal(RefusalKind.RELEVANCE)
    if refusal.kind in (RefusalKind.NOT_STORED, RefusalKind.UNKNOWN_TITLE):
        text = f"{REFUSAL}。\n{refusal.message}，因此没有用其他年份或其他文件的内容作答。"
        return Answer(question=found.question, text=text, passages=found.passages,
                      refusal=refusal, backend="gate")
    lines = [f"{REFUSAL}。", f"已检索：“{found.query}”（范围：{_scope(found.filters)}）；"
             f"{_why(refusal, found)}。"]
    nearest = "、".join(dict.fromkeys(f"《{p.title}》" for p in found.passages[:3] if p.title))
    if nearest:
        lines.append(f"最接近的文件：{nearest}，可换个问法或直接查阅原文。")
    return Answer(question=found.question, text="\n".join(lines), passages=found.passages,
                  refusal=refusal, backend="gate")


def _why(refusal: Refusal, found: Retrieval) -> str:
    signals = found.signals
    match refusal.kind:
        case RefusalKind.ABSENT_NAME:
            return "检索到的段落没有提到“" + "”“".join(refusal.terms) + "”"
        case RefusalKind.MISSING_FACT:
            return f"检索到的段落中没有关于{refusal.terms[0]}的明确表述"
        case RefusalKind.RELEVANCE if signals is not None and not signals.lexical:
            return (f"问题与最相关段落的语义相似度为{signals.dense:.2f}，"
                    f"判断能否作答的把握为{found.relevance:.0%}，不足以作答")
        case RefusalKind.RELEVANCE if signals is not None:
            missing = f"，段落中没有“{'”“'.join(refusal.terms)}”" if refusal.terms else ""
            return (f"问题的关键词在最相关段落中只覆盖{signals.passage_cover:.0%}{missing}，"
                    f"判断能否作答的把握为{found.relevance:.0%}，不足以作答")
        case _:
            return "没有检索到相关段落"


def _scope(filters: SearchFilter) -> str:
    if filters.is_empty():
        return "全部已收录文件"
    parts = []
    if filters.sources:
        parts.append("文件：" + "、".join(filters.sources))
    if filters.doc_type:
        parts.append(f"类型：{filters.doc_type}")
    if filters.since or filters.until:
        parts.append(f"日期：{filters.since or '…'}至{filters.until or '…'}")
    return "；".join(parts)
