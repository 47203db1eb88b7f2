"""Check a generated answer against the passages it cites.

Citation numbers that are not among the passages are dropped; sentences with no citation are
flagged; each cited sentence is compared with its passage (character-bigram overlap and key-term
containment) and marked weak when the passage does not support it. Sources are renumbered in
order of first use, so the user only ever sees [1], [2], … pointing at real passages.

With `repair` (what answers get; small models need it) the checks also mend what they can
prove: a citation whose passage does not support its sentence moves to the passage that does,
an uncited sentence copied from a passage gets that passage's number, and fragments that say
nothing (stray punctuation, the question echoed back, a source label copied from the prompt)
are removed. What cannot be proved stays flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.core.sources import Numbering
from assistant.core.text import bigrams, support
from assistant.core.types import Citation, Passage

MARKER = re.compile(r"\[(\d{1,2})\]|【(\d{1,2})】|\[\^(\d{1,2})\]")
# a sentence, with the citation markers written right after its final punctuation ("…。[1]")
# (a line without final punctuation — a list item, a heading — is a sentence too)
_SENTENCE = re.compile(r"[^。！？!?；;\n]+"
                       r"(?:[。！？!?；;]+(?:\s*(?:\[\d{1,2}\]|【\d{1,2}】))*|(?=\n)|$)|\n")
_NUMBER = re.compile(r"\d+(?:\.\d+)?%?")
NOT_MENTIONED = "文件中未提及"
WEAK_SUPPORT = 0.35
SUPPORTED = 0.5  # a passage that holds half a sentence's bigrams (and its numbers) supports it
ATTACH = 0.6  # an uncited sentence this much inside one passage gets that passage's number…
ATTACH_MIN_BIGRAMS = 6  # …if it is long enough for the match not to be chance
ECHO = 0.9  # a sentence this much inside the question is the question, not an answer


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
    repaired: tuple[int, int, int] = (0, 0, 0)  # citations moved, citations added, removed

    @property
    def uncited(self) -> int:
        return sum(1 for c in self.checks if not c.cited and not _exempt(c.text))

    @property
    def weak(self) -> int:
        return sum(1 for c in self.checks if c.weak)


def verify(answer: str, passages: list[Passage], mark_weak: bool = True,
           repair: Repair | None = None) -> Verified:
    """Verify `answer`, whose [n] markers refer to `passages` (1-based); `repair` mends too."""
    order = Numbering(passages)  # original number → new number, by first valid use
    dropped: list[int] = []
    checks: list[SentenceCheck] = []
    out: list[str] = []
    for piece in _SENTENCE.findall(answer):
        if piece == "\n":
            out.append("\n")
            continue
        check, rendered = _check_sentence(piece, passages, order, dropped, mark_weak, repair)
        if check is not None:
            checks.append(check)
        out.append(rendered)
    citations = order.citations()
    text = re.sub(r"\n{2,}", "\n", "".join(out)).strip()
    counts = (repair.moved, repair.added, repair.removed) if repair else (0, 0, 0)
    return Verified(text, citations, tuple(checks), tuple(dropped), counts)


@dataclass
class Repair:
    """What repair needs to know (the question) and what it did."""

    question: str = ""
    moved: int = 0
    added: int = 0
    removed: int = 0

    def is_noise(self, text: str, passages: list[Passage]) -> bool:
        """Nothing to say: punctuation, the question echoed, a source label from the prompt."""
        if len(bigrams(text)) < 2:
            return True
        if self.question and support(text.rstrip("？?"), self.question) >= ECHO:
            return True
        return any(_is_label(text, f"《{p.title}》") for p in passages if p.title)

    def cite(self, text: str, valid: tuple[int, ...], passages: list[Passage]) -> tuple[int, ...]:
        """Move a citation its passage does not back, or add one a passage clearly backs."""
        scores = [support(text, p.text) for p in passages]
        best = max(range(len(scores)), key=scores.__getitem__) + 1 if scores else 0
        if not best or best in valid:
            return valid
        if valid and max(scores[n - 1] for n in valid) < SUPPORTED <= scores[best - 1]:
            self.moved += 1
            return (best,)
        if (not valid and not _exempt(text) and scores[best - 1] >= ATTACH
                and len(bigrams(text)) >= ATTACH_MIN_BIGRAMS):
            self.added += 1
            return (best,)
        return valid


def _check_sentence(piece: str, passages: list[Passage], order: Numbering,
                    dropped: list[int], mark_weak: bool,
                    repair: Repair | None) -> tuple[SentenceCheck | None, str]:
    numbers = [int(next(g for g in m.groups() if g)) for m in MARKER.finditer(piece)]
    text = MARKER.sub("", piece).strip()
    valid = tuple(dict.fromkeys(n for n in numbers if 1 <= n <= len(passages)))
    dropped.extend(n for n in numbers if not 1 <= n <= len(passages))
    if not text:
        return None, ""
    if repair is not None:
        if repair.is_noise(text, passages):
            repair.removed += 1
            return None, ""
        valid = repair.cite(text, valid, passages)
    best = max((support(text, passages[n - 1].text) for n in valid), default=0.0)
    missing = tuple(x for x in _NUMBER.findall(text)
                    if valid and not any(x in passages[n - 1].text for n in valid))
    check = SentenceCheck(text, valid, best, missing)
    body, end = _split_end(text)
    marks = "".join(order.cite(n) for n in valid)
    if check.weak and mark_weak:
        marks += "（⚠依据不足）"
    elif not valid and not _exempt(text):
        marks = "（⚠未标注来源）"
    return check, f"{body}{marks}{end}"


def _split_end(text: str) -> tuple[str, str]:
    stripped = text.rstrip("。！？!?；;")
    return stripped, text[len(stripped):]


def _is_label(text: str, title: str) -> bool:
    """A source label copied from the prompt: the bare 《title》, or 《title》 · heading path."""
    return text.rstrip("。") == title or (text.startswith(title) and " · " in text)


def _exempt(text: str) -> bool:
    """Sentences that need no citation: the not-mentioned note, list intros, short headings. A
    short sentence that ends like a statement ("已被控制。") is a claim and is not exempt."""
    if NOT_MENTIONED in text or text.endswith(("：", ":")):
        return True
    return len(text) <= 12 and not text.endswith(("。", "！", "!", "；", ";"))
