"""Check a generated answer against the passages it cites.

Citation numbers that are not among the passages are dropped; sentences with no citation are
flagged; each cited sentence is compared with its passage (character-bigram overlap and key-term
containment) and marked weak when the passage does not support it. Sources are renumbered in
order of first use, so the user only ever sees [1], [2], … pointing at real passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.types import Citation, Passage

MARKER = re.compile(r"\[(\d{1,2})\]|【(\d{1,2})】|\[\^(\d{1,2})\]")
# a sentence, with the citation markers written right after its final punctuation ("…。[1]")
_SENTENCE = re.compile(r"[^。！？!?；;\n]+(?:[。！？!?；;]+(?:\s*(?:\[\d{1,2}\]|【\d{1,2}】))*|$)"
                       r"|\n")
_NUMBER = re.compile(r"\d+(?:\.\d+)?%?")
NOT_MENTIONED = "文件中未提及"
WEAK_SUPPORT = 0.35


@dataclass(frozen=True)
class SentenceCheck:
    text: str  # the sentence without markers
    cited: tuple[int, ...]  # original passage numbers it cites (valid ones only)
    support: float  # 0..1 best support among cited passages
    unsupported_numbers: tuple[str, ...] = ()

    @property
    def weak(self) -> bool:
        return bool(self.cited) and (self.support < WEAK_SUPPORT or bool(self.unsupported_numbers))


@dataclass(frozen=True)
class Verified:
    text: str  # renumbered answer text; weak sentences marked, uncited ones flagged
    citations: tuple[Citation, ...]
    checks: tuple[SentenceCheck, ...]
    dropped: tuple[int, ...]  # citation numbers that pointed at no passage

    @property
    def uncited(self) -> int:
        return sum(1 for c in self.checks if not c.cited and not _exempt(c.text))

    @property
    def weak(self) -> int:
        return sum(1 for c in self.checks if c.weak)


def support(sentence: str, passage: str) -> float:
    """Share of the sentence's character bigrams (CJK/digits) found in the passage."""
    grams = _bigrams(sentence)
    if not grams:
        return 1.0
    squashed = "".join(c for c in passage if c.isalnum())
    return sum(1 for g in grams if g in squashed) / len(grams)


def verify(answer: str, passages: list[Passage], mark_weak: bool = True) -> Verified:
    """Verify `answer`, whose [n] markers refer to `passages` (1-based)."""
    order: dict[int, int] = {}  # original number → new number, by first valid use
    dropped: list[int] = []
    checks: list[SentenceCheck] = []
    out: list[str] = []
    for piece in _SENTENCE.findall(answer):
        if piece == "\n":
            out.append("\n")
            continue
        check, rendered = _check_sentence(piece, passages, order, dropped, mark_weak)
        if check is not None:
            checks.append(check)
        out.append(rendered)
    citations = tuple(Citation(new, passages[old - 1], old) for old, new in order.items())
    return Verified("".join(out).strip(), citations, tuple(checks), tuple(dropped))


def _check_sentence(piece: str, passages: list[Passage], order: dict[int, int],
                    dropped: list[int], mark_weak: bool) -> tuple[SentenceCheck | None, str]:
    numbers = [int(next(g for g in m.groups() if g)) for m in MARKER.finditer(piece)]
    text = MARKER.sub("", piece).strip()
    valid = tuple(dict.fromkeys(n for n in numbers if 1 <= n <= len(passages)))
    dropped.extend(n for n in numbers if not 1 <= n <= len(passages))
    if not text:
        return None, ""
    best = max((support(text, passages[n - 1].text) for n in valid), default=0.0)
    missing = tuple(x for x in _NUMBER.findall(text)
                    if valid and not any(x in passages[n - 1].text for n in valid))
    check = SentenceCheck(text, valid, best, missing)
    for n in valid:
        order.setdefault(n, len(order) + 1)
    body, end = _split_end(text)
    marks = "".join(f"[{order[n]}]" for n in valid)
    if check.weak and mark_weak:
        marks += "（⚠依据不足）"
    elif not valid and not _exempt(text):
        marks = "（⚠未标注来源）"
    return check, f"{body}{marks}{end}"


def _split_end(text: str) -> tuple[str, str]:
    stripped = text.rstrip("。！？!?；;")
    return stripped, text[len(stripped):]


def _exempt(text: str) -> bool:
    """Sentences that need no citation: the not-mentioned note, list intros, headings."""
    return NOT_MENTIONED in text or len(text) <= 12 or text.endswith(("：", ":"))


def _bigrams(text: str) -> list[str]:
    chars = [c for c in text if c.isalnum()]
    return [a + b for a, b in zip(chars, chars[1:], strict=False)]
