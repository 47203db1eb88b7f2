"""Clean-up of text extracted from Chinese documents: one paragraph per line.

Fixes what extractors and copy-paste leave behind: Kangxi radicals, page numbers, spaces
between Chinese characters and digits, lines broken mid-sentence, and documents flattened to
one long line where a space stands for a paragraph break.
"""

import bisect
import logging
import math
import re
import unicodedata
from collections.abc import Sequence
from itertools import dropwhile
from typing import NamedTuple

logger = logging.getLogger(__name__)

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_ZERO_WIDTH_LINE = re.compile("\n[^\\S\n]*[\u200b\u200c\u200d\u2060\ufeff]+[^\\S\n]*\n")
_NARROW = re.compile("[\u0000-\u10ff\uff61-\uffdc\uffe8-\uffee]")
# Kangxi radicals, CJK radicals supplement, compatibility ideographs: PDF fonts map common
# characters to these look-alikes (⼀ for 一); NFKC folds them, applied to them alone.
_FOLDABLE = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf\uf900-\ufaff]")
_OTHER_SPACE = re.compile(r"[^\S\n]")

_CJK_PUNCT = "，。、；：？！“”‘’（）《》〈〉【】「」『』〔〕〖〗﹝﹞"
_CJK_CLASS = "\u3400-\u9fff\U00020000-\U0003ffff" + _CJK_PUNCT
_CJK_CHAR = re.compile(f"[{_CJK_CLASS}]")
_OPENING = "“‘（《〈【「『〔〖﹝"
_CLOSING = "”’）》〉】」』〕〗﹞"
_SENTENCE_END = "。！？；：!?;:…"
# Spaces after _NO_SPACE_AFTER or before _NO_SPACE_BEFORE are extraction noise, never a break.
_NO_SPACE_AFTER = _OPENING + "，、"
_NO_SPACE_BEFORE = _CLOSING + "，、。！？；："

_NUM = "一二三四五六七八九十百千零〇两"
_ITEM_MARKERS = (
    rf"[{_NUM}]+[、.．]|[（(][{_NUM}\d]+[）)]|\d+[、.．](?!\d)|\d+[)）]"
    rf"|第[{_NUM}\d]+[章节条编篇部分款项]|第[{_NUM}]+[，,、]|[{_NUM}]+[是要](?![否])"
    r"|[①-⑳⑴-⒇]"
)
_INLINE_HEADING = re.compile(_ITEM_MARKERS)
_HEADING = re.compile(rf"{_ITEM_MARKERS}|#{{1,6}}\s|附件[\d:：{_NUM}]|[-*+]\s|>|\||```")
_ARTICLE_TOKEN = re.compile(rf"第[{_NUM}\d]+[章节条编篇部分款项]")
_DASHES = "—―‒–−\\-－~～_"
_FURNITURE = re.compile(
    rf"[{_DASHES}\s]*\d+[{_DASHES}\s]*"
    r"|第\s*\d+\s*页(\s*[,，/／]?\s*共\s*\d+\s*页)?"
    r"|共\s*\d+\s*页\s*[,，/／]?\s*第\s*\d+\s*页"
    r"|\d+\s*[/／]\s*\d+"
    r"|page\s*\d+(\s*(of|/)\s*\d+)?",
    re.IGNORECASE,
)
_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日(?: |$)")
_DATE_END = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日$")
_SPACE_RUN = re.compile(r" +")
_SPACED_RUN = re.compile(r"(?<!\S)[\u3400-\u9fff](?: [\u3400-\u9fff])+(?!\S)")
_SPACED_QUOTE = re.compile(r" *([“‘]) +| +([”’]) *")

TITLE_MAX_WIDTH = 30
FULL_LINE_RATIO = 0.75
MAX_WRAPPED_WIDTH = 120
INDENT_SLACK = 2.5  # a paragraph's first line is indented by two characters
_LOOKAHEAD = 16  # characters after a space that decide what it becomes


