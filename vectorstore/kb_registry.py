"""Named knowledge bases in one store: names (Chinese allowed) → ASCII Chroma collection ids.

`default` is the store's original collection (store.collection, "policyqa"), so a store written
before knowledge bases existed opens as `default` with nothing re-ingested; it cannot be
deleted. Every other knowledge base is `kb-<12 hex digits of its name's sha256>` (chunks) and
`kb-…-docs` (registry), listed in the collection `<store.collection>-kbs` — on the server in
server mode, so every node sees the same list. Side indexes and uploads of the others live in
`<store>/kbs/<id>/` (knowledge_base.index_folder).
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.errors import ConfigError, StoreError
from assistant.core.settings import StoreSettings
from vectorstore.chroma_store import _make_client  # one way to open the store's client
from vectorstore.knowledge_base import index_folder

DEFAULT_KB = "default"
MAX_NAME = 40


@dataclass(frozen=True)
class KBInfo:
    name: str
    collection: str
    created: str = ""


def check_kb_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name).strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise ConfigError(f"knowledge-base name must have 1 to {MAX_NAME} characters")
    if name.startswith("-") or any(c in name for c in "/\\:") or any(
            unicodedata.category(c).startswith("C") for c in name):
        raise ConfigError(f"knowledge-base name {name!r} may not start with '-' or contain "
                          f"/, \\, : or control characters")
    return name


def collection_id(name: str) -> str:
    """The ASCII collection id of a knowledge base (the same on every node)."""
    return "kb-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


class KBRegistry:
    def __init__(self, store: StoreSettings) -> None:
        self.store = store
        self._client: Any = None

    @property
    def default(self) -> KBInfo:
        return KBInfo(DEFAULT_KB, self.store.collection)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _make_client(self.store)
        return self._client

    def _listing(self, create: bool = False) -> Any:
        name = f"{self.store.collection}-kbs"
        if create:
            return self.client.get_or_create_collection(name, embedding_function=None)
        try:
            return self.client.get_collection(name, embedding_function=None)
        except Exception:  # noqa: BLE001 - chromadb raises NotFoundError/ValueError by version
            return None

    # --- reading ------------------------------------------------------------------------------
    def kbs(self) -> list[KBInfo]:
        """`default` first, then the others by name."""
        listing = self._listing()
        got = listing.get(include=["metadatas"]) if listing is not None else {"ids": []}
        others = [KBInfo(str(m["name"]), i, str(m.get("created", "")))
                  for i, m in zip(got["ids"], got.get("metadatas") or [], strict=True)]
        return [self.default] + sorted(others, key=lambda kb: kb.name)

    def names(self) -> list[str]:
        return [kb.name for kb in self.kbs()]

    def find(self, name: str) -> KBInfo | None:
        name = unicodedata.normalize("NFC", name).strip()
        if name == DEFAULT_KB:
            return self.default
        return next((kb for kb in self.kbs() if kb.name == name), None)

    def require(self, name: str) -> KBInfo:
        found = self.find(name)
        if found is None:
            raise ConfigError(f"no knowledge base {name!r} (there are: "
                              f"{', '.join(self.names())}); create it with "
                              f"`policyqa kb create {name}`")
        return found

    def store_for(self, name: str) -> StoreSettings:
        """Store settings that open knowledge base `name`."""
        info = self.require(name)
        return self.store.model_copy(update={"kb": info.name, "collection": info.collection})

    # --- writing ------------------------------------------------------------------------------
    def create(self, name: str) -> KBInfo:
        name = check_kb_name(name)
        if self.find(name) is not None:
            raise ConfigError(f"knowledge base {name!r} exists")
        info = KBInfo(name, collection_id(name), time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        with self._write_lock():
            self._drop(info)  # leftovers of a deletion that did not finish
            self._listing(create=True).upsert(
                ids=[info.collection], embeddings=[[1.0]], documents=[name],
                metadatas=[{"name": name, "created": info.created}])
        return info

    def delete(self, name: str) -> KBInfo:
        """Remove a knowledge base: its listing first, then its collections and side indexes."""
        info = self.require(name)
        if info.name == DEFAULT_KB:
            raise ConfigError("the default knowledge base cannot be deleted: delete its "
                              "documents with `policyqa delete`")
        with self._write_lock():
            self._listing(create=True).delete(ids=[info.collection])
            self._drop(info)
        return info

    def _drop(self, info: KBInfo) -> None:
        for collection in self.client.list_collections():
            if collection.name == info.collection or collection.name.startswith(
                    info.collection + "-"):
                self.client.delete_collection(collection.name)
        folder = index_folder(self.store.model_copy(update={"collection": info.collection}))
        if folder != Path(self.store.path):
            shutil.rmtree(folder, ignore_errors=True)

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        """The store folder's write lock (the one KnowledgeBase.write_lock takes), not waiting."""
        folder = Path(self.store.path)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / ".write.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(f"another write is in progress in {folder}; try again when it "
                                 f"has finished") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
