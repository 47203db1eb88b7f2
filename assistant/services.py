"""The composition root: builds every component from Settings, lazily, once, and hands them to
the CLI and the web page. No feature logic lives here."""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.settings import EmbeddingSettings, Settings
from assistant.core.types import Answer, Passage, SearchFilter

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models.chat_models import BaseChatModel

    from assistant.answer.backend import AnswerBackend
    from assistant.answer.chain import AnswerChain
    from assistant.answer.extractive import ExtractiveBackend
    from assistant.documents.catalog import Catalog
    from assistant.staff.forms import Form
    from ingest.pipeline import IngestPipeline, IngestReport
    from ingest.progress import Progress
    from vectorstore.embeddings.base import PolicyEmbeddings
    from vectorstore.knowledge_base import KnowledgeBase
    from vectorstore.reindex import ReindexReport
    from vectorstore.tokenize import Tokenizer


class Services:
    def __init__(self, settings: Settings, embeddings: PolicyEmbeddings | None = None) -> None:
        self.settings = settings
        if embeddings is not None:
            self.__dict__["embeddings"] = embeddings
        self._chat_models: dict[str, BaseChatModel] = {}
        self._catalog: tuple[object, Catalog] | None = None  # (registry snapshot, its catalog)

    # --- components ---------------------------------------------------------------------------
    @cached_property
    def embeddings(self) -> PolicyEmbeddings:
        from vectorstore.embeddings.factory import make_embeddings

        return make_embeddings(self.embedding_settings)

    @cached_property
    def embedding_settings(self) -> EmbeddingSettings:
        """The configured embedding, or the model an existing store was built with when
        embedding.mode was not set (an explicitly set other model is an error naming reindex)."""
        from vectorstore.chroma_store import recorded_identity
        from vectorstore.embeddings.factory import for_store

        store = self.settings.store
        return for_store(self.settings.embedding, recorded_identity(store),
                         store.chroma_url or str(store.path))

    @cached_property
    def tokenizer(self) -> Tokenizer:
        from vectorstore.tokenize import Tokenizer

        return Tokenizer(self.settings.ingest.user_dict)

    @cached_property
    def kb(self) -> KnowledgeBase:
        from vectorstore.knowledge_base import KnowledgeBase

        # jieba's dictionary (~1 s) loads on the other core while Chroma opens (~1 s)
        threading.Thread(target=self.tokenizer.tokens, args=("预热",), daemon=True).start()
        return KnowledgeBase(self.settings, self.embeddings, self.tokenizer)

    def catalog(self) -> Catalog:
        """The stored documents with status and versions, rebuilt only when the registry is
        re-read (a write or another process's write), not on every question."""
        from assistant.documents.catalog import Catalog

        records = self.kb.records()
        cached = self._catalog
        if cached is None or cached[0] is not records:
            cached = self._catalog = (records, Catalog(records.values()))
        return cached[1]

    def chat_model(self, backend: str) -> BaseChatModel:
        """One chat model per backend for the life of the services (the local one is heavy)."""
        if backend not in self._chat_models:
            from assistant.llm.factory import make_chat_model

            llm = self.settings.llm.model_copy(update={"mode": backend})
            self._chat_models[backend] = make_chat_model(llm)
        return self._chat_models[backend]

    def use_chat_model(self, backend: str, model: BaseChatModel) -> None:
        """Register a ready chat model for a backend (a remote client, or a fake in tests)."""
        self._chat_models[backend] = model

    def context_budget(self, backend: str) -> int:
        """Characters of passages a model is given (the local one reads ~35 tokens/s)."""
        if backend == "local":
            return self.settings.llm.local_context_chars
        return self.settings.retrieval.context_chars

    def extractive(self) -> ExtractiveBackend:
        from assistant.answer.extractive import ExtractiveBackend

        return ExtractiveBackend(self.tokenizer.terms, self.kb.idf,
                                 self.settings.llm.max_sentences)

    def backend(self, name: str | None = None, form: Form = "qa") -> AnswerBackend:
        """The answer backend called `name` (default: settings.llm.mode) writing `form`."""
        name = name or self.settings.llm.mode
        if name == "extractive":
            return self.extractive()
        from assistant.answer.generative import LLMBackend

        return LLMBackend(name, self.chat_model(name), self.context_budget(name),
                          self.extractive(), form, quotes=self.settings.llm.quote_sentences)

    def chain(self, backend: str | None = None, form: Form = "qa") -> AnswerChain:
        from assistant.answer.chain import AnswerChain

        answerer = self.backend(backend, form)
        rewriter = None
        if answerer.name != "extractive":
            from assistant.answer.rewrite import llm_rewrite

            model = self.chat_model(answerer.name)
            rewriter = lambda q, h: llm_rewrite(q, h, model)  # noqa: E731
        return AnswerChain(self.kb, self.settings, answerer, self.tokenizer.terms, rewriter,
                           catalog=self.catalog)

    def pipeline(self) -> IngestPipeline:
        from ingest.pipeline import IngestPipeline

        return IngestPipeline(self.kb, self.settings, self.document_embedder())

    def document_embedder(self, embeddings: PolicyEmbeddings | None = None) -> Embeddings:
        """The embedder for passages (`embeddings`, default the store's): cached by text hash
        unless embedding.cache is off."""
        embeddings = embeddings or self.embeddings
        if not self.settings.embedding.cache:
            return embeddings
        from vectorstore.embeddings.cache import CachedEmbeddings

        default = Path(self.settings.store.path) / "embedding_cache.sqlite"
        path = Path(self.settings.embedding.cache_path or default)
        return CachedEmbeddings(embeddings, embeddings.identity, path)

    # --- shortcuts the CLI, the page and the tests use ----------------------------------------
    def ask(self, question: str, filters: SearchFilter = SearchFilter(),
            backend: str | None = None) -> Answer:
        return self.chain(backend).ask(question, filters)

    def search(self, query: str, k: int | None = None,
               filters: SearchFilter = SearchFilter()) -> list[Passage]:
        return self.kb.search(query, k, filters)

    def ingest(self, paths: list[Path], progress: bool | Progress = False) -> IngestReport:
        return self.pipeline().run(paths, progress=progress)

    def reindex(self, target: EmbeddingSettings, progress: bool = False) -> ReindexReport:
        """Re-embed every stored chunk with `target` and switch the store to it atomically."""
        from vectorstore.embeddings.factory import make_embeddings
        from vectorstore.reindex import reindex

        embeddings = make_embeddings(target)  # the store's own model is not needed
        return reindex(self.settings, self.tokenizer, embeddings,
                       self.document_embedder(embeddings), progress)

    def delete(self, source: str) -> bool:
        """Remove a source path from both indexes; False when no document lists it."""
        with self.kb.write_lock():
            found = self.kb.unlink_source(source)
            if found:
                self.kb.commit()
        return found