def clean_text(raw: str, *, join_lines: bool = True) -> str:
    """Clean one document's text; the result has one paragraph or heading per line.

    `join_lines=False` keeps every input line break (for formats without hard wraps, e.g. docx).
    """
    text, _ = _clean_page(raw, join_lines=join_lines, title_first=True)
    return text


def clean_pages(pages: list[str]) -> tuple[str, tuple[int, ...]]:
    """Clean each page and join them; returns the text and the offset where each page begins.

    A sentence broken by a page break is rejoined without a newline.
    """
    text = ""
    starts: list[int] = []
    wrap = _Wrap(0.0, False)
    for number, raw in enumerate(pages):
        page, page_wrap = _clean_page(raw, join_lines=True, title_first=number == 0)
        if text and page:
            last_line = text.rsplit("\n", 1)[-1]
            first_line = page.split("\n", 1)[0]
            text += "" if _should_join(last_line, first_line, wrap) else "\n"
        starts.append(len(text))
        text += page
        if page:
            wrap = page_wrap
    return text, tuple(starts)


def page_at(page_starts: Sequence[int], offset: int) -> int:
    """The 1-based page holding character `offset` of a text built by `clean_pages`."""
    return max(1, bisect.bisect_right(page_starts, offset))


def clean_fragment(raw: str) -> str:
    """Clean a short inline fragment such as a table cell: one line, spaces next to Chinese
    characters dropped, no line breaks."""
    text = _normalize_chars(raw).replace("\n", " ").strip()
    text = _SPACED_QUOTE.sub(_quote_only, text)
    text = re.sub(rf" +(?=[{_CJK_CLASS}])|(?<=[{_CJK_CLASS}]) +", "", text)
    return _SPACE_RUN.sub(" ", text)


class _Wrap(NamedTuple):
    """Line layout of a page: width of a full line, and whether the text is hard-wrapped."""

    width: float
    hard: bool


def _clean_page(raw: str, *, join_lines: bool, title_first: bool) -> tuple[str, _Wrap]:
    lines = [line.strip() for line in _normalize_chars(raw).split("\n")]
    lines = [_unspace_letters(line) for line in lines if not _FURNITURE.fullmatch(line)]
    lines = list(dropwhile(lambda line: not line, lines))
    wrap = _measure_wrap(lines)
    if join_lines:
        lines = _join_broken_lines(lines, wrap, title_first=title_first)
    out = "\n".join(_split_flattened(line) for line in lines if line)
    return "\n".join(line.strip() for line in out.split("\n") if line.strip()), wrap


def _normalize_chars(raw: str) -> str:
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = _ZERO_WIDTH_LINE.sub(_soft_break, text)
    text = _ZERO_WIDTH.sub("", text)
    text = _FOLDABLE.sub(lambda m: _fold(m.group()), text)
    return _OTHER_SPACE.sub(" ", text)


def _soft_break(match: re.Match[str]) -> str:
    """A line holding only a zero-width space is a soft break some web pages put inside words
    and numbers ("74.4\n\u200b\n万亿元"): the text runs on, unless a sentence ended there."""
    before = match.string[: match.start()].rstrip()
    return "\n" if not before or before[-1] in _SENTENCE_END + _CLOSING else ""


