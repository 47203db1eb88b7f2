"""Chroma access: a chunk collection (our own embeddings), a document registry collection, and
a change log.

The registry record of a document is its commit marker: chunks are written first, the record
last, so a crash leaves at most orphan chunks, which `purge_orphans` removes. Readers only ever
see chunks whose document record exists. The registry's metadata holds the store generation,
bumped by every committed write; the change log (`<collection>-changes`) lists, per generation,
the documents that write added or removed, so other processes can bring their side indexes up
to date by applying just those.

The registry's metadata names the chunk collection in use (absent: the collection named by the
settings). `policyqa reindex` fills a new chunk collection and then switches that name in one
write, so a reindex that stops at any point leaves the store as it was.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.core.errors import StoreError
from assistant.core.settings import StoreSettings
from assistant.core.types import DocRecord

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
_PAGE = 2000
CHANGES_KEPT = 1000  # generations of change log kept; an index further behind reads the registry
_ACTIVE = "chunks"  # key in the registry's metadata: the chunk collection in use
_REEMBEDDED = "-chunks-"  # chunk collections made by a reindex: <collection>-chunks-<digest>


class ChromaStore:
    def __init__(self, settings: StoreSettings, identity: str, dimension: int) -> None:
        self.settings = settings
        self.identity = identity
        self.dimension = dimension
        self._client = _make_client(settings)
        self.docs = self._client.get_or_create_collection(
            f"{settings.collection}-docs", metadata={"generation": 0}, embedding_function=None)
        self.changes = self._client.get_or_create_collection(
            f"{settings.collection}-changes", embedding_function=None)
        self.chunks = self._open_chunks()

    def _open_chunks(self):  # noqa: ANN202
        name = _active_chunks(self.settings, self.docs.metadata)
        col = self._chunk_collection(name, self.identity, self.dimension)
        found = col.metadata or {}
        if found.get("schema", SCHEMA_VERSION) != SCHEMA_VERSION:
            raise StoreError(f"knowledge base {self.where} has schema {found.get('schema')}, this "
                             f"version reads {SCHEMA_VERSION}: re-create it with "
                             f"`policyqa ingest <folders> --store NEW_DIR`")
        if found.get("embedding") not in (None, self.identity):
            raise StoreError(f"knowledge base {self.where} was built with embedding model "
                             f"{found['embedding']!r}, but {self.identity!r} is configured: set "
                             f"embedding.mode/model_path back, or re-embed the store with "
                             f"`policyqa reindex --store {self.settings.path}`")
        return col

    def _chunk_collection(self, name: str, identity: str, dimension: int):  # noqa: ANN202
        meta = {"embedding": identity, "dimension": dimension, "schema": SCHEMA_VERSION}
        return self._client.get_or_create_collection(
            name, metadata=meta, configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None)

    @property
    def where(self) -> str:
        return self.settings.chroma_url or str(self.settings.path)

    # --- generation: bumped on every committed change -----------------------------------------
    def generation(self) -> int:
        meta = self._docs_metadata()
        if _active_chunks(self.settings, meta) != self.chunks.name:
            raise StoreError(f"knowledge base {self.where} was re-embedded by `policyqa reindex` "
                             f"while this process had it open: restart it")
        return int(meta.get("generation", 0))

    def bump_generation(self) -> int:
        return self.commit_changes([])

    def commit_changes(self, changes: list[tuple[str, str]]) -> int:
        """Publish a write: log its (op "add"|"remove", doc hash) changes under the next
        generation, then bump the generation, so a reader that sees the new generation finds
        its entries. A document changed twice keeps its last change. Returns the generation."""
        gen = self.generation() + 1
        last = {doc_hash: op for op, doc_hash in changes}
        ids = [f"{gen}:{doc_hash}" for doc_hash in last]
        metas = [{"generation": gen, "op": op, "doc_hash": h} for h, op in last.items()]
        step = max(1, min(self._client.get_max_batch_size(), 5000))
        for i in range(0, len(ids), step):
            self.changes.upsert(ids=ids[i:i + step], embeddings=[[1.0]] * len(ids[i:i + step]),
                                metadatas=metas[i:i + step])  # type: ignore[arg-type]
        meta = self._docs_metadata()  # modify() replaces the metadata: keep the other keys
        self.docs.modify(metadata={**meta, "generation": gen})
        if gen % 100 == 0:
            self.changes.delete(where={"generation": {"$lte": gen - CHANGES_KEPT}})
        return gen

    def changes_since(self, generation: int) -> list[tuple[int, str, str]]:
        """(generation, op, doc hash) of every logged change after `generation`, oldest first."""
        got = self.changes.get(where={"generation": {"$gt": generation}}, include=["metadatas"])
        rows = [(int(m["generation"]), str(m["op"]), str(m["doc_hash"]))
                for m in got["metadatas"] or []]
        return sorted(rows, key=lambda row: row[0])

    def _docs_metadata(self) -> dict[str, Any]:
        return dict(self._client.get_collection(
            f"{self.settings.collection}-docs", embedding_function=None).metadata or {})

    # --- re-embedding: a new chunk collection, then one switch -------------------------------
    def new_chunk_collection(self, identity: str, dimension: int) -> Any:
        """An empty chunk collection for `identity`, not yet used by readers (a leftover of a
        reindex that did not finish is dropped first)."""
        self.drop_unused_chunk_collections()
        name = f"{self.settings.collection}{_REEMBEDDED}{identity_digest(identity)}"
        return self._chunk_collection(name, identity, dimension)

    def use_chunk_collection(self, collection: Any) -> None:
        """Make `collection` the one every reader opens (one metadata write: the commit
        point of a reindex), then drop the collection it replaces."""
        meta = self._docs_metadata()
        self.docs.modify(metadata={**meta, _ACTIVE: collection.name})
        self.chunks = collection
        found = collection.metadata or {}
        self.identity, self.dimension = found["embedding"], found["dimension"]
        self.drop_unused_chunk_collections()

    def drop_unused_chunk_collections(self) -> None:
        """Delete this store's chunk collections that readers no longer use (or never did)."""
        active = _active_chunks(self.settings, self._docs_metadata())
        base = self.settings.collection
        for name in [c.name for c in self._client.list_collections()]:
            if name != active and (name == base or name.startswith(base + _REEMBEDDED)):
                logger.info("dropping unused chunk collection name=%s", name)
                self._client.delete_collection(name)

    # --- documents ----------------------------------------------------------------------------
    def records(self) -> list[DocRecord]:
        got = self.docs.get(include=["metadatas"])
        return [DocRecord.from_metadata(m) for m in got["metadatas"] or []]

    def put_record(self, record: DocRecord) -> None:
        self.docs.upsert(ids=[record.doc_hash], embeddings=[[1.0]], documents=[record.title],
                         metadatas=[record.to_metadata()])

    def delete_record(self, doc_hash: str) -> None:
        self.docs.delete(ids=[doc_hash])

    # --- chunks -------------------------------------------------------------------------------
    def add_chunks(self, ids: list[str], embeddings: list[list[float]], documents: list[str],
                   metadatas: list[dict[str, Any]], into: Any = None) -> None:
        """Upsert chunks into the chunk collection (or `into`, one from new_chunk_collection)."""
        target = self.chunks if into is None else into
        step = max(1, min(self._client.get_max_batch_size(), 5000))
        for i in range(0, len(ids), step):
            target.upsert(ids=ids[i:i + step], embeddings=embeddings[i:i + step],
                          documents=documents[i:i + step], metadatas=metadatas[i:i + step])

    def delete_chunks(self, doc_hash: str) -> None:
        self.chunks.delete(where={"doc_hash": doc_hash})

    def iter_chunks(self, include_docs: bool = True) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every stored chunk as (id, body, metadata), paged."""
        include = ["metadatas", "documents"] if include_docs else ["metadatas"]
        offset = 0
        while True:
            got = self.chunks.get(include=include, limit=_PAGE, offset=offset)
            ids = got["ids"]
            if not ids:
                return
            docs = got["documents"] or [""] * len(ids)
            yield from zip(ids, docs, got["metadatas"] or [{}] * len(ids), strict=True)
            offset += len(ids)

    def doc_chunks(self, doc_hashes: list[str]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
        """The stored chunks of a few documents as (id, body, metadata), in document order."""
        out: dict[str, list[tuple[str, str, dict[str, Any]]]] = {h: [] for h in doc_hashes}
        if not doc_hashes:
            return out
        got = self.chunks.get(where={"doc_hash": {"$in": doc_hashes}},
                              include=["metadatas", "documents"])
        for cid, body, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [],
                                   strict=True):
            out[str(meta["doc_hash"])].append((cid, body, dict(meta)))
        for rows in out.values():
            rows.sort(key=lambda row: row[0])  # "<hash>-<seq:05d>": id order is document order
        return out

    def get_chunks(self, ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        if not ids:
            return {}
        got = self.chunks.get(ids=ids, include=["metadatas", "documents"])
        return {i: (d, m) for i, d, m in zip(got["ids"], got["documents"] or [],
                                             got["metadatas"] or [], strict=True)}

    def query(self, embedding: list[float], n: int,
              where: dict[str, Any] | None) -> list[tuple[str, float]]:
        """Nearest chunks as (id, cosine similarity)."""
        if self.chunks.count() == 0:
            return []
        got = self.chunks.query(query_embeddings=[embedding], n_results=n, where=where or None,
                                include=["distances"])
        return [(i, 1.0 - d) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def purge_orphans(self, committed: set[str]) -> int:
        """Delete chunks whose document was never committed (a crash mid-ingest)."""
        orphans = {m["doc_hash"] for _, _, m in self.iter_chunks(include_docs=False)} - committed
        for doc_hash in orphans:
            logger.warning("removing chunks of an unfinished ingest doc_hash=%s", doc_hash)
            self.delete_chunks(doc_hash)
        return len(orphans)


def recorded_identity(settings: StoreSettings) -> str | None:
    """The embedding model an existing store was built with; None for a store that does not
    exist yet (nothing is created) or holds no chunk collection."""
    if not settings.chroma_url and not (Path(settings.path) / "chroma").is_dir():
        return None
    client = _make_client(settings)
    try:
        docs = client.get_collection(f"{settings.collection}-docs", embedding_function=None)
        chunks = client.get_collection(_active_chunks(settings, docs.metadata),
                                       embedding_function=None)
    except Exception:  # noqa: BLE001 - chromadb's NotFoundError moved between versions
        return None
    found = (chunks.metadata or {}).get("embedding")
    return str(found) if found else None


def identity_digest(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()[:10]


def _active_chunks(settings: StoreSettings, docs_metadata: dict[str, Any] | None) -> str:
    """The chunk collection readers use: the one a reindex switched to, else the first one."""
    return str((docs_metadata or {}).get(_ACTIVE) or settings.collection)


def _make_client(settings: StoreSettings):  # noqa: ANN202
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_url:
            return _http_client(chromadb, settings, chroma_settings)
        path = Path(settings.path).resolve()  # chroma caches clients by path string
        if path.exists() and not path.is_dir():
            raise StoreError(f"--store {path} is a file, not a folder: pass a folder path")
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path / "chroma"), settings=chroma_settings)
    except StoreError:
        raise
    except Exception as exc:  # chromadb raises many kinds; name the store and move on
        raise StoreError(f"cannot open knowledge base {settings.chroma_url or settings.path}: "
                         f"{exc}") from exc


def _http_client(chromadb, settings: StoreSettings, chroma_settings):  # noqa: ANN001, ANN202
    from urllib.parse import urlparse

    url = urlparse(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise StoreError(f"store.chroma_url {settings.chroma_url!r} is not an http(s) URL, "
                         f"e.g. http://127.0.0.1:8000")
    headers = {"Authorization": f"Bearer {settings.chroma_token}"} if settings.chroma_token else {}
    client = chromadb.HttpClient(host=url.hostname, port=url.port or 8000,
                                 ssl=url.scheme == "https", headers=headers,
                                 settings=chroma_settings)
    client.heartbeat()
    return client
