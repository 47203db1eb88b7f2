"""Measures of whether retrieved passages state an answer, none of them a list of phrasings:

- lexical coverage of the question's informative words, each weighted by its IDF in the knowledge
  base (a word the corpus rarely uses says more about the topic than 企业 or 疫情), in the best
  single sentence and in the best passage (one sentence stating it all vs. words spread about);
  a word of three or more characters the text lacks is credited with the share of its character
  bigrams it holds (陕西省政府 in a passage naming 陕西省 and 省政府);
- phrase coverage: the share of the question's characters that occur in the passage in runs of
  three or more (questions are often written from the sentence that answers them);
- the embedder's question–passage similarity, and how far the best passage stands out from the
  rest of the candidates (calibrated per embedder: assistant/answer/calibration.py);
- whether every place the question names is named by a top passage, and every “quoted” term
  and number it names is held by one (the gate refuses when one is not).

Latin-script words over Chinese passages (the English words of an English question about
Chinese documents) are left to the embedder: they cannot match anything lexically; a question
with no Chinese word at all is judged by the embedder alone (calibration.py's cross-lingual
model).
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from dataclasses import dataclass

from assistant.answer.backend import TermsFn
from assistant.answer.relevance import function_word_spans, informative_words
from assistant.core.text import IdfFn, alnum, bigrams, split_sentences
from assistant.core.types import Passage
from assistant.documents.places import mentions, places

PASSAGE_DEPTH = 3  # passages whose whole text is compared with the question
MIN_RUN = 3  # characters in a row that count as a shared phrase
PARTIAL = 0.5  # a word counts as present when at least this share of it is
_ASCII_WORD = re.compile(r"^[a-z][a-z\-']*$")


@dataclass(frozen=True)
class Signals:
    sentence_cover: float  # IDF-weighted share of the question's words in the best sentence
    passage_cover: float  # … in the best of the top passages
    phrase_cover: float  # share of the question's characters in 3+ character runs of a passage
    dense: float  # best question–passage similarity of the embedder (0 when it gave none)
    dense_gap: float  # that minus the lowest similarity among the candidates
    place: float  # 1.0 when the top passages name every place the question names
    lexical: bool  # False: no word of the question can match the passages' script
    missing: tuple[str, ...] = ()  # informative words no top passage holds, rarest first
    absent_places: tuple[str, ...] = ()
    absent_quoted: tuple[str, ...] = ()  # “quoted” names and numbers no top passage holds

    def value(self, name: str) -> float:
        return float(getattr(self, name))


def measure(question: str, passages: Sequence[Passage], idf: IdfFn, terms_of: TermsFn,
            known_places: Set[str] = frozenset()) -> Signals:
    """The signals of `passages` (the top k, best first) for `question`."""
    texts = [full_text(p).lower() for p in passages[:PASSAGE_DEPTH]]
    sentences = [f"{s} {p.title}".lower() for p in passages for s in split_sentences(p.text)]
    union = " ".join(full_text(p).lower() for p in passages)
    words = _lexical_words(question, terms_of, union)
    weights = {w: max(idf(w), 0.1) for w in words}
    missing = sorted((w for w in words if _match(w, union) < PARTIAL), key=lambda w: -weights[w])
    named = places(question, known_places)
    absent = tuple(n for n in named if not any(mentions(t, n.lower()) for t in texts))
    dense = [p.dense_score for p in passages if p.dense_score is not None]
    return Signals(
        sentence_cover=max((_cover(weights, s) for s in sentences), default=0.0),
        passage_cover=max((_cover(weights, t) for t in texts), default=0.0),
        phrase_cover=max((_phrase_cover(question, t) for t in texts), default=0.0),
        dense=max(dense, default=0.0),
        dense_gap=max(dense, default=0.0) - min(dense, default=0.0),
        place=0.0 if absent else 1.0, lexical=bool(words), missing=tuple(missing),
        absent_places=absent, absent_quoted=tuple(n for n in quoted(question)
                                                  if n.lower() not in union))


_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,20})[”\"」』]")
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
_YEAR_NUMBER = re.compile(r"(?:19|20)\d\d")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def quoted(question: str) -> list[str]:
    """What a question names exactly: “quoted” terms and numbers (not years, which the year
    checks read): an answer has to hold them."""
    numbers = [n for n in _NUMBER.findall(question) if not _YEAR_NUMBER.fullmatch(n)]
    names = [t for t in _QUOTED.findall(question) if _CJK.search(t)]  # “three priorities” is
    return list(dict.fromkeys(names + numbers))  # a translation: only the embedder can match it


def passage_match(question: str, texts: Sequence[str], idf: IdfFn,
                  terms_of: TermsFn) -> list[tuple[float, float]]:
    """(phrase coverage, IDF-weighted word coverage) of the question in each (lower-cased)
    text: what the rerank adds to a passage's score."""
    words = _lexical_words(question, terms_of, " ".join(texts))
    weights = {w: max(idf(w), 0.1) for w in words}
    return [(_phrase_cover(question, t), _cover(weights, t)) for t in texts]


def full_text(passage: Passage) -> str:
    return f"{passage.title} {passage.heading} {passage.text}"


def _lexical_words(question: str, terms_of: TermsFn, passages: str) -> list[str]:
    """Informative words that can match lexically: not stopwords, and, over Chinese passages,
    no Latin-script word they do not hold (the English words of an English question); a
    question left with no Chinese word is judged by the embedder alone."""
    words = [w for w in informative_words(question) if terms_of(w)]
    if _cjk_share(passages) < 0.5:
        return words
    if not any(_CJK.search(w) for w in words):
        return []
    return [w for w in words if _CJK.search(w) or (not _ASCII_WORD.match(w) or w in passages)]


def _cjk_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if _CJK.match(c)) / len(letters) if letters else 1.0


def _match(word: str, text: str) -> float:
    """1.0 when the text holds the word; else the share of its character bigrams it holds."""
    if word in text:
        return 1.0
    grams = bigrams(word) if len(word) >= 3 else []
    return sum(1 for g in grams if g in text) / len(grams) if grams else 0.0


def _cover(weights: dict[str, float], text: str) -> float:
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w * _match(word, text) for word, w in weights.items()) / total


def _phrase_cover(question: str, text: str) -> float:
    """Share of the question's topic characters (question words and particles left out) that
    the text holds in runs of MIN_RUN or more."""
    pieces = _topic_pieces(question)
    chars = sum(len(p) for p in pieces)
    if not chars:
        return 0.0
    body = alnum(text)
    covered = 0
    for piece in pieces:
        hit = [False] * len(piece)
        for i in range(len(piece) - MIN_RUN + 1):
            if piece[i:i + MIN_RUN] in body:
                hit[i:i + MIN_RUN] = [True] * MIN_RUN
        covered += sum(hit)
    return covered / chars


def _topic_pieces(question: str) -> list[str]:
    """The question cut at its function words: runs never cross a question word."""
    pieces, pos = [], 0
    for start, end in function_word_spans(question):
        pieces.append(alnum(question[pos:start]))
        pos = end
    pieces.append(alnum(question[pos:]))
    return [p.lower() for p in pieces if p]
