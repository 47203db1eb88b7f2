"""Shared value types passed between ingest, the store and the answering chain."""

from __future__ import annotations

from dataclasses import dataclass, field

HEADING_SEP = " > "


@dataclass(frozen=True)
class Chunk:
    """A piece of one document, ready to embed: body text plus where it sits."""

    text: str
    heading_path: tuple[str, ...]
    start: int
    end: int
    page: int | None = None

    def indexed_text(self) -> str:
        """The text that is embedded and BM25-indexed: heading path, then body."""
        if not self.heading_path:
            return self.text
        return HEADING_SEP.join(self.heading_path) + "\n" + self.text


@dataclass(frozen=True)
class DocMeta:
    """What ingest learned about a document as a whole."""

    title: str
    doc_type: str = "其他"
    doc_no: str = ""
    issuer: str = ""
    date: str = ""  # YYYY-MM-DD, YYYY-MM or YYYY; "" when the text does not state it


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its scores and provenance."""

    chunk_id: str
    text: str
    source: str
    title: str
    heading_path: tuple[str, ...]
    page: int | None
    score: float
    doc_type: str = "其他"
    doc_no: str = ""
    date: str = ""
    start: int = 0
    end: int = 0
    bm25_rank: int | None = None
    dense_rank: int | None = None
    bm25_score: float | None = None
    dense_score: float | None = None
    status: str = ""  # 现行 / 已修订 / 已废止 / "" unknown
    versions: tuple[str, ...] = ()  # version labels, its own first; () when only one is stored

    @property
    def heading(self) -> str:
        return HEADING_SEP.join(self.heading_path)


@dataclass(frozen=True)
class Citation:
    """One numbered source shown under an answer."""

    n: int
    passage: Passage
    rank: int  # 1-based rank of the passage among those retrieved


@dataclass(frozen=True)
class Answer:
    """What the chain returns: text with [n] markers and the sources they point to."""

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = ()
    refused: bool = False
    backend: str = "extractive"
    notes: tuple[str, ...] = field(default_factory=tuple)


DOC_TYPES = ("讲话", "意见", "通知", "方案", "法规", "其他")


@dataclass(frozen=True)
class SearchFilter:
    """Metadata restrictions on a search; empty fields restrict nothing."""

    sources: tuple[str, ...] = ()
    doc_type: str = ""
    since: str = ""  # YYYY[-MM[-DD]]
    until: str = ""

    def is_empty(self) -> bool:
        return not (self.sources or self.doc_type or self.since or self.until)
