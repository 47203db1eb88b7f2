"""The three BM25 indexes bench_lexical.py compares, behind one small interface:
build(docs), add(doc) → rows touched (or "—"), remove(doc hash), top(tokens, n), close()."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENGINES = ("bm25s", "fts5", "sqlite-blocks")
FTS5_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* Co M* P* S*'"


@dataclass(frozen=True)
class Doc:
    doc_hash: str
    chunks: list[tuple[str, list[str]]]  # (chunk id, tokens)


def make_engine(name: str, folder: Path, fresh: bool = True):  # noqa: ANN201
    if fresh and folder.exists():
        import shutil

        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if name == "bm25s":
        try:
            import bm25s  # noqa: F401
        except ImportError:
            return None
        return Bm25sEngine(folder, fresh)
    if name == "fts5":
        return Fts5Engine(folder / "fts5.sqlite")
    return BlocksEngine(folder / "bm25.sqlite")


class Bm25sEngine:
    """What the project did before: bm25s over every chunk, rebuilt and saved on each write."""

    def __init__(self, folder: Path, fresh: bool) -> None:
        import logging

        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.folder, self.bm25s = folder, bm25s
        self.docs: dict[str, list[tuple[str, list[str]]]] = {}
        self.ids: list[str] = []
        self.model = None
        if not fresh:
            self.ids = json.loads((folder / "ids.json").read_text("utf-8"))
            self.model = bm25s.BM25.load(str(folder / "model"))

    def build(self, docs: Sequence[Doc]) -> None:
        self.docs = {d.doc_hash: d.chunks for d in docs}
        self._reindex()

    def add(self, doc: Doc) -> str:
        self.docs[doc.doc_hash] = doc.chunks
        self._reindex()
        return "— (all)"

    def remove(self, doc_hash: str) -> None:
        self.docs.pop(doc_hash, None)
        self._reindex()

    def _reindex(self) -> None:
        rows = [row for chunks in self.docs.values() for row in chunks]
        self.ids = [cid for cid, _ in rows]
        self.model = self.bm25s.BM25()
        self.model.index([toks or [""] for _, toks in rows], show_progress=False)
        self.model.save(str(self.folder / "model"), show_progress=False)
        (self.folder / "ids.json").write_text(json.dumps(self.ids), "utf-8")

    def top(self, tokens: list[str], n: int) -> list[tuple[str, float]]:
        known = [t for t in tokens if t in self.model.vocab_dict]
        if not known:
            return []
        scores = np.asarray(self.model.get_scores(known), dtype=np.float32)
        n = min(n, len(scores))
        best = np.argpartition(-scores, n - 1)[:n]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in best if scores[i] > 0]

    def close(self) -> None:
        pass


class Fts5Engine:
    """SQLite FTS5, one row per chunk (tokens joined by spaces), ranked by bm25()."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS lex USING fts5(body, "
                        f"tokenize=\"{FTS5_TOKENIZER}\")")
        self.db.execute("CREATE TABLE IF NOT EXISTS chunks(id INTEGER PRIMARY KEY, "
                        "chunk_id TEXT, doc_hash TEXT)")
        self.db.execute("CREATE INDEX IF NOT EXISTS by_doc ON chunks(doc_hash)")
        self.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS vocab USING fts5vocab(lex, 'row')")

    def build(self, docs: Sequence[Doc]) -> None:
        self.db.execute("BEGIN")
        for doc in docs:
            self._insert(doc)
        self.db.execute("COMMIT")

    def _insert(self, doc: Doc) -> None:
        for cid, toks in doc.chunks:
            rowid = self.db.execute("INSERT INTO chunks(chunk_id, doc_hash) VALUES (?, ?)",
                                    (cid, doc.doc_hash)).lastrowid
            self.db.execute("INSERT INTO lex(rowid, body) VALUES (?, ?)", (rowid, " ".join(toks)))

    def add(self, doc: Doc) -> str:
        self.db.execute("BEGIN")
        self._insert(doc)
        self.db.execute("COMMIT")
        return "—"

    def remove(self, doc_hash: str) -> None:
        self.db.execute("BEGIN")
        rows = [r for (r,) in self.db.execute("SELECT id FROM chunks WHERE doc_hash = ?",
                                              (doc_hash,))]
        self.db.executemany("DELETE FROM lex WHERE rowid = ?", [(r,) for r in rows])
        self.db.execute("DELETE FROM chunks WHERE doc_hash = ?", (doc_hash,))
        self.db.execute("COMMIT")

    def top(self, tokens: list[str], n: int) -> list[tuple[str, float]]:
        if not tokens:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(tokens))
        rows = self.db.execute("SELECT c.chunk_id, -bm25(lex) FROM lex JOIN chunks c ON "
                               "c.id = lex.rowid WHERE lex MATCH ? ORDER BY bm25(lex) LIMIT ?",
                               (match, n)).fetchall()
        return [(cid, float(score)) for cid, score in rows]

    def unmatched(self, docs: Sequence[Doc]) -> int:
        """Distinct jieba tokens that FTS5 did not keep as one token."""
        ours = {t for d in docs for _, toks in d.chunks for t in toks}
        theirs = {t for (t,) in self.db.execute("SELECT term FROM vocab")}
        return len(ours - theirs)

    def close(self) -> None:
        self.db.close()


class BlocksEngine:
    """The project's index (vectorstore/bm25_index.py)."""

    def __init__(self, path: Path) -> None:
        from vectorstore.bm25_index import BM25Index

        self.index = BM25Index(path, "bench")

    def build(self, docs: Sequence[Doc]) -> None:
        from vectorstore.bm25_index import IndexedDoc

        batch: list[IndexedDoc] = []
        for doc in docs:
            batch.append(IndexedDoc(doc.doc_hash, doc.chunks))
            if sum(len(d.chunks) for d in batch) >= 2000:
                self.index.add(batch)
                batch = []
        self.index.add(batch)

    def add(self, doc: Doc) -> int:
        from vectorstore.bm25_index import IndexedDoc

        before = self.index.touched
        self.index.add([IndexedDoc(doc.doc_hash, doc.chunks)])
        return self.index.touched - before

    def remove(self, doc_hash: str) -> None:
        self.index.remove([doc_hash])

    def top(self, tokens: list[str], n: int) -> list[tuple[str, float]]:
        return self.index.top(tokens, n)

    def close(self) -> None:
        self.index.close()
