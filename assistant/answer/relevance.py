"""What a question asks about: its informative words and the kind of fact it wants (and the unit
it asks in).

Words come from jieba's part-of-speech cut: pronouns and question words (r), prepositions,
conjunctions, particles, adverbs and punctuation carry no topic and are dropped, so no list of
question phrasings is needed. The places a question names are read in assistant.documents.places.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.documents.places import tagged

_FUNCTION_POS = frozenset("r p c u uj ul uz ug ud uv x y d f e o zg q".split())
# Chinese interrogative morphemes (a closed class): 哪几个, 多长时间 ask, they carry no topic
_INTERROGATIVE = re.compile(r"哪|几|多少|什么|怎|何|谁|吗|呢|多长|多久|多大|多高")
_DIGIT = re.compile(r"\d")
_HAS_WORD = re.compile(r"[0-9A-Za-z\u4e00-\u9fff]")


def informative_words(text: str) -> list[str]:
    """The words that carry the question's topic: nouns, verbs, names, numbers with digits;
    lower-cased, in order, without repeats."""
    words = []
    for word, flag in tagged(text):
        word = word.strip().lower()
        if not _is_function(word, flag):
            words.append(word)
    return list(dict.fromkeys(words))


def function_word_spans(text: str) -> list[tuple[int, int]]:
    """Where the words that carry no topic (question words, particles, punctuation) are."""
    spans, pos = [], 0
    for word, flag in tagged(text):
        start = text.find(word, pos)
        pos = start + len(word)
        if _is_function(word, flag):
            spans.append((start, pos))
    return spans


def _is_function(word: str, flag: str) -> bool:
    """Pronouns, particles, measure words, punctuation, question words, and numerals without a
    digit (多少, 一些: amounts asked for, not topic)."""
    if flag in _FUNCTION_POS or not _HAS_WORD.search(word) or _INTERROGATIVE.search(word):
        return True
    return flag == "m" and not _DIGIT.search(word)


# --- the kind of fact asked for ------------------------------------------------------------
@dataclass(frozen=True)
class FactKind:
    name: str  # 金额, 比例, 时间, 数量, 责任单位
    cue: re.Pattern[str]  # how a question asks for it
    evidence: re.Pattern[str]  # what a sentence stating it contains


_NUM = r"(?:\d[\d,，.]*|[一二三四五六七八九十百千万亿两半]+)"
_FACT_KINDS: tuple[FactKind, ...] = (
    FactKind("金额",
             re.compile(r"多少钱|金额|多少元|多少万元|多少亿|多少资金|补助标准|补贴标准|奖励标准"),
             re.compile(rf"{_NUM}\s*(?:万|亿|千)?(?:多)?元")),
    FactKind("比例",
             re.compile(r"比例|百分之|比率|占比|多少%|百分比|几成|率.{0,6}多少|涨幅"),
             re.compile(rf"{_NUM}\s*(?:[%％‰]|个百分点)|百分之|[一二三四五六七八九十]成")),
    FactKind("时间",
             re.compile(r"什么时候|何时|哪天|哪一天|什么时间|截止|期限|几月|哪年|哪一年|时限|多长时间"
                        r"|多久|时间节点|有效期"),
             re.compile(rf"{_NUM}\s*(?:年|月|日|号|天|周|小时|个月|工作日)|年底|年末|月底|月末|季度"
                        r"|即日起|之日起|为止|期间|以前|之前|以后|星期")),
    FactKind("数量",
             re.compile(r"多少|(?<!哪)几(?:个|项|家|名|条|所|次|批|天|年)"),
             re.compile(rf"\d|{_NUM}\s*[\u4e00-\u9fff%％]")),
    FactKind("责任单位",
             re.compile(r"哪个部门|哪些部门|哪个单位|哪些单位|由谁|谁负责|牵头单位|责任单位|负责部门"
                        r"|主管部门|哪家|哪个机构"),
             re.compile(r"[\u4e00-\u9fff]{1,12}(?:部|局|委|办|厅|政府|中心|单位|公司|机构|委员会|银行"
                        r"|医院|协会|小组|指挥部|集团)")),
)
_MAGNITUDE = frozenset("万 亿 千 百 多".split())


def fact_kind(question: str) -> FactKind | None:
    """The kind of fact a question asks for, or None for an open question."""
    return next((kind for kind in _FACT_KINDS if kind.cue.search(question)), None)


def asked_unit(question: str) -> str:
    """The measure word a 多少/几 question asks in: 多少套 → 套, 几个小时 → 小时, 多少万人 → 人,
    多少亿元 → 亿元, 几项 → 项; "" when it names none (是多少, 降低多少, 多少企业)."""
    words = tagged(question)
    for i, (word, flag) in enumerate(words):
        if flag != "m" or not word.startswith(("多少", "几")):
            continue
        if i and words[i - 1][0].endswith("哪"):
            continue  # 哪几项: which ones, not how many
        if len(word) > 1 and word[0] == "几" and word[1:] != "个":
            return word[1:]  # 几项, 几家
        rest = [(w, f) for w, f in words[i + 1:i + 4] if w not in _MAGNITUDE]
        if word in ("几个",):
            rest = [("个", "q"), *rest]
        if len(rest) >= 2 and rest[0][0] == "个":
            return rest[1][0] if rest[1][1] in ("n", "q", "m") else ""
        if rest and rest[0][0] not in ("钱", "元") and (  # money: the 金额 kind says how
                rest[0][1] in ("q", "m") or (rest[0][1] == "n" and len(rest[0][0]) == 1)):
            return rest[0][0]
        return ""
    return ""


def has_fact(kind: FactKind | None, unit: str, sentences: Iterable[str]) -> bool:
    """Some sentence states the asked-for kind of fact (in the asked-for unit, when one is)."""
    if kind is None:
        return True
    unit_re = None
    if unit:
        unit_re = re.compile(rf"{_NUM}\s*(?:多|余)?(?:万|亿|千|百)?(?:个)?{re.escape(unit)}")
    for sentence in sentences:
        if kind.evidence.search(sentence) and (unit_re is None or unit_re.search(sentence)):
            return True
    return False


_YEAR = re.compile(r"(?:19|20)\d\d年")


def named_years(question: str) -> list[str]:
    return list(dict.fromkeys(_YEAR.findall(question)))
