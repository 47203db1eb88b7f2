"""Any local sentence-transformers model folder (e.g. bge-small-zh-v1.5); extra `st`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.core.errors import ConfigError
from vectorstore.embeddings.base import PolicyEmbeddings


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
