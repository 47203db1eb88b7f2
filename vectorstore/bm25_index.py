"""The BM25 side index: bm25s over jieba tokens, persisted beside the Chroma data.

It is a derived cache of the committed chunks in Chroma. It records the store generation it was
built from; a reader whose generation differs rebuilds it (tokens come from a per-chunk cache, so
only new chunks are tokenised). Chunk ids are content-addressed, so cached tokens never go stale.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


def _bm25s():  # noqa: ANN202
    """Import bm25s, which sets its own logger to DEBUG on import; quiet it."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s

TokenizeFn = Callable[[str], list[str]]
TOKENIZER_VERSION = 2  # bump when tokenisation changes, so cached tokens are recomputed


class BM25Index:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ids: list[str] = []
        self.generation = -1
        self._model = None
        self._tokens: dict[str, list[str]] | None = None
        self.df: dict[str, int] = {}

    # --- loading and saving -------------------------------------------------------------
    def load(self) -> bool:
        """Read the saved index; False when there is none or it is unreadable."""
        meta_path = self.folder / "index" / "meta.json"
        if not meta_path.is_file():
            return False
        try:
            bm25s = _bm25s()
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("tokenizer") != TOKENIZER_VERSION:
                return False
            self.ids, self.generation = meta["ids"], meta["generation"]
            self.df = meta.get("df", {})
            self._model = bm25s.BM25.load(str(self.folder / "index"), show_progress=False) \
                if self.ids else None
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("bm25 index unreadable, will rebuild folder=%s reason=%s",
                           self.folder, exc)
            self.ids, self.generation, self._model = [], -1, None
            return False
        return True

    def rebuild(self, generation: int, chunks: Iterable[tuple[str, str]],
                tokenize: TokenizeFn) -> None:
        """Index (chunk id, indexed text) pairs and save atomically."""
        bm25s = _bm25s()

        cache = self._token_cache()
        ids: list[str] = []
        corpus: list[list[str]] = []
        for chunk_id, text in chunks:
            tokens = cache.get(chunk_id)
            if tokens is None:
                tokens = cache[chunk_id] = tokenize(text)
            ids.append(chunk_id)
            corpus.append(tokens or [""])
        model = None
        if ids:
            model = bm25s.BM25()
            model.index(corpus, show_progress=False)
        df: dict[str, int] = {}
        for tokens in corpus:
            for term in set(tokens):
                df[term] = df.get(term, 0) + 1
        self.df = df
        self._save(model, ids, generation, {i: cache[i] for i in ids})
        self._model, self.ids, self.generation = model, ids, generation

    def _token_cache(self) -> dict[str, list[str]]:
        if self._tokens is None:
            path = self.folder / "index" / "tokens.json"
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
                fresh = saved.get("version") == TOKENIZER_VERSION
                self._tokens = saved.get("tokens", {}) if fresh else {}
            except (OSError, ValueError, AttributeError):
                self._tokens = {}
        return self._tokens

    def _save(self, model, ids: list[str], generation: int,  # noqa: ANN001
              tokens: dict[str, list[str]]) -> None:
        new, final, old = (self.folder / n for n in ("index.new", "index", "index.old"))
        shutil.rmtree(new, ignore_errors=True)
        new.mkdir(parents=True)
        if model is not None:
            model.save(str(new), show_progress=False)
        saved = {"version": TOKENIZER_VERSION, "tokens": tokens}
        (new / "tokens.json").write_text(json.dumps(saved, ensure_ascii=False), "utf-8")
        meta = json.dumps({"generation": generation, "ids": ids, "df": self.df,
                           "tokenizer": TOKENIZER_VERSION},
                          ensure_ascii=False)
        (new / "meta.json").write_text(meta, encoding="utf-8")
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.replace(final, old)
        os.replace(new, final)
        shutil.rmtree(old, ignore_errors=True)
        self._tokens = tokens

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term over the indexed chunks (BM25's smoothed form)."""
        n, df = len(self.ids), self.df.get(term, 0)
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))

    # --- searching ----------------------------------------------------------------------
    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every indexed chunk (aligned with `self.ids`)."""
        if self._model is None or not query_tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._model.get_scores(query_tokens), dtype=np.float32)

    def top(self, query_tokens: list[str], n: int,
            allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The n best (chunk id, score) with a positive score, optionally masked."""
        scores = self.scores(query_tokens)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        if not len(scores):
            return []
        n = min(n, len(scores))
        best = np.argpartition(-scores, n - 1)[:n]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in best if scores[i] > 0]
