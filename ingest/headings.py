"""Recognise the heading ladder of 公文 and speeches, line by line.

A heading is a line that opens a section or a point: `一、` → `（一）` → `1.` → `（1）`,
`第X章/节/条`, Markdown `#`, and the speech cues `第一，` `一要` `一是` `首先`. Its *style* says
which rung of the ladder it is on; the tree is built from the order styles first appear in
(see `HeadingStack`), so documents that skip or reorder rungs still nest correctly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CN_NUM = "一二三四五六七八九十百零〇两"
_TITLE_END = re.compile(r"[。！？!?：:]")
_MAX_TITLE = 60

# (style, pattern). Order matters: the first match wins.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("md", re.compile(r"^(#{1,6})\s+\S")),
    ("chapter", re.compile(rf"^第[{CN_NUM}\d]+[章编](?:\s|$)")),
    ("section", re.compile(rf"^第[{CN_NUM}\d]+节(?:\s|$)")),
    ("article", re.compile(rf"^第[{CN_NUM}\d]+条(?:\s|$|之[{CN_NUM}]+)")),
    ("cn1", re.compile(rf"^[{CN_NUM}]+、")),
    ("cn2", re.compile(rf"^[（(][{CN_NUM}]+[）)]")),
    ("num", re.compile(r"^\d{1,2}[\.．、](?!\d)")),
    ("pnum", re.compile(r"^[（(]\d{1,2}[）)]")),
    ("ordinal", re.compile(rf"^第[{CN_NUM}]{{1,3}}[，,、]")),
    ("yao", re.compile(rf"^[{CN_NUM}]{{1,3}}要(?![求紧])")),
    ("shi", re.compile(rf"^[{CN_NUM}]{{1,3}}是(?=\S)")),
    ("seq", re.compile(r"^(?:首先|其次|再次|最后)[，,]")),
)
_CIRCLED = re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩]")


@dataclass(frozen=True)
class Heading:
    """A heading found at the start of a line."""

    style: str
    title: str
    inline_body: bool  # the line goes on after the title (a speech point, a law article)


def detect_heading(line: str) -> Heading | None:
    """The heading that opens `line`, or None for an ordinary paragraph."""
    stripped = line.strip()
    if not stripped:
        return None
    for style, pattern in _PATTERNS:
        match = pattern.match(stripped)
        if match:
            if style == "md":
                level = len(match.group(1))
                return Heading(f"md{level}", stripped[level:].strip(), False)
            if style == "article":
                return _article(stripped)
            return _titled(style, stripped)
    if _CIRCLED.match(stripped):
        return _titled("circled", stripped)
    return None


def _article(line: str) -> Heading:
    label = re.match(rf"^第[{CN_NUM}\d]+条(?:之[{CN_NUM}]+)?", line)
    assert label is not None
    rest = line[label.end():].strip()
    return Heading("article", label.group(0), bool(rest))


def _titled(style: str, line: str) -> Heading:
    """A numbered line: short lines are all title; long ones are titled by their first clause."""
    if len(line) <= _MAX_TITLE and not _TITLE_END.search(line[:-1]):
        return Heading(style, line.rstrip("。；;"), False)
    end = _TITLE_END.search(line)
    cut = end.start() if end and end.start() <= _MAX_TITLE else _soft_cut(line)
    return Heading(style, line[:cut].rstrip("，,；;"), True)


def _soft_cut(line: str) -> int:
    """Where to end an over-long first sentence used as a title: a comma, else the length cap."""
    comma = max(line.rfind("，", 0, _MAX_TITLE), line.rfind("；", 0, _MAX_TITLE))
    return comma if comma > 4 else _MAX_TITLE


class HeadingStack:
    """The current path from the document root to the section being read."""

    def __init__(self) -> None:
        self._stack: list[Heading] = []

    def push(self, heading: Heading) -> tuple[str, ...]:
        """Enter `heading`; a style already on the stack closes that rung and all below it."""
        for i, open_heading in enumerate(self._stack):
            if open_heading.style == heading.style or _outranks(heading.style, open_heading.style):
                del self._stack[i:]
                break
        self._stack.append(heading)
        return self.path()

    def path(self) -> tuple[str, ...]:
        return tuple(h.title for h in self._stack)


_MD_RANK = {f"md{n}": n for n in range(1, 7)}


def _outranks(new: str, old: str) -> bool:
    """Markdown levels and 章/节 have a fixed order: `##` closes an open `###`, 章 closes 节."""
    if new in _MD_RANK and old in _MD_RANK:
        return _MD_RANK[new] < _MD_RANK[old]
    fixed = ("chapter", "section", "article")
    if new in fixed and old in fixed:
        return fixed.index(new) < fixed.index(old)
    return False
