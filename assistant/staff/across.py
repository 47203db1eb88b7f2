"""The stored documents a cross-document tool reads (汇总, 时限日历): those a filter admits, newest
first, the current version of each document unless all versions are asked for, every passage
carrying its document's status (已废止 / 已修订 are shown next to the rows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from assistant.core.types import DocRecord, Passage, SearchFilter

if TYPE_CHECKING:
    from assistant.documents.catalog import Catalog
    from vectorstore.knowledge_base import KnowledgeBase


class Store(Protocol):
    """What these tools need from the composition root (Services has it)."""

    @property
    def kb(self) -> KnowledgeBase: ...

    def catalog(self) -> Catalog: ...


@dataclass(frozen=True)
class StoredDocument:
    record: DocRecord
    status: str
    passages: list[Passage]

    @property
    def source(self) -> str:
        return self.record.sources[0] if self.record.sources else ""


def stored_documents(store: Store, filters: SearchFilter = SearchFilter(),
                     all_versions: bool = False) -> list[StoredDocument]:
    """The documents in scope, newest first (undated ones last), with their passages."""
    kb, catalog = store.kb, store.catalog()
    records = kb.records()
    allowed = kb.allowed_hashes(filters)
    hashes = [h for h in records if allowed is None or h in allowed]
    if not all_versions:
        older = catalog.older_versions(hashes)
        hashes = [h for h in hashes if h not in older]
    hashes.sort(key=lambda h: (-catalog.docs[h].order, records[h].title))
    return [StoredDocument(records[h], catalog.docs[h].status,
                           catalog.annotate(kb.document_passages(h)))
            for h in hashes]
