"""`policyqa reindex`: re-embed a store's chunks with another model, switching atomically.

The chunk texts are read back from Chroma (no file is parsed again) and embedded the way ingest
embeds them, `indexed_text(title, heading, body)`, in batches sorted by length, into a new chunk
collection. One registry write then switches readers to it and the old collection is dropped.
Until that write the store is the old one, whole: a reindex stopped at any point (a crash, a
kill, an error) leaves it usable, and the next reindex starts again from a clean collection.
The lexical index is not touched: the texts it indexes are the same.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.core.errors import StoreError
from assistant.core.settings import Settings
from assistant.core.text import embed_by_length
from assistant.core.types import indexed_text
from vectorstore.chroma_store import recorded_identity
from vectorstore.embeddings.base import PolicyEmbeddings
from vectorstore.knowledge_base import KnowledgeBase
from vectorstore.tokenize import Tokenizer

PAGE = 256  # chunks read, embedded and written per step (progress moves once a step)


@dataclass(frozen=True)
class ReindexReport:
    old: str
    new: str
    chunks: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        if self.old == self.new:
            return f"already embedded with {self.new}: nothing to do"
        rate = self.chunks / self.seconds if self.seconds else 0.0
        return (f"reindexed {self.chunks} chunks · {self.old} → {self.new} · "
                f"{self.seconds:.1f} s · {rate:.1f} chunks/s")


class StoredModel(PolicyEmbeddings):
    """The model a store was built with, known by name only: a reindex reads the stored chunks
    and never embeds with it (it may not even be installed here)."""

    def __init__(self, identity: str) -> None:
        self._identity = identity

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def dimension(self) -> int:
        return 0  # not checked when an existing collection is opened

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise StoreError(f"the store's own model {self._identity!r} is not used by a reindex")

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def reindex(settings: Settings, tokenizer: Tokenizer, embeddings: PolicyEmbeddings,
            embedder: Embeddings, progress: bool = False) -> ReindexReport:
    """Re-embed every committed chunk of the store `settings` name with `embedder` (which
    computes `embeddings`' vectors, perhaps through a cache) and make the store use them."""
    start = time.perf_counter()
    old = recorded_identity(settings.store)
    if old is None or embeddings.identity == old:
        return ReindexReport(old or embeddings.identity, old or embeddings.identity)
    kb = KnowledgeBase(settings, StoredModel(old), tokenizer)
    with kb.write_lock():  # one writer; orphans of a crashed ingest are purged first
        committed = set(kb.records())
        total = sum(r.chunks for r in kb.records().values())
        target = kb.store.new_chunk_collection(embeddings.identity, embeddings.dimension)
        with _bar(total, progress) as bar:
            for page in _pages(kb.store.iter_chunks(), committed):
                _copy(kb, page, embedder, target)
                if bar is not None:
                    bar.update(len(page))
        kb.store.use_chunk_collection(target)
    return ReindexReport(old, embeddings.identity, total, time.perf_counter() - start)


def _copy(kb: KnowledgeBase, page: list[tuple[str, str, dict[str, Any]]], embedder: Embeddings,
          target: Any) -> None:
    ids = [cid for cid, _, _ in page]
    bodies = [body for _, body, _ in page]
    metas = [meta for _, _, meta in page]
    texts = [indexed_text(m.get("title", ""), m.get("heading", ""), b)
             for b, m in zip(bodies, metas, strict=True)]
    vectors = embed_by_length(embedder.embed_documents, texts, len(texts))  # one sorted call
    kb.store.add_chunks(ids, vectors, bodies, metas, into=target)


def _pages(chunks: Iterable[tuple[str, str, dict[str, Any]]],
           committed: set[str]) -> Iterator[list[tuple[str, str, dict[str, Any]]]]:
    page: list[tuple[str, str, dict[str, Any]]] = []
    for chunk in chunks:
        if chunk[2].get("doc_hash") in committed:
            page.append(chunk)
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page


def _bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return nullcontext()
    from tqdm import tqdm

    return tqdm(total=total, desc="reindex", unit="chunk", file=sys.stderr, smoothing=0.1)
