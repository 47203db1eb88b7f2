"""What a question asks about: the kind of fact it wants, and the years and places it names."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Question cue → what a sentence must contain to answer it.
_FACT_KINDS: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    ("金额",
     re.compile(r"多少钱|金额|多少元|多少万|多少亿|多少资金|补助标准|补贴标准|奖励标准|最高.{0,4}多少"),
     re.compile(r"\d[\d,.]*\s*(?:万|亿|千)?元|[一二三四五六七八九十百千万亿两]+(?:万|亿)?元")),
    ("比例",
     re.compile(r"比例|百分之|比率|占比|多少%|百分比|几成"),
     re.compile(r"\d[\d.]*\s*[%％]|百分之|[一二三四五六七八九十]成|\d+[‰]")),
    ("时间",
     re.compile(r"什么时候|何时|哪天|哪一天|什么时间|截止|期限|几月|哪年|哪一年|时限|多长时间|多久"
                r"|时间节点"),
     re.compile(r"\d{1,4}\s*[年月日号天周]|[一二三四五六七八九十〇零两半]+(?:年|个月|月|日|天|周)|"
                r"年底|年末|月底|月末|季度|日前|天内|日内|个月|小时|工作日|即日起|之日起|期间")),
    ("数量",
     re.compile(r"多少个|(?<!哪)几个|多少家|多少项|多少人|(?<!哪)几项|(?<!哪)几家|多少名|"
                r"(?<!哪)几名|多少条|(?<!哪)几条|多少所"),
     re.compile(r"\d+\s*(?:个|家|项|人|名|条|所|户|次|批|万|亿)|[一二三四五六七八九十百千两]+"
                r"(?:个|家|项|人|名|条|所|户|次|批)")),
    ("责任单位", re.compile(r"哪个部门|哪些部门|哪个单位|哪些单位|由谁|谁负责|牵头单位|责任单位|"
                        r"负责部门|主管部门|哪家|哪个机构"),
     re.compile(r"[\u4e00-\u9fff]{1,12}(?:部|局|委|办|厅|政府|中心|单位|公司|机构|委员会|银行|"
                r"医院|协会|小组|指挥部)")),
)


FactKind = tuple[str, re.Pattern[str], re.Pattern[str]]  # name, question cue, evidence pattern


def fact_kind(question: str) -> FactKind | None:
    """The kind of fact a question asks for (金额, 比例, 时间, 数量, 责任单位), or None for an
    open question."""
    return next((kind for kind in _FACT_KINDS if kind[1].search(question)), None)


def has_fact(kind: FactKind | None, sentences: Iterable[str]) -> bool:
    return kind is None or any(kind[2].search(s) for s in sentences)


_YEAR = re.compile(r"(?:19|20)\d\d年")


def absent_names(question: str, texts: Iterable[str]) -> list[str]:
    """Years and place names the question asks about that none of the texts mention: a sign
    that the documents are about somewhere (or some year) else."""
    corpus = "".join(texts)
    names = _YEAR.findall(question) + places(question)
    return [n for n in dict.fromkeys(names) if not mentions(corpus, n)]


_COUNTY = re.compile(r"(?<![各全本该每外哪这那])([\u4e00-\u9fff]{1,2}县)(?!域|级|城|里|委|乡)")
_GENERIC_PLACES = frozenset("全市 我市 本市 全省 全国 城区 市区 县区 各县 全县 本县".split())


def places(question: str) -> list[str]:
    """Place names in a question (jieba's ns tag, plus X县 forms jieba does not know)."""
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    found = [w for w, flag in jieba.posseg.cut(question) if flag == "ns" and len(w) >= 2]
    found += _COUNTY.findall(question)
    return [p for p in dict.fromkeys(found) if p not in _GENERIC_PLACES]


def mentions(text: str, name: str) -> bool:
    return name in text or _stem(name) in text


def _stem(name: str) -> str:
    stem = re.sub(r"(?:省|市|县|区|镇|乡|自治区|自治州)$", "", name)
    return stem if len(stem) >= 2 else name
