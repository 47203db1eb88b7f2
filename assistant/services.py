"""The composition root: builds every component from Settings, lazily, once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.settings import Settings
from assistant.types import Answer, Citation, Passage, SearchFilter

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from assistant.chain import AnswerBackend, AnswerChain
    from assistant.doc_catalog import Catalog
    from ingest.pipeline import IngestPipeline, IngestReport
    from vectorstore.embeddings import PolicyEmbeddings
    from vectorstore.knowledge_base import KnowledgeBase
    from vectorstore.tokenize import Tokenizer


MODE_PASSAGES = 8  # passages an outline or draft is built from
MODE_DOC_CHUNKS = 40  # chunks of a whole document given to an outline or draft


class Services:
    def __init__(self, settings: Settings, embeddings: PolicyEmbeddings | None = None) -> None:
        self.settings = settings
        if embeddings is not None:
            self.__dict__["embeddings"] = embeddings
        self._chat_models: dict[str, BaseChatModel] = {}
        self._catalog: tuple[dict, Catalog] | None = None  # (registry snapshot, its catalog)

    @cached_property
    def embeddings(self) -> PolicyEmbeddings:
        from vectorstore.embeddings import make_embeddings

        return make_embeddings(self.settings.embedding)

    @cached_property
    def tokenizer(self) -> Tokenizer:
        from vectorstore.tokenize import Tokenizer

        return Tokenizer(self.settings.ingest.user_dict)

    @cached_property
    def kb(self) -> KnowledgeBase:
        import threading

        from vectorstore.knowledge_base import KnowledgeBase

        # jieba's dictionary (~1 s) loads on the other core while Chroma opens (~1 s)
        threading.Thread(target=self.tokenizer.tokens, args=("预热",), daemon=True).start()
        return KnowledgeBase(self.settings, self.embeddings, self.tokenizer)

    def extractive(self) -> AnswerBackend:
        from assistant.extractive import ExtractiveBackend

        return ExtractiveBackend(self.tokenizer.terms, self._idf, self.settings.llm.max_sentences)

    def chat_model(self, mode: str) -> BaseChatModel:
        """One chat model per mode for the life of the services (the local one is heavy)."""
        if mode not in self._chat_models:
            from assistant.llm import make_chat_model

            llm = self.settings.llm.model_copy(update={"mode": mode})
            self._chat_models[mode] = make_chat_model(llm)
        return self._chat_models[mode]

    def use_chat_model(self, mode: str, model: BaseChatModel) -> None:
        """Register a ready chat model for a mode (a remote client, or a fake in tests)."""
        self._chat_models[mode] = model

    def backend(self, mode: str | None = None, task: str = "qa") -> AnswerBackend:
        """The answer backend named by `mode` (default: settings.llm.mode)."""
        mode = mode or self.settings.llm.mode
        if mode == "extractive":
            return self.extractive()
        from assistant.generation import LLMBackend

        budget = (self.settings.llm.local_context_chars if mode == "local"
                  else self.settings.retrieval.context_chars)
        return LLMBackend(mode, self.chat_model(mode), budget, self.extractive(), task,
                          quotes=self.settings.llm.quote_sentences)

    def chain(self, mode: str | None = None, task: str = "qa") -> AnswerChain:
        from assistant.chain import AnswerChain
        from assistant.rewrite import llm_rewrite

        backend = self.backend(mode, task)
        rewriter = None
        if backend.name != "extractive":
            model = self.chat_model(backend.name)
            rewriter = lambda q, h: llm_rewrite(q, h, model)  # noqa: E731
        return AnswerChain(self.kb, self.settings, backend, self.tokenizer.terms, rewriter,
                           catalog=self.catalog)

    def catalog(self) -> Catalog:
        """The stored documents with status and versions, rebuilt only when the registry is
        re-read (a write or another process's write), not on every question."""
        from assistant.doc_catalog import Catalog

        records = self.kb.records()
        cached = self._catalog
        if cached is None or cached[0] is not records:
            cached = self._catalog = (records, Catalog(records.values()))
        return cached[1]

    def run_mode(self, task: str, topic: str, filters: SearchFilter = SearchFilter(),
                 mode: str | None = None) -> Answer:
        """学习提纲 (task=outline) or 起草 (task=draft) on a topic, or on a whole document when
        the filter names exactly one document and the topic is empty."""
        from assistant import modes
        from assistant.chain import refusal_answer

        passages = self._mode_passages(topic, filters)
        if isinstance(passages, Answer):
            return passages
        backend = self.backend(mode, task)
        if backend.name == "extractive":
            return getattr(modes, task)(topic or passages[0].title, passages)
        answer = backend.answer(topic or f"《{passages[0].title}》", passages)
        if not answer.citations:
            from assistant.chain import Retrieval

            return refusal_answer(Retrieval(topic, topic, filters, tuple(passages), 0.0,
                                            "relevance"))
        return answer

    def _mode_passages(self, topic: str, filters: SearchFilter) -> list[Passage] | Answer:
        from assistant.chain import refusal_answer

        if not topic.strip() and len(filters.sources) == 1:
            record = self.kb.find_source(filters.sources[0])
            passages = self.kb.document_passages(record.doc_hash) if record else []
            return passages[:MODE_DOC_CHUNKS]
        found = self.chain("extractive").retrieve({"question": topic, "filters": filters})
        if found.refusal and found.refusal == "relevance":
            return refusal_answer(found)
        return list(found.passages[:MODE_PASSAGES])

    def _idf(self, term: str) -> float:
        return self.kb.bm25.idf(term)

    # --- what the CLI and UI call -------------------------------------------------------------
    def ask(self, question: str, filters: SearchFilter = SearchFilter(),
            mode: str | None = None, *, task: str = "qa") -> Answer:
        """Answer a question (task=qa), or build an outline / draft on it."""
        if task != "qa":
            return self.run_mode(task, question, filters, mode)
        return self.chain(mode).ask(question, filters)

    def ask_stream(self, question: str, filters: SearchFilter = SearchFilter(),
                   history: Sequence[dict[str, str]] | Sequence[tuple[str, str]] = (), *,
                   task: str = "qa", mode: str | None = None) -> Iterator[Answer]:
        """Partial answers with growing text; the retrieved sources come first (as provisional
        citations numbered by rank, which is what the model cites), the verified answer last."""
        from assistant.chain import Retrieval
        from assistant.generation import Delta

        if task != "qa":
            yield self.run_mode(task, question, filters, mode)
            return
        chain = self.chain(mode)
        text = ""
        provisional: tuple[Citation, ...] = ()
        passages: tuple[Passage, ...] = ()
        for event in chain.stream(question, filters, _pairs(history)):
            if isinstance(event, Retrieval):
                passages = event.passages
                top = () if event.refusal else passages[: self.settings.retrieval.k]
                provisional = tuple(Citation(r, p, r) for r, p in enumerate(top, 1))
                yield Answer(question, "", provisional, passages, backend=chain.backend.name)
            elif isinstance(event, Delta):
                text += event.text
                yield Answer(question, text, provisional, passages, backend=chain.backend.name)
            elif isinstance(event, Answer):
                yield event

    def search(self, query: str, k: int | None = None,
               filters: SearchFilter = SearchFilter()) -> list[Passage]:
        return self.kb.search(query, k, filters)

    def pipeline(self) -> IngestPipeline:
        from ingest.pipeline import IngestPipeline

        return IngestPipeline(self.kb, self.settings)

    def ingest(self, paths: list[Path], progress: bool = False) -> IngestReport:
        return self.pipeline().run(paths, progress=progress)

    def delete(self, source: str) -> bool:
        """Remove a source path from both indexes; False when no document lists it."""
        with self.kb.write_lock():
            found = self.kb.unlink_source(source)
            if found:
                self.kb.commit()
        return found


Pairs = tuple[tuple[str, str], ...]


def _pairs(history: Sequence[dict[str, str]] | Sequence[tuple[str, str]]) -> Pairs:
    """Gradio messages ([{role, content}, …]) or (question, answer) pairs → pairs."""
    pairs: list[tuple[str, str]] = []
    question = None
    for item in history:
        if isinstance(item, tuple):
            pairs.append(item)
        elif item.get("role") == "user":
            question = str(item.get("content", ""))
        elif item.get("role") == "assistant" and question is not None:
            pairs.append((question, str(item.get("content", ""))))
            question = None
    return tuple(pairs)