def _fold(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


def _is_cjk_like(char: str) -> bool:
    return bool(_CJK_CHAR.match(char))


def _width(line: str) -> float:
    """Display width in Chinese characters: Latin letters and digits count half."""
    return len(line) - 0.5 * len(_NARROW.findall(line))


def _unspace_letters(line: str) -> str:
    """`县 域 经 济` (one character per token, as some PDF extractors emit) → `县域经济`;
    `第一章 总 则` → `第一章 总则`."""
    tokens = line.split(" ")
    single = sum(1 for token in tokens if len(token) == 1 and _is_cjk_like(token))
    if len(tokens) >= 4 and single >= 0.6 * len(tokens):
        return re.sub(rf"(?<=[{_CJK_CLASS}]) (?=[{_CJK_CLASS}])", "", line)
    return _SPACED_RUN.sub(lambda m: m.group().replace(" ", ""), line)


def _measure_wrap(lines: list[str]) -> _Wrap:
    """Full-line width (90th percentile); hard-wrapped if several lines reach it."""
    widths = sorted(_width(line) for line in lines if line)
    if not widths:
        return _Wrap(0.0, False)
    full = widths[min(len(widths) - 1, math.ceil(0.9 * (len(widths) - 1)))]
    near_full = sum(1 for width in widths if width >= full - 1.5)
    return _Wrap(full, near_full >= 3 and full <= MAX_WRAPPED_WIDTH)


def _ends_sentence(line: str) -> bool:
    last = line[-1]
    if last in _SENTENCE_END:
        return True
    # A closing quote/bracket ends a sentence only after a final mark: `…。”` but not `《通知》`.
    return last in _CLOSING + ")" and len(line) > 1 and line[-2] in _SENTENCE_END


def _is_heading(line: str) -> bool:
    return bool(_HEADING.match(line))


def _should_join(line: str, following: str, wrap: _Wrap) -> bool:
    """Whether `following` continues the sentence that `line` leaves unfinished."""
    if not line or not following or _ends_sentence(line) or _is_heading(following):
        return False
    if line.startswith("#"):
        return False
    if _is_heading(line):  # a numbered item that fills the line wraps; a heading does not
        return _fills_line(_width(line), wrap)
    return _width(line) >= FULL_LINE_RATIO * wrap.width


def _join_broken_lines(lines: list[str], wrap: _Wrap, *, title_first: bool) -> list[str]:
    joined: list[str] = []
    for index, line in enumerate(lines):
        previous = lines[index - 1] if index else ""
        if joined and _continues(previous, line, wrap, first=title_first and index == 1):
            joined[-1] = _glue(joined[-1], line)
        else:
            joined.append(line)
    return joined


def _continues(previous: str, line: str, wrap: _Wrap, *, first: bool) -> bool:
    width = _width(previous)
    if first and width <= TITLE_MAX_WIDTH and not _fills_line(width, wrap):
        return False  # a short title at the top of the text
    return width <= MAX_WRAPPED_WIDTH and _should_join(previous, line, wrap)


def _fills_line(width: float, wrap: _Wrap) -> bool:
    return wrap.hard and width >= wrap.width - INDENT_SLACK


def _glue(left: str, right: str) -> str:
    latin = left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum()
    return f"{left} {right}" if latin else left + right


def _quote_only(match: re.Match[str]) -> str:
    return match.group(1) or match.group(2)


def _split_flattened(line: str) -> str:
    """Drop noise spaces inside a line; a space between Chinese sentences becomes a newline."""
    if line.startswith("#"):
        return _SPACE_RUN.sub(" ", line)
    line = _SPACED_QUOTE.sub(_quote_only, line)
    out = ""
    segment_start = position = 0
    for match in _SPACE_RUN.finditer(line):
        out += line[position : match.start()]
        after = line[match.end() : match.end() + _LOOKAHEAD]
        separator = _space_replacement(out[segment_start:], after)
        out += separator
        if separator == "\n":
            segment_start = len(out)
        position = match.end()
    return out + line[position:]


def _inside_brackets(text: str) -> bool:
    return text.count("（") > text.count("）") or text.count("【") > text.count("】")


def _space_replacement(before: str, after: str) -> str:
    """What a run of spaces between `before` (this line so far) and `after` should become."""
    left, right = before[-1], after[0]
    if not _is_cjk_like(left) and not _is_cjk_like(right):
        return " "
    if _ARTICLE_TOKEN.fullmatch(before) or _DATE_END.search(before):
        return " "  # `第一条 为了…`, `1998年6月26日 第九届…会议通过`
    if left in _NO_SPACE_AFTER or right in _NO_SPACE_BEFORE:
        return ""
    if _INLINE_HEADING.match(after) or _DATE.match(after):
        return "\n"  # `…要求。 一、支持…`, a signature's date `…办公厅 2020年1月28日`
    if _is_cjk_like(left) and _is_cjk_like(right):
        return " " if _inside_brackets(before) else "\n"
    if left in _SENTENCE_END and left not in "：:":
        return "\n"
    return ""
