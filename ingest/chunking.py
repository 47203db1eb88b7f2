"""Structure-aware chunking: heading tree → sections → sentence-packed chunks.

Every chunk is a contiguous span of the cleaned text (so offsets and quotes are exact) and
carries the heading path of the section it sits in. A section's first chunk starts at its
heading line; a heading with no body of its own is folded into what follows, so no chunk is
only a heading. Short sibling sections (law articles, notice items) are packed together.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from assistant.core.text import sentence_spans
from assistant.core.types import Chunk
from ingest.headings import HeadingStack, detect_heading


@dataclass(frozen=True)
class ChunkSizes:
    target: int = 420
    max: int = 600
    min: int = 200
    overlap: int = 80


@dataclass
class _Section:
    path: tuple[str, ...]
    start: int
    end: int
    has_body: bool


def chunk_text(text: str, sizes: ChunkSizes = ChunkSizes()) -> list[Chunk]:
    """Cut a cleaned document into chunks with heading paths."""
    sections = _fold_empty(list(_sections(text)))
    chunks: list[Chunk] = []
    for group in _group_small(sections, text, sizes):
        chunks.extend(_pack(text, group, sizes))
    return chunks


def _sections(text: str) -> Iterator[_Section]:
    """One section per heading line (plus a preamble before the first heading)."""
    stack = HeadingStack()
    current = _Section((), 0, 0, False)
    offset = 0
    for line in text.splitlines(keepends=True):
        heading = detect_heading(line)
        if heading is not None:
            if current.end > current.start:
                yield current
            current = _Section(stack.push(heading), offset, offset, heading.inline_body)
        elif line.strip():
            current.has_body = True
        offset += len(line)
        current.end = offset
    if current.end > current.start:
        yield current


def _fold_empty(sections: list[_Section]) -> list[_Section]:
    """A heading-only section joins the section after it (which is usually its first child)."""
    folded: list[_Section] = []
    pending_start: int | None = None
    for section in sections:
        if not section.has_body:
            pending_start = section.start if pending_start is None else pending_start
            continue
        if pending_start is not None:
            section = _Section(section.path, pending_start, section.end, True)
            pending_start = None
        folded.append(section)
    if pending_start is not None:
        if folded:
            folded[-1].end = sections[-1].end
        else:
            folded.append(_Section(sections[-1].path, pending_start, sections[-1].end, True))
    return folded


def _group_small(sections: list[_Section], text: str,
                 sizes: ChunkSizes) -> Iterator[list[_Section]]:
    """Runs of short sibling sections packed up to the target size; others alone."""
    group: list[_Section] = []
    size = 0
    for section in sections:
        length = len(text[section.start:section.end].strip())
        if group and _joins(group, section, size + length, sizes):
            group.append(section)
            size += length
            continue
        if group:
            yield group
        group, size = [section], length
    if group:
        yield group


def _joins(group: list[_Section], section: _Section, combined: int, sizes: ChunkSizes) -> bool:
    last = group[-1]
    small = len(group) == 1 and last.end - last.start < sizes.min or len(group) > 1
    return (small and combined <= sizes.target and section.path[:-1] == last.path[:-1]
            and len(section.path) == len(last.path))


def _group_path(group: list[_Section]) -> tuple[str, ...]:
    first, last = group[0].path, group[-1].path
    if len(group) == 1 or not first:
        return first
    return first[:-1] + (f"{_label(first[-1])}～{_label(last[-1])}",)


def _label(title: str) -> str:
    return title if len(title) <= 20 else title[:20] + "…"


def _pack(text: str, group: list[_Section], sizes: ChunkSizes) -> Iterator[Chunk]:
    """Pack the group's sentences into chunks of about `target`, never above `max`."""
    path = _group_path(group)
    spans = list(sentence_spans(text, group[0].start, group[-1].end, sizes.max))
    i = 0
    while i < len(spans):
        j = i + 1
        while j < len(spans) and spans[j][1] - spans[i][0] <= sizes.target:
            j += 1
        rest_fits = spans[-1][1] - spans[i][0] <= sizes.max
        if j < len(spans) and rest_fits and _tail(spans, j) < sizes.min:
            j = len(spans)  # take the short remainder now rather than leave a scrap
        start, end = spans[i][0], spans[j - 1][1]
        yield Chunk(text[start:end].strip(), path, *_strip_offsets(text, start, end))
        if j >= len(spans):
            break
        i = j - 1 if j - 1 > i and _len(spans[j - 1]) <= sizes.overlap else j


def _tail(spans: list[tuple[int, int]], j: int) -> int:
    return spans[-1][1] - spans[j][0]


def _len(span: tuple[int, int]) -> int:
    return span[1] - span[0]


def _strip_offsets(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
