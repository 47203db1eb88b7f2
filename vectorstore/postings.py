"""How the BM25 index keeps a term's postings: blocks of up to BLOCK entries in row-id order,
each three packed arrays (row ids, term frequencies, chunk lengths) in one `postings` row keyed
(term, first row id). Appending rewrites only a term's last block; cutting a document's row-id
range rewrites only the blocks that hold it. Both return the rows they touched."""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

BLOCK = 1024  # postings per block: a write rewrites at most this many entries of a term
# Packed with array("I"/"H") in the machine's byte order, read back as these numpy types.
ID, TF, LEN = np.dtype("=u4"), np.dtype("=u2"), np.dtype("=u2")  # 8 bytes a posting
U16 = 65535  # term frequencies and chunk lengths are clipped here (a chunk is ~250 tokens)
Part = tuple[np.ndarray, np.ndarray]  # a term's row ids and tf parts
Columns = tuple[list[int], list[int], list[int]]  # row ids, tfs, lengths of new postings
_LAST_BLOCKS = ("SELECT p.term, p.first, p.ids, p.tfs, p.lens FROM json_each(?) AS t "
                "JOIN postings AS p ON p.term = t.value "
                "AND p.first = (SELECT max(first) FROM postings WHERE term = t.value)")
_RANGE_BLOCKS = ("SELECT p.term, p.first, p.ids, p.tfs, p.lens FROM json_each(?) AS t "
                 "JOIN postings AS p ON p.term = t.value AND p.first BETWEEN coalesce("
                 "(SELECT max(first) FROM postings WHERE term = t.value AND first <= ?), ?) "
                 "AND ?")  # the block that may hold the range's first row id, and those after
_UPDATE = "UPDATE postings SET ids = ?, tfs = ?, lens = ? WHERE term = ? AND first = ?"


def append(db: sqlite3.Connection, postings: dict[str, Columns]) -> int:
    """Add each term's new postings, all above its last row id, to its last block while that
    has room, then to new blocks; count them in the terms' df."""
    if not postings:
        return 0
    db.executemany("INSERT INTO terms VALUES (?, ?) ON CONFLICT(term) DO UPDATE "
                   "SET df = df + excluded.df", ((t, len(p[0])) for t, p in postings.items()))
    last = {row[0]: row[1:] for row in db.execute(_LAST_BLOCKS, (as_json(postings),))}
    updates, inserts = [], []
    for term, (ids, tfs, lens) in postings.items():
        start = 0
        if term in last:
            first, old_ids, old_tfs, old_lens = last[term]
            start = min(max(0, BLOCK - len(old_ids) // ID.itemsize), len(ids))
            if start:
                updates.append((old_ids + packed("I", ids[:start]),
                                old_tfs + packed("H", tfs[:start]),
                                old_lens + packed("H", lens[:start]), term, first))
        for s in range(start, len(ids), BLOCK):
            inserts.append((term, ids[s], packed("I", ids[s:s + BLOCK]),
                            packed("H", tfs[s:s + BLOCK]), packed("H", lens[s:s + BLOCK])))
    db.executemany(_UPDATE, updates)
    db.executemany("INSERT INTO postings VALUES (?, ?, ?, ?, ?)", inserts)
    return len(postings) + len(last) + len(updates) + len(inserts)


def cut(db: sqlite3.Connection, terms: list[str], lo: int, hi: int) -> int:
    """Remove row ids lo..hi from these terms' blocks and df. A term left with no chunk keeps
    its row (df 0 scores as an unknown term does)."""
    blocks = db.execute(_RANGE_BLOCKS, (as_json(terms), lo, lo, hi)).fetchall()
    updates, deletes, dropped = [], [], Counter[str]()
    for term, first, *data in blocks:
        ids, tfs, lens = unpack(data)
        keep = (ids < lo) | (ids > hi)
        gone = len(ids) - int(keep.sum())
        if not gone:
            continue
        dropped[term] += gone
        if gone == len(ids):
            deletes.append((term, first))
        else:
            updates.append((ids[keep].tobytes(), tfs[keep].tobytes(), lens[keep].tobytes(),
                            term, first))
    db.executemany(_UPDATE, updates)
    db.executemany("DELETE FROM postings WHERE term = ? AND first = ?", deletes)
    db.executemany("UPDATE terms SET df = df - ? WHERE term = ?",
                   ((n, t) for t, n in dropped.items()))
    return len(blocks) + len(updates) + len(deletes) + len(dropped)


def tf_part(blocks: list[Sequence[bytes]], mean_length: float, k1: float, b: float) -> Part:
    """A term's row ids and BM25 term parts tf / (tf + k1 (1 - b + b len / mean len))."""
    if not blocks:
        return np.empty(0, np.intp), np.empty(0, np.float32)
    ids, tfs, lens = (np.concatenate(c) for c in zip(*(unpack(x) for x in blocks), strict=True))
    tf = tfs.astype(np.float32)
    part = tf / (tf + np.float32(k1) * (np.float32(1 - b) + np.float32(b / mean_length)
                                         * lens.astype(np.float32)))
    return ids.astype(np.intp), part  # intp: what fancy indexing wants, not converted per query


def as_json(terms: Iterable[str]) -> str:
    return json.dumps(list(terms), ensure_ascii=False)


def packed(code: str, values: list[int]) -> bytes:
    return array(code, values).tobytes()


def unpack(data: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids, tfs, lens = data
    return np.frombuffer(ids, ID), np.frombuffer(tfs, TF), np.frombuffer(lens, LEN)
