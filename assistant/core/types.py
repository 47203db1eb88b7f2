"""Shared value types passed between ingest, the store and the answering chain, and the two
formats they share: heading paths joined by HEADING_SEP, and chunk ids "<doc hash>-<seq>"."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

HEADING_SEP = " > "


def chunk_id(doc_hash: str, seq: int) -> str:
    """The id of a document's `seq`-th chunk (0-based), e.g. "3fa9…-00012"."""
    return f"{doc_hash}-{seq:05d}"


def doc_hash_of(chunk_id: str) -> str:
    """The document hash a chunk id starts with."""
    return chunk_id.rsplit("-", 1)[0]


def seq_of(chunk_id: str) -> int:
    return int(chunk_id.rsplit("-", 1)[1])


def indexed_text(title: str, heading: str, body: str) -> str:
    """What is embedded and lexically indexed: document title and heading path, then the body."""
    head = HEADING_SEP.join(p for p in (title, heading) if p)
    return f"{head}\n{body}" if head else body


@dataclass(frozen=True)
class Chunk:
    """A piece of one document, ready to embed: body text plus where it sits."""

    text: str
    heading_path: tuple[str, ...]
    start: int
    end: int
    page: int | None = None

    @property
    def heading(self) -> str:
        return HEADING_SEP.join(self.heading_path)


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

    @property
    def doc_hash(self) -> str:
        return doc_hash_of(self.chunk_id)


@dataclass(frozen=True)
class Citation:
    """One numbered source shown under an answer."""

    n: int
    passage: Passage
    rank: int  # 1-based rank of the passage among those retrieved


class RefusalKind(StrEnum):
    """Why the assistant did not answer."""

    RELEVANCE = "relevance"  # the best passages do not cover the question
    NOT_STORED = "not_stored"  # a named year, 文号 or document is not in the knowledge base
    UNKNOWN_TITLE = "unknown_title"  # a 《title》 no stored document has or quotes
    ABSENT_NAME = "absent_name"  # a year or place the question names is in no passage
    MISSING_FACT = "missing_fact"  # the asked-for kind of fact is stated by no on-topic sentence
    UNCITED = "uncited"  # the backend's answer cited none of the passages


@dataclass(frozen=True)
class Refusal:
    """A typed refusal: its kind, the searched terms it is about (names, titles, the fact kind),
    and for NOT_STORED the sentence saying what is missing ("知识库中没有2026年的…")."""

    kind: RefusalKind
    terms: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class Answer:
    """What the chain returns: text with [n] markers and the sources they point to."""

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = ()
    refusal: Refusal | None = None
    backend: str = "extractive"
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def refused(self) -> bool:
        return self.refusal is not None


DOC_TYPES = ("讲话", "意见", "通知", "方案", "法规", "其他")
STATUSES = ("现行", "已修订", "已废止")  # a policy's status; "" when unknown


@dataclass(frozen=True)
class SearchFilter:
    """Metadata restrictions on a search; empty fields restrict nothing."""

    sources: tuple[str, ...] = ()
    doc_type: str = ""
    since: str = ""  # YYYY[-MM[-DD]]
    until: str = ""

    def is_empty(self) -> bool:
        return not (self.sources or self.doc_type or self.since or self.until)


@dataclass(frozen=True)
class DocRecord:
    """One stored document (one content hash), listed under every path it was ingested from."""

    doc_hash: str
    sources: tuple[str, ...]
    title: str
    doc_type: str = "其他"
    doc_no: str = ""
    issuer: str = ""
    date: str = ""
    chunks: int = 0
    chars: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    status: str = ""  # 现行 / 已修订 / 已废止 / "" unknown (stores written before it read "")
    effective: str = ""  # YYYY[-MM[-DD]] the document takes effect, "" when unknown

    def to_metadata(self) -> dict[str, Any]:
        data = asdict(self)
        data["sources"] = json.dumps(list(self.sources), ensure_ascii=False)
        data["extra"] = json.dumps(self.extra, ensure_ascii=False)
        return data

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> DocRecord:
        data = dict(meta)
        data["sources"] = tuple(json.loads(data.get("sources") or "[]"))
        data["extra"] = json.loads(data.get("extra") or "{}")
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})
