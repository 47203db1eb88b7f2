"""Text measures shared by ingest, search, answering and the staff tools: sentences, whitespace
squashing, character bigrams (support, overlap, Jaccard), term coverage, and fitting passages into
a character budget."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

SENTENCE_END = re.compile(r"[。！？!?；;…]+[”’」』）)]*|\n")
_CLAUSE_END = re.compile(r"[，,、：:]")
_WS = re.compile(r"\s+")

IdfFn = Callable[[str], float]


# --- sentences --------------------------------------------------------------------------------
def sentence_spans(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """Sentence spans in text[start:end]; a sentence longer than max_chars is cut at clauses."""
    pos = start
    for match in SENTENCE_END.finditer(text, start, end):
        if match.end() > pos and text[pos:match.end()].strip():
            yield from _cap(text, pos, match.end(), max_chars)
        pos = match.end()
    if pos < end and text[pos:end].strip():
        yield from _cap(text, pos, end, max_chars)


def _cap(text: str, start: int, end: int, max_chars: int) -> Iterator[tuple[int, int]]:
    while end - start > max_chars:
        window = text[start:start + max_chars]
        clause = max((m.end() for m in _CLAUSE_END.finditer(window)), default=0)
        cut = start + (clause if clause > max_chars // 2 else max_chars)
        yield start, cut
        start = cut
    yield start, end


def split_sentences(text: str) -> list[str]:
    """Sentences of a text (ending at 。！？； or a line end), whitespace-trimmed, none empty."""
    spans = sentence_spans(text, 0, len(text), max(len(text), 1))
    return [s for s in (text[a:b].strip() for a, b in spans) if s]


# --- whitespace -------------------------------------------------------------------------------
def squash(text: str) -> str:
    """The text without any whitespace (quotes are compared this way: line breaks in a PDF or a
    copied span do not matter)."""
    return _WS.sub("", text)


def one_line(text: str) -> str:
    """The text on one line, runs of whitespace as one space."""
    return " ".join(text.split())


# --- character bigrams ------------------------------------------------------------------------
def alnum(text: str) -> str:
    """Letters, digits and CJK characters only."""
    return "".join(c for c in text if c.isalnum())


def bigrams(text: str) -> list[str]:
    """Character bigrams of the text's letters, digits and CJK characters, in order."""
    chars = alnum(text)
    return [chars[i:i + 2] for i in range(len(chars) - 1)]


def bigram_set(text: str) -> set[str]:
    """Distinct bigrams; a one-character text is its own gram (so it is not empty)."""
    grams = set(bigrams(text))
    if grams:
        return grams
    chars = alnum(text)
    return {chars} if chars else set()


def support(sentence: str, passage: str) -> float:
    """Share of the sentence's bigrams (repeats counted) found in the passage; 1.0 when the
    sentence has none."""
    grams = bigrams(sentence)
    if not grams:
        return 1.0
    squashed = alnum(passage)
    return sum(1 for g in grams if g in squashed) / len(grams)


def overlap(grams: set[str], others: set[str]) -> float:
    """Share of `grams` also in `others` (0.0 when `grams` is empty)."""
    return len(grams & others) / len(grams) if grams else 0.0


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


# --- term coverage ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Coverage:
    score: float  # 0..1, IDF-weighted share of question terms found
    missing: tuple[str, ...]


def coverage(terms: Iterable[str], text: str, idf: IdfFn) -> Coverage:
    """IDF-weighted share of the question's terms that occur in `text` (substring match)."""
    terms = list(terms)
    if not terms:
        return Coverage(0.0, ())
    weights = {t: max(idf(t), 0.05) for t in terms}
    found = sum(w for t, w in weights.items() if t in text)
    missing = tuple(t for t in terms if t not in text)
    return Coverage(found / sum(weights.values()), missing)


# --- budgets ----------------------------------------------------------------------------------
class HasText(Protocol):
    @property
    def text(self) -> str: ...


T = TypeVar("T", bound=HasText)


def batches(items: Sequence[T], budget: int) -> Iterator[list[T]]:
    """Consecutive items whose texts fit the character budget; an item longer than the budget
    goes alone (a batch is never empty)."""
    batch: list[T] = []
    size = 0
    for item in items:
        if batch and size + len(item.text) > budget:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += len(item.text)
    if batch:
        yield batch


def fit(items: Sequence[T], budget: int) -> list[T]:
    """The leading items, in order, whose texts fit the budget (always at least one)."""
    return next(batches(items, budget), [])


# --- embedding in batches of similar length ---------------------------------------------------
def embed_by_length(embed: Callable[[list[str]], list[list[float]]], texts: Sequence[str],
                    size: int) -> list[list[float]]:
    """`embed` called on `texts` shortest first, `size` at a time (a padded batch of similar
    lengths wastes little), the vectors returned in the texts' own order."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors: list[list[float]] = [[] for _ in texts]
    for start in range(0, len(order), max(1, size)):
        batch = order[start:start + max(1, size)]
        for i, vector in zip(batch, embed([texts[i] for i in batch]), strict=True):
            vectors[i] = vector
    return vectors
