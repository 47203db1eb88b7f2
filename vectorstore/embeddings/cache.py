"""Embeddings cached by (model identity, text) hash, so re-ingests never embed a text twice."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings


class CachedEmbeddings(Embeddings):
    """Wraps a PolicyEmbeddings; `embed_documents` looks texts up before computing them."""

    def __init__(self, inner: Embeddings, identity: str, path: Path) -> None:
        self.inner = inner
        self.identity = identity
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB)")
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.identity}\n{text}".encode()).hexdigest()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents_stepwise(texts, lambda n: None)

    def embed_documents_stepwise(self, texts: list[str],
                                 done: Callable[[int], None]) -> list[list[float]]:
        """`embed_documents`, with `done(n)` as texts are found or computed (for progress)."""
        keys = [self._key(t) for t in texts]
        found = self._lookup(keys)
        todo = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        if len(texts) > len(todo):
            done(len(texts) - len(todo))
        if todo:
            missing = [texts[i] for i in todo]
            stepwise = getattr(self.inner, "embed_documents_stepwise", None)
            if stepwise is not None:
                fresh = stepwise(missing, done)
            else:
                fresh = self.inner.embed_documents(missing)
                done(len(missing))
            rows = [(keys[i], np.asarray(v, dtype=np.float32).tobytes())
                    for i, v in zip(todo, fresh, strict=True)]
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)
            found.update({keys[i]: list(map(float, v)) for i, v in zip(todo, fresh, strict=True)})
        return [found[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def _lookup(self, keys: list[str]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i:i + 500]
                marks = ",".join("?" * len(part))
                for key, blob in self._db.execute(
                        f"SELECT key, v FROM vec WHERE key IN ({marks})", part):
                    out[key] = np.frombuffer(blob, dtype=np.float32).tolist()
        return out
