"""Character unigram + bigram feature hashing: the deterministic, model-free embedder of the
tests and of scale runs."""

from __future__ import annotations

import re
import unicodedata
import zlib

import numpy as np

from vectorstore.embeddings.base import PolicyEmbeddings

_WORD_RUNS = re.compile(r"[^\W_]+")  # letters, digits and CJK; punctuation/space split runs


class HashEmbeddings(PolicyEmbeddings):
    """Character unigram + bigram feature hashing: deterministic, numpy only, no model.

    Shared bigrams (复工, 补贴 …) dominate the similarity, so Chinese text ranks sensibly; used
    as the test fake and as a fast stand-in for scale runs. Signed hashing with crc32 keeps
    unrelated texts near 0 and gives the same vector in every process (unlike ``hash()``).
    """

    UNIGRAM_WEIGHT = 0.5

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim

    @property
    def identity(self) -> str:
        return f"hash:bigram:{self.dim}"

    @property
    def dimension(self) -> int:
        return self.dim

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return np.vstack([self._vector(t) for t in texts]).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text).tolist()

    def _vector(self, text: str) -> np.ndarray:
        grams, weights = _char_grams(text, self.UNIGRAM_WEIGHT)
        codes = np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams),
                            dtype=np.uint32, count=len(grams))
        signs = np.where(codes & 0x80000000, -1.0, 1.0)
        vec = np.bincount(codes % self.dim, weights=signs * weights, minlength=self.dim)
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:  # no characters (or a perfect cancellation): a fixed unit vector
            vec = np.zeros(self.dim, dtype=np.float64)
            vec[0], norm = 1.0, 1.0
        return vec / norm


def _char_grams(text: str, unigram_weight: float) -> tuple[list[str], np.ndarray]:
    """Unigrams and within-run bigrams of the NFKC-lowercased text, with their weights."""
    unigrams: list[str] = []
    bigrams: list[str] = []
    for run in _WORD_RUNS.findall(unicodedata.normalize("NFKC", text).lower()):
        unigrams.extend(run)
        bigrams.extend(run[i:i + 2] for i in range(len(run) - 1))
    weights = np.empty(len(unigrams) + len(bigrams))
    weights[:len(unigrams)] = unigram_weight
    weights[len(unigrams):] = 1.0
    return unigrams + bigrams, weights
