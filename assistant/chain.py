"""The retrieval chain (LCEL): retrieve → relevance gate → answer backend → Answer.

The gate refuses before any backend runs when the passages do not cover the question, or when
the question asks for a kind of fact (an amount, a date, a responsible unit …) that no retrieved
sentence states. Backends only see passages that passed the gate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from assistant.doc_catalog import Catalog, doc_hash_of
from assistant.doc_scope import DocScope, answer_notes, doc_years, parse_today, scope_for
from assistant.relevance import absent_names, coverage, fact_kind, has_fact, mentions, places
from assistant.rewrite import History, depends_on_history, rule_rewrite
from assistant.settings import Settings
from assistant.types import Answer, Passage, SearchFilter
from ingest.chunking import split_sentences

if TYPE_CHECKING:  # langchain_core costs ~0.7 s to import; `search` never needs it
    from langchain_core.runnables import Runnable

REFUSAL = "未在已收录文件中找到相关内容"
EVAL_DEPTH = 10  # passages always retrieved (and reported by eval), whatever k is
FACT_TOPIC_SHARE = 0.5  # a sentence stating the asked-for fact must also be about the question
PREFER_BONUS = 0.5  # added to the (0..~2) reranked score of passages of documents a question names
ISSUER_BONUS = 0.1  # issuers write on many topics: a named issuer only breaks near-ties
DEMOTE_PENALTY = 0.3  # taken from passages of a document a newer stored version supersedes
MISSING = "知识库中没有"


class AnswerBackend(Protocol):
    name: str

    def answer(self, question: str, passages: list[Passage]) -> Answer: ...


class Searcher(Protocol):
    def search(self, query: str, k: int | None = None,
               filters: SearchFilter = SearchFilter()) -> list[Passage]: ...


@dataclass(frozen=True)
class Retrieval:
    question: str
    query: str
    filters: SearchFilter
    passages: tuple[Passage, ...]
    relevance: float
    refusal: str = ""  # why the gate refused, empty when it passed
    scope: DocScope | None = None  # the documents the question names, when doc_scope is on


class AnswerChain:
    def __init__(self, searcher: Searcher, settings: Settings, backend: AnswerBackend,
                 terms_of, rewriter: Callable[[str, History], str] | None = None,
                 catalog: Callable[[], Catalog] | None = None) -> None:  # noqa: ANN001
        self.searcher = searcher
        self.settings = settings
        self.backend = backend
        self.terms_of = terms_of
        self.rewriter = rewriter
        self._catalog = catalog

    def standalone(self, question: str, history: History) -> str:
        """The search query for a follow-up: rewritten only when it depends on the history."""
        if not depends_on_history(question, history):
            return question
        if self.rewriter is not None:
            return self.rewriter(question, history)
        return rule_rewrite(question, history, self.terms_of)

    def stream(self, question: str, filters: SearchFilter = SearchFilter(),
               history: History = ()) -> Iterator[Any]:
        """Yield the Retrieval first (sources can show at once), then text deltas, then the
        final Answer."""
        query = self.standalone(question, history)
        found = self.retrieve({"question": question, "query": query, "filters": filters})
        yield found
        if found.refusal:
            yield refusal_answer(found)
            return
        top = list(found.passages[: self.settings.retrieval.k])
        stream = getattr(self.backend, "stream", None)
        events = stream(question, top, history) if stream else [self.backend.answer(question, top)]
        for event in events:
            if isinstance(event, Answer):
                yield self._finish(found, event)
            else:
                yield event

    def runnable(self) -> Runnable:
        from langchain_core.runnables import RunnableLambda

        return RunnableLambda(self.retrieve) | RunnableLambda(self.respond)

    def ask(self, question: str, filters: SearchFilter = SearchFilter()) -> Answer:
        return self.runnable().invoke({"question": question, "filters": filters})

    def retrieve(self, inputs: dict[str, Any]) -> Retrieval:
        question = inputs["question"].strip()
        query = inputs.get("query") or question
        filters = inputs.get("filters") or SearchFilter()
        depth = max(EVAL_DEPTH, self.settings.retrieval.k)
        passages, scope = self.search(query, depth, filters)
        if scope and scope.missing:
            return Retrieval(question, query, filters, (), 0.0, scope.missing, scope)
        query = scope.query if scope else query
        return self.gate(Retrieval(question, query, filters, tuple(passages), 0.0, scope=scope))

    def search(self, query: str, k: int, filters: SearchFilter = SearchFilter(),
               ) -> tuple[list[Passage], DocScope | None]:
        """Passages for a query within the documents it names (none when it names a year or
        document that is not stored: see scope.missing), with status and versions filled in."""
        catalog = self.catalog()
        scope = self.scope(query, catalog)
        if scope and scope.missing:
            return [], scope
        passages = self._search(scope.query if scope else query, k, filters, scope, catalog)
        return (catalog.annotate(passages) if catalog else passages), scope

    def catalog(self) -> Catalog | None:
        """The stored documents (None for a searcher without a document registry)."""
        if self._catalog is not None:
            return self._catalog()
        records = getattr(self.searcher, "records", None)
        return Catalog(records().values()) if callable(records) else None

    def scope(self, query: str, catalog: Catalog | None) -> DocScope | None:
        if catalog is None or not self.settings.retrieval.doc_scope:
            return None
        return scope_for(query, catalog, parse_today(self.settings.retrieval.today))

    def _search(self, query: str, depth: int, filters: SearchFilter, scope: DocScope | None,
                catalog: Catalog | None) -> list[Passage]:
        """Search, restricted to / reordered towards the documents the question names."""
        if scope is None or catalog is None or scope.is_empty():
            return self.searcher.search(query, depth, filters)
        if scope.restrict and not filters.sources:
            sources = [s for h in sorted(scope.restrict) for s in catalog.docs[h].sources]
            filters = replace(filters, sources=tuple(sources))
        found = self.searcher.search(query, max(depth, self.settings.retrieval.fetch_k), filters)
        scored = [replace(p, score=p.score + _bonus(scope, doc_hash_of(p))) for p in found]
        return sorted(scored, key=lambda p: -p.score)[:depth]

    def gate(self, found: Retrieval) -> Retrieval:
        top = found.passages[: self.settings.retrieval.k]
        terms = self.terms_of(found.query)
        scores = [coverage(terms, _full_text(p), _uniform).score for p in top[:3]]
        relevance = max(scores, default=0.0)
        found = replace(found, relevance=relevance)
        if not top or relevance < self.settings.retrieval.min_relevance:
            return replace(found, refusal="relevance")
        unknown = [t for t in found.scope.unknown_titles if not any(
            t in _full_text(p) for p in top)] if found.scope else []
        if unknown:
            return replace(found, refusal=MISSING + "《" + "》《".join(unknown) + "》")
        absent = absent_names(found.question, (_full_text(p) for p in top))
        absent = [n for n in absent if n not in _dated(found.scope, top)]
        if absent:
            return replace(found, refusal="“" + "”“".join(absent) + "”")
        kind = fact_kind(found.question)
        if kind is None:
            return found
        topic = [t for t in terms if not kind[1].search(t) and not kind[2].search(t)]
        scope = places(found.question)  # a fact about 甲县 must be stated about 甲县
        sentences = [s for p in top for s in split_sentences(p.text)
                     if coverage(topic, s + p.heading, _uniform).score >= FACT_TOPIC_SHARE
                     and all(mentions(s + _full_text(p)[:120], name) for name in scope)]
        if not has_fact(kind, sentences):
            return replace(found, refusal=kind[0])
        return found

    def respond(self, found: Retrieval) -> Answer:
        if found.refusal:
            return refusal_answer(found)
        top = list(found.passages[: self.settings.retrieval.k])
        return self._finish(found, self.backend.answer(found.question, top))

    def _finish(self, found: Retrieval, answer: Answer) -> Answer:
        if not answer.citations:
            return refusal_answer(replace(found, refusal="relevance"))
        notes = answer.notes + answer_notes(answer.citations, found.scope)
        return replace(answer, passages=found.passages, notes=tuple(dict.fromkeys(notes)))


def refusal_answer(found: Retrieval) -> Answer:
    scope = "全部已收录文件" if found.filters.is_empty() else _scope(found.filters)
    if found.refusal.startswith(MISSING):
        text = f"{REFUSAL}。\n{found.refusal}，因此没有用其他年份或其他文件的内容作答。"
        return Answer(question=found.question, text=text, passages=found.passages,
                      refused=True, backend="gate")
    if found.refusal == "relevance":
        why = f"最相关段落与问题的匹配度为{found.relevance:.0%}，不足以作答"
    elif found.refusal.startswith("“"):
        why = f"检索到的段落没有提到{found.refusal}"
    else:
        why = f"检索到的段落中没有关于{found.refusal}的明确表述"
    nearest = "、".join(dict.fromkeys(f"《{p.title}》" for p in found.passages[:3] if p.title))
    lines = [f"{REFUSAL}。", f"已检索：“{found.query}”（范围：{scope}）；{why}。"]
    if nearest:
        lines.append(f"最接近的文件：{nearest}，可换个问法或直接查阅原文。")
    return Answer(question=found.question, text="\n".join(lines), passages=found.passages,
                  refused=True, backend="gate")


def _bonus(scope: DocScope, doc_hash: str) -> float:
    bonus = PREFER_BONUS if doc_hash in scope.prefer else 0.0
    bonus += PREFER_BONUS / 2 if doc_hash in scope.undated else 0.0  # might be of that year
    bonus += ISSUER_BONUS if doc_hash in scope.issued else 0.0
    return bonus - (DEMOTE_PENALTY if doc_hash in scope.demote else 0.0)


def _dated(scope: DocScope | None, top: tuple[Passage, ...]) -> set[str]:
    """Years the question names that a retrieved document is about (by title or date), even
    when its text writes 今年 instead of the year."""
    if not scope:
        return set()
    return {f"{y}年" for y in scope.years if any(y in doc_years(p) for p in top)}


def _uniform(term: str) -> float:
    """Equal term weights for the gate: IDF would let one paraphrased word that occurs nowhere
    in the corpus outweigh all the words a passage does share (measured: wrong refusals on
    answerable questions 5.0 % → 4.1 % on ncp-dev, 17.5 % → 12.5 % on the samples)."""
    return 1.0


def _full_text(passage: Passage) -> str:
    return f"{passage.title} {passage.heading} {passage.text}"


def _scope(filters: SearchFilter) -> str:
    parts = []
    if filters.sources:
        parts.append("文件：" + "、".join(filters.sources))
    if filters.doc_type:
        parts.append(f"类型：{filters.doc_type}")
    if filters.since or filters.until:
        parts.append(f"日期：{filters.since or '…'}至{filters.until or '…'}")
    return "；".join(parts)
