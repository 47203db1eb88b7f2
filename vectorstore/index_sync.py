"""Bringing the BM25 side index up to date with the committed documents (the registry in Chroma).

A process's own writes reach its index together with their registry record (KnowledgeBase).
What other processes committed reaches it here, from the change log on the Chroma side
(ChromaStore.commit_changes): only the documents added or removed since the index's generation
are tokenised and added, or dropped — never a rebuild. The registry is the check: when the
index's document count after applying the log differs from the registry's, or when asked to
verify (the first look of a process, which heals a crash between a record and its index
write), or when the log cannot cover the gap (a new index: a store written before this index
existed; an index further behind than the kept log), the index's documents are compared with
the registry's and the difference is applied. For a new index that is the one-time build from
the stored chunks, with a progress bar.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from assistant.core.types import DocRecord, indexed_text
from vectorstore.bm25_index import BM25Index, IndexedDoc
from vectorstore.chroma_store import CHANGES_KEPT, ChromaStore

logger = logging.getLogger(__name__)

TokenizeFn = Callable[[str], list[str]]
PROGRESS_FROM = 1000  # chunks to index before a progress bar is worth showing
_BATCH_CHUNKS = 2000  # chunks per index transaction when many documents are added
_FEW_DOCS = 50  # up to this many documents are fetched by hash; more by paging every chunk


@dataclass
class SyncReport:
    changes: int = 0  # change-log entries read
    indexed: int = 0  # chunks tokenised and added
    removed: int = 0  # chunks dropped
    compared: bool = False  # the index was compared with the registry


def catch_up(index: BM25Index, store: ChromaStore, committed: Mapping[str, DocRecord],
             tokenize: TokenizeFn, generation: int, verify: bool = False) -> SyncReport:
    """Apply what changed between the index's generation and `generation`."""
    since = index.generation
    report = SyncReport()
    changes = store.changes_since(since) if 0 <= since < generation else []
    report.changes = len(changes)
    last = {doc_hash: op for _, op, doc_hash in changes}
    add = [h for h, op in last.items() if op == "add" and h in committed and not index.has(h)]
    drop = [h for h, op in last.items() if op == "remove" and h not in committed
            and index.has(h)]
    blind = since < 0 or not 0 <= generation - since <= CHANGES_KEPT
    if verify or blind or index.doc_count() + len(add) - len(drop) != len(committed):
        present = index.doc_hashes()
        add = sorted(set(committed) - present)
        drop = sorted(present - set(committed))
        report.compared = True
    report.removed = index.remove(drop)
    report.indexed = index_documents(index, store, {h: committed[h] for h in add}, tokenize)
    if index.generation != generation:
        index.set_generation(generation)
    return report


def index_documents(index: BM25Index, store: ChromaStore, records: Mapping[str, DocRecord],
                    tokenize: TokenizeFn) -> int:
    """Tokenise the stored chunks of these documents and add them; returns chunks added."""
    total = sum(r.chunks for r in records.values())
    bar = _progress(total)
    batch: list[IndexedDoc] = []
    added = 0
    for doc_hash, rows in _stored(store, records):
        tokens = [(cid, tokenize(indexed_text(m.get("title", ""), m.get("heading", ""), body)))
                  for cid, body, m in rows]
        batch.append(IndexedDoc(doc_hash, tokens))
        if bar is not None:
            bar.update(len(rows))
        if sum(len(d.chunks) for d in batch) >= _BATCH_CHUNKS:
            added += index.add(batch)
            batch = []
    added += index.add(batch)
    if bar is not None:
        bar.close()
    return added


Rows = list[tuple[str, str, dict[str, Any]]]


def _stored(store: ChromaStore, records: Mapping[str, DocRecord]) -> Iterator[tuple[str, Rows]]:
    """(doc hash, its chunks in order) of each document, a document once all its chunks came."""
    hashes = list(records)
    if len(hashes) <= _FEW_DOCS:
        for i in range(0, len(hashes), 10):
            yield from store.doc_chunks(hashes[i:i + 10]).items()
        return
    pending: dict[str, Rows] = {}
    for cid, body, meta in store.iter_chunks():
        doc_hash = meta.get("doc_hash", "")
        if doc_hash not in records:
            continue
        rows = pending.setdefault(doc_hash, [])
        rows.append((cid, body, meta))
        if len(rows) == records[doc_hash].chunks:
            yield doc_hash, sorted(pending.pop(doc_hash), key=lambda row: row[0])
    for doc_hash, rows in pending.items():  # fewer chunks stored than the record says
        logger.warning("document has %d of its %d chunks doc_hash=%s", len(rows),
                       records[doc_hash].chunks, doc_hash)
        yield doc_hash, sorted(rows, key=lambda row: row[0])


def _progress(total: int):  # noqa: ANN202 - tqdm's type, imported only when shown
    if total < PROGRESS_FROM:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="BM25 index", unit="chunk", file=sys.stderr, leave=False,
                smoothing=0.1, mininterval=0.5)
