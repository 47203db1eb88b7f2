"""The BM25 side index: an inverted index of jieba tokens in SQLite, changed a document at a time.

Every chunk gets a row id (increasing, never reused); a document's chunks get consecutive ones.
A term's postings are blocks in row-id order (vectorstore/postings.py). Adding a document
appends to the last block of each of its terms; removing one rewrites only the blocks that hold
its row-id range. Either way the rows touched grow with the document, not with the store, and
no per-store cache is rewritten.

A search reads the blocks of the query's terms and scores them in numpy with the BM25 of the
bm25s index this replaces (its "lucene" variant, k1 1.5, b 0.75): idf = ln(1 + (N - df + 0.5) /
(df + 0.5)), term part tf / (tf + k1 (1 - b + b len / mean len)), a query term counted as often
as it occurs in the query.

One SQLite file in WAL mode: readers (other processes too) never wait for the writer, and a
write is one transaction the caller may keep open until its own commit point has passed.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vectorstore import postings as postings_format
from vectorstore.postings import U16, Columns, Part, as_json, tf_part

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
K1, B = 1.5, 0.75
CACHE_KB = 32_768  # SQLite's page cache, filled as blocks are read (a write reads last blocks)
KEPT_POSTINGS = 2_000_000  # decoded postings of recent query terms kept in memory (12 B each)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docs(doc_hash TEXT PRIMARY KEY, first INTEGER NOT NULL,
    last INTEGER NOT NULL, length INTEGER NOT NULL, terms TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chunks(id INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS terms(term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS postings(term TEXT NOT NULL, first INTEGER NOT NULL,
    ids BLOB NOT NULL, tfs BLOB NOT NULL, lens BLOB NOT NULL,
    PRIMARY KEY (term, first)) WITHOUT ROWID;
"""
_TABLES = ("meta", "docs", "chunks", "terms", "postings")


@dataclass(frozen=True)
class IndexedDoc:
    """A document as the index takes it: its hash, and each chunk's id and tokens."""

    doc_hash: str
    chunks: Sequence[tuple[str, list[str]]]


