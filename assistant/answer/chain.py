"""The answer chain (LCEL): retrieve → gate → backend → verify, one path for every caller.

`stream` yields the Retrieval first (sources can show at once), then text deltas, then the
verified Answer; `ask` is that stream drained. The gate (gate.py) refuses before any backend
runs; the verify step refuses an answer that cites none of the passages it was given and adds
the notes on which document, version and date the answer rests on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from assistant.answer.backend import AnswerBackend, Delta, History, TermsFn, final_answer
from assistant.answer.gate import Judge, Retrieval, check, refusal_answer
from assistant.answer.rerank import rerank
from assistant.answer.rewrite import depends_on_history, rule_rewrite
from assistant.core.dates import parse_today
from assistant.core.settings import Settings
from assistant.core.types import Answer, Citation, Passage, Refusal, RefusalKind, SearchFilter
from assistant.documents.catalog import Catalog
from assistant.documents.scope import DocScope, answer_notes, scope_for, series_gap

if TYPE_CHECKING:  # langchain_core costs ~0.7 s to import; `search` never needs it
    from langchain_core.runnables import Runnable

EVAL_DEPTH = 10  # passages always retrieved (and reported by eval), whatever k is
PREFER_BONUS = 0.5  # added to the (0..~2) reranked score of passages of documents a question names
ISSUER_BONUS = 0.1  # issuers write on many topics: a named issuer only breaks near-ties
DEMOTE_PENALTY = 0.3  # taken from passages of a document a newer stored version supersedes

Event = Retrieval | Delta | Answer
Rewriter = Callable[[str, History], str]


class _Identified(Protocol):
    @property
    def identity(self) -> str: ...


class Searcher(Protocol):
    """The knowledge base as the chain uses it: search, term IDF, and the embedder whose
    identity picks the gate's calibrated model."""

    def search(self, query: str, k: int | None = None,
               filters: SearchFilter = SearchFilter()) -> list[Passage]: ...

    def idf(self, term: str) -> float: ...

    @property
    def embeddings(self) -> _Identified: ...


@dataclass(frozen=True)
class _Request:
    question: str
    query: str
    filters: SearchFilter
    history: History


