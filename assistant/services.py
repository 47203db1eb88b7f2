"""The composition root: builds every component from Settings, lazily, once, and hands them to
the CLI and the web page. No feature logic lives here.

A Services speaks for one knowledge base (settings.store.kb, `default` unless --kb names
another). `for_kb(name)` is a view on another one and `reading(names)` a view that searches
several as one; views share the heavy parts — embeddings, tokenizer, chat models, the users,
lockouts and audit log — with the Services they came from.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.errors import ConfigError
from assistant.core.settings import EmbeddingSettings, Settings
from assistant.core.types import Answer, Passage, SearchFilter

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models.chat_models import BaseChatModel

    from assistant.access.audit import AuditLog
    from assistant.access.tables import Log, Table
    from assistant.access.throttle import Throttle
    from assistant.access.users import Directory
    from assistant.answer.backend import AnswerBackend
    from assistant.answer.chain import AnswerChain
    from assistant.answer.extractive import ExtractiveBackend
    from assistant.documents.catalog import Catalog
    from assistant.staff.forms import Form
    from ingest.pipeline import IngestPipeline, IngestReport
    from ingest.progress import Progress
    from vectorstore.embeddings.base import PolicyEmbeddings
    from vectorstore.kb_registry import KBRegistry
    from vectorstore.knowledge_base import KnowledgeBase
    from vectorstore.reindex import ReindexReport
    from vectorstore.tokenize import Tokenizer
    from vectorstore.union import KnowledgeBaseUnion


class Services:
    def __init__(self, settings: Settings, embeddings: PolicyEmbeddings | None = None,
                 root: Services | None = None, kb_names: tuple[str, ...] = ()) -> None:
        self.settings = settings
        self.root = root or self
        self.kb_names = kb_names or (settings.store.kb,)
        if embeddings is not None:
            self.__dict__["embeddings"] = embeddings
        self._chat_models: dict[str, BaseChatModel] = root._chat_models if root else {}
        self._views: dict[tuple[str, ...], tuple[Settings, Services]] = {}
        self._catalog: tuple[object, Catalog] | None = None  # (registry snapshot, its catalog)

    @property
    def kb_name(self) -> str:
        return self.kb_names[0]

    # --- knowledge bases ----------------------------------------------------------------------
    def for_kb(self, name: str) -> Services:
        """The view on knowledge base `name` (it must exist: see kb_registry)."""
        return self.reading([name])

    def reading(self, names: list[str] | tuple[str, ...]) -> Services:
        """A view that searches the knowledge bases `names` as one (see vectorstore/union.py);
        with one name, the view on that knowledge base."""
        root = self.root
        key = tuple(dict.fromkeys(names))
        if not key:
            raise ConfigError("no knowledge base to search")
        cached = root._views.get(key)
        if cached is None or cached[0] is not root.settings:
            store = root.settings.store.model_copy(update={"kb": key[0]})
            view = Services(root.settings.model_copy(update={"store": store}), root=root,
                            kb_names=key)
            cached = root._views[key] = (root.settings, view)
        return cached[1]

    def forget_kb(self, name: str) -> None:
        """Drop the views on a deleted knowledge base (a new one of that name starts fresh)."""
        for key in [k for k in self.root._views if name in k]:
            del self.root._views[key]

    @cached_property
    def kb_registry(self) -> KBRegistry:
        if self.root is not self:
            return self.root.kb_registry
        from vectorstore.kb_registry import KBRegistry

        return KBRegistry(self.settings.store)

    # --- components ---------------------------------------------------------------------------
    @cached_property
    def embeddings(self) -> PolicyEmbeddings:
        if self.root is not self:
            return self.root.embeddings
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
        if self.root is not self:
            return self.root.tokenizer
        from vectorstore.tokenize import Tokenizer

        return Tokenizer(self.settings.ingest.user_dict)

    @cached_property
    def kb(self) -> KnowledgeBase:
        """The one knowledge base this Services writes to and lists."""
        from vectorstore.kb_registry import DEFAULT_KB
        from vectorstore.knowledge_base import KnowledgeBase

        if len(self.kb_names) > 1:
            raise ConfigError("this view searches several knowledge bases: pick one to change "
                              "or list")
        settings = self.settings
        if settings.store.kb != DEFAULT_KB:
            store = self.kb_registry.store_for(settings.store.kb)
            settings = settings.model_copy(update={"store": store})
        # jieba's dictionaries load on the other core while Chroma opens
        threading.Thread(target=_warm_jieba, args=(self.tokenizer,), daemon=True).start()
        return KnowledgeBase(settings, self.embeddings, self.tokenizer)

    @cached_property
    def corpus(self) -> KnowledgeBase | KnowledgeBaseUnion:
        """What questions search: the knowledge base, or the union of this view's ones."""
        if len(self.kb_names) == 1:
            return self.kb
        from vectorstore.union import KnowledgeBaseUnion

        return KnowledgeBaseUnion([self.root.for_kb(name).kb for name in self.kb_names])

    def catalog(self) -> Catalog:
        """The stored documents with status and versions, rebuilt only when the registry is
        re-read (a write or another process's write), not on every question."""
        from assistant.documents.catalog import Catalog

        records = self.corpus.records()
        cached = self._catalog
        if cached is None or cached[0] is not records:
            cached = self._catalog = (records, Catalog(records.values()))
        return cached[1]

    # --- users, lockouts, audit (shared by every node in server mode) -------------------------
    @cached_property
    def users(self) -> Directory:
        if self.root is not self:
            return self.root.users
        from assistant.access.users import Directory

        return Directory(self._access_table("users"), self.settings.ui.auth)

    @cached_property
    def throttle(self) -> Throttle:
        if self.root is not self:
            return self.root.throttle
        from assistant.access.throttle import Throttle

        return Throttle(self._access_table("lockouts"), self.settings.access)

    @cached_property
    def audit(self) -> AuditLog:
        if self.root is not self:
            return self.root.audit
        from assistant.access.audit import AuditLog
        from assistant.access.tables import JsonlLog

        log: Log = JsonlLog(Path(self.settings.store.path) / "audit.jsonl")
        if self.settings.store.chroma_url:
            log = self._shared_tables["audit"]
        return AuditLog(log)

    def _access_table(self, name: str) -> Table:
        if self.settings.store.chroma_url:
            return self._shared_tables[name]
        from assistant.access.tables import SqliteTable

        return SqliteTable(Path(self.settings.store.path) / "users.sqlite", name)

    @cached_property
    def _shared_tables(self) -> dict:  # type: ignore[type-arg]
        from vectorstore.shared_tables import shared_tables

        return shared_tables(self.settings.store)

    # --- answering ----------------------------------------------------------------------------
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

        return ExtractiveBackend(self.tokenizer.terms, self.corpus.idf,
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
        return AnswerChain(self.corpus, self.settings, answerer, self.tokenizer.terms, rewriter,
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
        return self.corpus.search(query, k, filters)

    def ingest(self, paths: list[Path], progress: bool | Progress = False) -> IngestReport:
        return self.pipeline().run(paths, progress=progress)

    def reindex(self, target: EmbeddingSettings,
                progress: bool = False) -> list[tuple[str, ReindexReport]]:
        """Re-embed every stored chunk of every knowledge base with `target` (they share one
        embedder), each switched atomically; (knowledge base, report) in registry order."""
        from vectorstore.embeddings.factory import make_embeddings
        from vectorstore.reindex import reindex

        embeddings = make_embeddings(target)  # the store's own model is not needed
        embedder = self.document_embedder(embeddings)
        reports = []
        for name in self.kb_registry.names():
            store = self.kb_registry.store_for(name)
            settings = self.settings.model_copy(update={"store": store})
            reports.append((name, reindex(settings, self.tokenizer, embeddings, embedder,
                                          progress)))
        return reports

    def delete(self, source: str) -> bool:
        """Remove a source path from both indexes; False when no document lists it."""
        with self.kb.write_lock():
            found = self.kb.unlink_source(source)
            if found:
                self.kb.commit()
        return found


def _warm_jieba(tokenizer: Tokenizer) -> None:
    """Load what a question's first reading needs: the policy-term tokenizer, then the
    part-of-speech tagger the scope reads places and years with."""
    from vectorstore.tokenize import pos_tagger

    tokenizer.tokens("预热")
    pos_tagger()