class BM25Index:
    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path = path
        self.fingerprint = fingerprint  # the tokenizer's: an index of other tokens is reset
        self.touched = 0  # term and posting rows read or written by writes (tests count them)
        self._lock = threading.RLock()
        self._idfs: dict[str, float] = {}  # cleared on every write, ours or another process's
        self._counts: tuple[int, float, int] | None = None  # see _stats; likewise
        self._parts: OrderedDict[str, Part] = OrderedDict()  # see _parts_of; likewise
        self._kept = 0  # postings in self._parts (an unknown term counts 1)
        self._version = -1
        self._db = self._open()

    # --- opening ------------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = _connect(self.path)
            found = dict(db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            logger.warning("bm25 index unreadable, starting a new one file=%s reason=%s",
                           self.path, exc)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            db, found = _connect(self.path), {}
        wanted = {"schema": SCHEMA_VERSION, "tokenizer": self.fingerprint}
        if any(found.get(k) != v for k, v in wanted.items()):
            if found:
                logger.warning("bm25 index was built with other tokens or schema, starting a "
                               "new one file=%s", self.path)
            self._reset(db)
        return db

    def _reset(self, db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")
        for table in _TABLES:
            db.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names
        db.execute("DELETE FROM sqlite_sequence")
        meta = {"schema": SCHEMA_VERSION, "tokenizer": self.fingerprint, "generation": -1,
                "chunks": 0, "length": 0}
        db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- state --------------------------------------------------------------------------------
    @property
    def generation(self) -> int:
        """The store generation the index was last brought to (-1: never)."""
        return int(self._meta("generation"))

    def set_generation(self, generation: int) -> None:
        with self._write() as db:
            db.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (generation,))

    def has(self, doc_hash: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM docs WHERE doc_hash = ?",
                                    (doc_hash,)).fetchone() is not None

    def doc_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM docs").fetchone()[0])

    def doc_hashes(self) -> set[str]:
        with self._lock:
            return {h for (h,) in self._db.execute("SELECT doc_hash FROM docs")}

    def chunk_ids(self) -> list[str]:
        """Every indexed chunk id, in the order the chunks were added."""
        with self._lock:
            return [c for (c,) in self._db.execute("SELECT chunk_id FROM chunks ORDER BY id")]

    def _meta(self, key: str) -> int:
        with self._lock:
            return int(self._db.execute("SELECT value FROM meta WHERE key = ?",
                                        (key,)).fetchone()[0])

    # --- writing ------------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._forget()

    @contextmanager
    def adding(self, docs: Sequence[IndexedDoc]) -> Iterator[int]:
        """Index documents in one transaction that commits when the with-block ends without an
        error (so a caller can write its own commit point inside the block), and rolls back
        when it raises. Documents already indexed are skipped. Yields the chunks added."""
        with self._write() as db:
            yield self._insert(db, docs)

    def add(self, docs: Sequence[IndexedDoc]) -> int:
        with self.adding(docs) as added:
            return added

    def remove(self, doc_hashes: Iterable[str]) -> int:
        """Drop documents (unknown ones are ignored) in one transaction; returns chunks dropped."""
        with self._write() as db:
            return sum(self._drop(db, h) for h in doc_hashes)

    def _insert(self, db: sqlite3.Connection, docs: Sequence[IndexedDoc]) -> int:
        postings: dict[str, Columns] = {}
        chunks = length = 0
        for doc in docs:
            if db.execute("SELECT 1 FROM docs WHERE doc_hash = ?", (doc.doc_hash,)).fetchone():
                continue
            first, last, doc_length, terms = 0, -1, 0, set()
            for cid, tokens in doc.chunks:
                last = int(db.execute("INSERT INTO chunks(chunk_id) VALUES (?)",
                                      (cid,)).lastrowid or 0)
                first = first or last
                doc_length += len(tokens)
                n = min(len(tokens), U16)
                for term, tf in Counter(tokens).items():
                    ids, tfs, lens = postings.get(term) or postings.setdefault(term, ([], [], []))
                    ids.append(last)
                    tfs.append(tf if tf < U16 else U16)
                    lens.append(n)
                    terms.add(term)
            db.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?)",
                       (doc.doc_hash, first, last, doc_length, "\n".join(sorted(terms))))
            chunks, length = chunks + len(doc.chunks), length + doc_length
        self.touched += postings_format.append(db, postings)
        _add_stats(db, chunks, length)
        return chunks

    def _drop(self, db: sqlite3.Connection, doc_hash: str) -> int:
        row = db.execute("SELECT first, last, length, terms FROM docs WHERE doc_hash = ?",
                         (doc_hash,)).fetchone()
        if row is None:
            return 0
        lo, hi, length, terms = row
        self.touched += postings_format.cut(db, terms.split("\n") if terms else [], lo, hi)
        db.execute("DELETE FROM chunks WHERE id BETWEEN ? AND ?", (lo, hi))
        db.execute("DELETE FROM docs WHERE doc_hash = ?", (doc_hash,))
        _add_stats(db, -(hi - lo + 1), -length)
        return hi - lo + 1

    # --- reading ------------------------------------------------------------------------------
    def _forget(self) -> None:
        self._idfs.clear()
        self._counts = None
        self._parts.clear()
        self._kept = 0

    def _stats(self) -> tuple[int, float, int]:
        """(chunks, mean chunk length in tokens, highest row id + 1), read again after any
        write."""
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:  # another connection committed since
            self._version = version
            self._forget()
        if self._counts is None:
            n, length = self._meta("chunks"), self._meta("length")
            top = self._db.execute("SELECT max(id) FROM chunks").fetchone()[0] or 0
            self._counts = n, length / n if n else 0.0, int(top) + 1
        return self._counts

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term over the indexed chunks (BM25's smoothed form)."""
        with self._lock:
            n = self._stats()[0]
            if term not in self._idfs:
                got = self._db.execute("SELECT df FROM terms WHERE term = ?", (term,)).fetchone()
                self._idfs[term] = _idf(n, got[0] if got else 0)
            return self._idfs[term]

    def top(self, query_tokens: Sequence[str], n: int,
            allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """The n best (chunk id, score) with a positive score, best first (ties: older chunk
        first); `allowed` restricts them to those documents."""
        with self._lock:
            chunks, mean_length, size = self._stats()
            if not query_tokens or not chunks or n <= 0:
                return []
            counts = Counter(query_tokens)
            parts = self._parts_of(list(counts), mean_length)
            scores = np.zeros(size, dtype=np.float32)
            for term, times in counts.items():
                ids, part = parts[term]
                if len(ids):
                    scores[ids] += np.float32(times * _idf(chunks, len(ids))) * part
            if allowed is not None:
                scores[~self._mask(allowed, size)] = 0.0
            best = np.flatnonzero(scores > 0)
            if len(best) > n:
                best = best[np.argpartition(-scores[best], n - 1)[:n]]
            best = best[np.lexsort((best, -scores[best]))]
            names = self._chunk_ids(best.tolist())
            return [(names[i], float(scores[i])) for i in best.tolist()]

    def _parts_of(self, terms: list[str], mean_length: float) -> dict[str, Part]:
        """Each term's row ids and tf part tf / (tf + k1 (1 - b + b len / mean len)); those of
        recently asked terms are kept until the next write (which moves the mean length), the
        others read in one query."""
        out = {}
        for term in terms:
            if term in self._parts:
                self._parts.move_to_end(term)
                out[term] = self._parts[term]
        missing = [t for t in terms if t not in out]
        if not missing:
            return out
        blocks: dict[str, list[Sequence[bytes]]] = {t: [] for t in missing}
        for term, *packed in self._db.execute(
                "SELECT term, ids, tfs, lens FROM postings WHERE term IN "
                "(SELECT value FROM json_each(?))", (as_json(missing),)):
            blocks[term].append(packed)
        for term, rows in blocks.items():
            out[term] = self._parts[term] = tf_part(rows, mean_length, K1, B)
            self._kept += max(1, len(out[term][0]))
        while self._kept > KEPT_POSTINGS and len(self._parts) > len(terms):
            _, (old, _) = self._parts.popitem(last=False)
            self._kept -= max(1, len(old))
        return out

    def _mask(self, allowed: set[str], size: int) -> np.ndarray:
        mask = np.zeros(size, dtype=bool)
        hashes = list(allowed)
        for i in range(0, len(hashes), 500):
            part = hashes[i:i + 500]
            rows = self._db.execute("SELECT first, last FROM docs WHERE doc_hash IN "
                                    f"({','.join('?' * len(part))})", part)  # noqa: S608
            for first, last in rows:
                mask[first:last + 1] = True
        return mask

    def _chunk_ids(self, rows: list[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for i in range(0, len(rows), 500):
            part = rows[i:i + 500]
            out.update(self._db.execute("SELECT id, chunk_id FROM chunks WHERE id IN "
                                        f"({','.join('?' * len(part))})", part))  # noqa: S608
        return out


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(f"PRAGMA cache_size = -{CACHE_KB}")
    db.executescript(_SCHEMA)
    return db


def _add_stats(db: sqlite3.Connection, chunks: int, length: int) -> None:
    db.execute("UPDATE meta SET value = value + ? WHERE key = 'chunks'", (chunks,))
    db.execute("UPDATE meta SET value = value + ? WHERE key = 'length'", (length,))


def _idf(n: int, df: int) -> float:
    return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))