class AnswerChain:
    def __init__(self, searcher: Searcher, settings: Settings, backend: AnswerBackend,
                 terms_of: TermsFn, rewriter: Rewriter | None = None,
                 catalog: Callable[[], Catalog] | None = None) -> None:
        self.searcher = searcher
        self.settings = settings
        self.backend = backend
        self.terms_of = terms_of
        self.rewriter = rewriter
        self._catalog = catalog

    # --- the one answer path --------------------------------------------------------------------
    def runnable(self) -> Runnable:
        from langchain_core.runnables import RunnableGenerator, RunnableLambda

        return (RunnableLambda(self._find, name="retrieve")
                | RunnableLambda(self.gate, name="gate")
                | RunnableGenerator(self._generate, name="backend")
                | RunnableGenerator(self._verify, name="verify"))

    def stream(self, question: str, filters: SearchFilter = SearchFilter(),
               history: History = ()) -> Iterator[Event]:
        """The Retrieval, then text deltas, then the final (verified or refusing) Answer."""
        request = _Request(question.strip(), self.standalone(question.strip(), history), filters,
                           history)
        yield from self.runnable().stream(request)

    def ask(self, question: str, filters: SearchFilter = SearchFilter(),
            history: History = ()) -> Answer:
        return final_answer(self.stream(question, filters, history))

    def partials(self, question: str, filters: SearchFilter = SearchFilter(),
                 history: History = ()) -> Iterator[Answer]:
        """Growing answers for a page: the retrieved sources first (as provisional citations
        numbered by rank, which is what a model cites), then the text so far, the verified
        answer last."""
        text = ""
        provisional: tuple[Citation, ...] = ()
        passages: tuple[Passage, ...] = ()
        for event in self.stream(question, filters, history):
            if isinstance(event, Retrieval):
                passages = event.passages
                top = () if event.refusal else passages[: self.settings.retrieval.k]
                provisional = tuple(Citation(r, p, r) for r, p in enumerate(top, 1))
                yield Answer(question, "", provisional, passages, backend=self.backend.name)
            elif isinstance(event, Delta):
                text += event.text
                yield Answer(question, text, provisional, passages, backend=self.backend.name)
            else:
                yield event

    # --- the steps --------------------------------------------------------------------------
    def standalone(self, question: str, history: History) -> str:
        """The search query for a follow-up: rewritten only when it depends on the history."""
        if not depends_on_history(question, history):
            return question
        if self.rewriter is not None:
            return self.rewriter(question, history)
        return rule_rewrite(question, history, self.terms_of)

    def retrieve(self, inputs: dict[str, object]) -> Retrieval:
        """Search and gate (what the forms and tests use without a backend)."""
        question = str(inputs["question"]).strip()
        filters = inputs.get("filters")
        request = _Request(question, str(inputs.get("query") or question),
                           filters if isinstance(filters, SearchFilter) else SearchFilter(), ())
        return self.gate(self._find(request))

    def _find(self, request: _Request) -> Retrieval:
        depth = max(EVAL_DEPTH, self.settings.retrieval.k)
        passages, scope = self.search(request.query, depth, request.filters)
        if scope and scope.missing:
            refusal = Refusal(RefusalKind.NOT_STORED, message=scope.missing)
            return Retrieval(request.question, request.query, request.filters, (),
                             refusal=refusal, scope=scope, history=request.history)
        gap = series_gap(scope, self._catalog(), passages[0]) if (
            scope and passages and self._catalog is not None) else ""
        if scope and gap:  # the best match is a report of another year than the one asked
            return Retrieval(request.question, scope.query, request.filters, (),
                             refusal=Refusal(RefusalKind.NOT_STORED, message=gap), scope=scope,
                             history=request.history)
        query = scope.query if scope else request.query
        return Retrieval(request.question, query, request.filters, tuple(passages), scope=scope,
                         history=request.history)

    def gate(self, found: Retrieval) -> Retrieval:
        if found.refusal is not None:
            return found
        return check(found, self.settings.retrieval.k, self.judge())

    def judge(self) -> Judge:
        """What the gate judges passages with: term IDF, the embedder's identity (its
        calibrated model), the places the stored documents name, the threshold setting."""
        catalog = self._catalog() if self._catalog is not None else None
        return Judge(self.terms_of, self.searcher.idf, self.searcher.embeddings.identity,
                     catalog.places if catalog else frozenset(),
                     self.settings.retrieval.min_relevance)

    def _generate(self, found: Iterator[Retrieval]) -> Iterator[Event]:
        for item in found:
            yield item
            if item.refusal is not None:
                yield refusal_answer(item)
                continue
            top = list(item.passages[: self.settings.retrieval.k])
            yield from self.backend.stream(item.question, top, item.history)

    def _verify(self, events: Iterator[Event]) -> Iterator[Event]:
        found: Retrieval | None = None
        for event in events:
            if isinstance(event, Retrieval):
                found = event
                yield event
            elif isinstance(event, Answer) and found is not None and not event.refused:
                yield self._finish(found, event)
            else:
                yield event

    def _finish(self, found: Retrieval, answer: Answer) -> Answer:
        valid = {p.chunk_id for p in found.passages}
        if not any(c.passage.chunk_id in valid for c in answer.citations):
            return refusal_answer(found, Refusal(RefusalKind.UNCITED))
        notes = answer.notes + answer_notes(answer.citations, found.scope)
        return replace(answer, passages=found.passages, notes=tuple(dict.fromkeys(notes)))

    # --- searching --------------------------------------------------------------------------
    def search(self, query: str, k: int, filters: SearchFilter = SearchFilter(),
               ) -> tuple[list[Passage], DocScope | None]:
        """Passages for a query within the documents it names (none when it names a year or
        document that is not stored: see scope.missing), with status and versions filled in."""
        catalog = self._catalog() if self._catalog is not None else None
        scope = self.scope(query, catalog)
        if scope and scope.missing:
            return [], scope
        passages = self._search(scope.query if scope else query, k, filters, scope, catalog)
        return (catalog.annotate(passages) if catalog else passages), scope

    def scope(self, query: str, catalog: Catalog | None) -> DocScope | None:
        if catalog is None or not self.settings.retrieval.doc_scope:
            return None
        return scope_for(query, catalog, parse_today(self.settings.retrieval.today))

    def _search(self, query: str, depth: int, filters: SearchFilter, scope: DocScope | None,
                catalog: Catalog | None) -> list[Passage]:
        """Search, restricted to / reordered towards the documents the question names."""
        if scope is None or catalog is None or scope.is_empty():
            return self._reranked(query, self.searcher.search(query, depth, filters))
        if scope.restrict and not filters.sources:
            sources = [s for h in sorted(scope.restrict) for s in catalog.docs[h].sources]
            filters = replace(filters, sources=tuple(sources))
        found = self.searcher.search(query, max(depth, self.settings.retrieval.fetch_k), filters)
        found = self._reranked(query, found)
        scored = [replace(p, score=p.score + _bonus(scope, p.doc_hash)) for p in found]
        return sorted(scored, key=lambda p: -p.score)[:depth]

    def _reranked(self, query: str, passages: list[Passage]) -> list[Passage]:
        return rerank(query, passages, self.searcher.idf, self.terms_of)


def _bonus(scope: DocScope, doc_hash: str) -> float:
    bonus = PREFER_BONUS if doc_hash in scope.prefer else 0.0
    bonus += PREFER_BONUS / 2 if doc_hash in scope.undated else 0.0  # might be of that year
    bonus += ISSUER_BONUS if doc_hash in scope.issued else 0.0
    return bonus - (DEMOTE_PENALTY if doc_hash in scope.demote else 0.0)
