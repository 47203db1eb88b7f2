"""The places a question names and the places the stored documents name.

A place is read from the question's structure — a name before an administrative unit (淮安市,
甲县, XX市) — or, for a bare name (辽宁, 内蒙古), only when a stored document's title or issuer
names that place: an ordinary word jieba happens to tag as a place ("上路", "城市") is not one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set

from vectorstore.tokenize import pos_tagger


def _posseg():  # noqa: ANN202 - jieba has no types
    return pos_tagger()


def tagged(text: str) -> list[tuple[str, str]]:
    """(word, part of speech) pairs of jieba's precise cut, blanks left out."""
    return [(w, f) for w, f in _posseg().cut(text) if w.strip()]


_HAS_WORD = re.compile(r"[0-9A-Za-z\u4e00-\u9fff]")
_UNIT_SUFFIX = ("自治区", "自治州", "省", "市", "县", "区", "州", "盟", "旗", "镇", "乡")
_DEICTIC = "全本我各该每此外哪这那省市县区乡镇"  # 全市, 本县, 各区: not a name
_STEM = re.compile("(?:" + "|".join(_UNIT_SUFFIX) + ")$")
_NAME_POS = frozenset({"ns", "nr", "nz", "n", "eng", "nt", "j"})
_PLACE_POS = frozenset({"ns", "nr", "nz", "eng", "j"})


def stem(name: str) -> str:
    """淮安市 → 淮安; names of one character before the unit keep it (甲县)."""
    core = _STEM.sub("", name)
    return core if len(core) >= 2 else name


def places(question: str, known: Set[str] = frozenset()) -> list[str]:
    """Places the question names: words ending in an administrative unit with a name before
    it, and bare place names (jieba's ns) that the stored documents name (`known` stems)."""
    words = tagged(question)
    found = []
    for i, (word, flag) in enumerate(words):
        nxt = words[i + 1][0] if i + 1 < len(words) else ""
        if _unit_name(word, flag):
            found.append(word)
        elif flag in _NAME_POS and nxt in _UNIT_SUFFIX and _is_name(word):
            found.append(word + nxt)  # 甲 县, XX 市: jieba cut the unit off
        elif flag == "ns" and len(word) >= 2 and stem(word) in known:
            found.append(word)
    return list(dict.fromkeys(found))


def _unit_name(word: str, flag: str) -> bool:
    """淮安市, 海淀区, 甲县: a name before an administrative unit. A name of one character is
    taken when jieba's dictionary does not know the word (丁县) or tags it a place ending in
    县/省 (嵩县); 城市, 上市, 山区 are words. A name of two or more characters is taken when
    tagged as a name or unknown to the dictionary (开发区 is a word)."""
    if len(word) < 2 or not _STEM.search(word):
        return False
    core = _STEM.sub("", word)
    if not _is_name(core):
        return False
    if len(core) >= 2:
        return flag in _PLACE_POS or not _in_dictionary(word)
    if _dictionary_tag(core) not in _NAME_POS:
        return False  # 三区, 个区: a number or a measure word before the unit
    return not _in_dictionary(word) or (flag == "ns" and word.endswith(("县", "省")))


def _is_name(core: str) -> bool:
    return bool(core) and core[0] not in _DEICTIC and _HAS_WORD.search(core) is not None


def _in_dictionary(word: str) -> bool:
    return _posseg().tokenizer.FREQ.get(word, 0) > 0


def _dictionary_tag(word: str) -> str:
    """The part of speech jieba's dictionary gives the word ("" when it has none)."""
    return str(_posseg().word_tag_tab.get(word, ""))


def catalog_places(texts: Iterable[str]) -> frozenset[str]:
    """Stems of the places named in stored documents' titles and issuers: names before an
    administrative unit, and words jieba's dictionary knows as places (浙江, 内蒙古)."""
    names: set[str] = set()
    for text in texts:
        for word, flag in tagged(text):
            if _unit_name(word, flag) or (_dictionary_tag(word) == "ns" and len(word) >= 2
                                          and not _STEM.search(word)):
                names.add(stem(word))
    return frozenset(names)


def mentions(text: str, name: str) -> bool:
    return name in text or stem(name) in text
