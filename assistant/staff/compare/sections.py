"""A document's sections and sentences, rebuilt from its stored chunks: the chunks' offsets
give back the cleaned text (overlaps merged), the heading ladder gives each line its path, and
every sentence keeps the chunk it begins in, to be cited."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.core.text import split_sentences
from assistant.core.types import HEADING_SEP, Passage, chunk_id
from assistant.staff.compare.fields import heading_key
from ingest.headings import HeadingStack, detect_heading


@dataclass(frozen=True)
class Sentence:
    text: str
    passage: Passage


@dataclass
class Section:
    """The sentences under one heading path (the heading line itself excluded)."""

    path: tuple[str, ...]
    passage: Passage
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def key(self) -> str:
        return HEADING_SEP.join(heading_key(h) for h in self.path)

    @property
    def where(self) -> str:
        return HEADING_SEP.join(self.path) or "开篇"


def sections_of(passages: Sequence[Passage]) -> list[Section]:
    """A document's sections in order, every sentence tied to the chunk it begins in."""
    ordered = sorted(passages, key=lambda p: (p.start, p.end))
    if not ordered:
        return []
    text = _rebuild(ordered)
    starts = [p.start for p in ordered]
    stack, sections = HeadingStack(), [Section((), ordered[0])]
    offset = 0
    for line in text.splitlines(keepends=True):
        owner = ordered[max(bisect.bisect_right(starts, offset) - 1, 0)]
        heading = detect_heading(line)
        if heading is not None:
            sections.append(Section(stack.push(heading), owner))
        if heading is None or heading.inline_body:
            sections[-1].sentences += _sentences(line, offset, ordered, starts)
        offset += len(line)
    return [s for s in sections if s.sentences or s.path]


def _rebuild(ordered: list[Passage]) -> str:
    """The cleaned text the chunks were cut from; gaps (stripped whitespace) become newlines."""
    chars = ["\n"] * max(p.end for p in ordered)
    for p in ordered:
        chars[p.start:p.start + len(p.text)] = p.text
    return "".join(chars)


def _sentences(line: str, offset: int, ordered: list[Passage],
               starts: list[int]) -> list[Sentence]:
    out, pos = [], 0
    for sentence in split_sentences(line):
        pos = line.find(sentence, pos)
        index = max(bisect.bisect_right(starts, offset + pos) - 1, 0)
        out.append(Sentence(sentence, ordered[index]))
        pos += len(sentence)
    return out


def text_passages(text: str, title: str = "", source: str = "") -> list[Passage]:
    """A text cleaned and chunked the way ingest does it, as Passages (for benchmarks and for
    comparing a file that is not in the knowledge base)."""
    from ingest.chunking import chunk_text
    from ingest.clean import clean_text

    chunks = chunk_text(clean_text(text))
    return [Passage(chunk_id(source or title, i), c.text, source, title, c.heading_path, c.page,
                    0.0, start=c.start, end=c.end) for i, c in enumerate(chunks)]
