"""The composition root: builds every component from Settings, lazily, once."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.settings import Settings
from assistant.types import Answer, Passage, SearchFilter

if TYPE_CHECKING:
    from assistant.chain import AnswerBackend, AnswerChain
    from ingest.pipeline import IngestPipeline, IngestReport
    from vectorstore.embeddings import PolicyEmbeddings
    from vectorstore.knowledge_base import KnowledgeBase
    from vectorstore.tokenize import Tokenizer


class Services:
    def __init__(self, settings: Settings, embeddings: PolicyEmbeddings | None = None) -> None:
        self.settings = settings
        if embeddings is not None:
            self.__dict__["embeddings"] = embeddings

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
        from vectorstore.knowledge_base import KnowledgeBase

        return KnowledgeBase(self.settings, self.embeddings, self.tokenizer)

    def backend(self, mode: str | None = None) -> AnswerBackend:
        """The answer backend named by `mode` (default: settings.llm.mode)."""
        from assistant.extractive import ExtractiveBackend

        mode = mode or self.settings.llm.mode
        match mode:
            case "extractive":
                return ExtractiveBackend(self.tokenizer.terms, self._idf,
                                         self.settings.llm.max_sentences)
            case _:
                from assistant.errors import ConfigError

                raise ConfigError(f"answer backend {mode!r} is not available in this version; "
                                  f"valid: extractive")

    def chain(self, mode: str | None = None) -> AnswerChain:
        from assistant.chain import AnswerChain

        return AnswerChain(self.kb, self.settings, self.backend(mode), self.tokenizer.terms,
                           self._idf)

    def _idf(self, term: str) -> float:
        return self.kb.bm25.idf(term)

    # --- what the CLI and UI call -------------------------------------------------------------
    def ask(self, question: str, filters: SearchFilter = SearchFilter(),
            mode: str | None = None) -> Answer:
        return self.chain(mode).ask(question, filters)

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
