"""Keys for comparing documents (headings and sentences without their numbering), and what
changed inside one modified sentence: its numbers (目标/数值), time nodes (时限), years
(年份), responsible units (责任单位) — found with the shared policy patterns — and the rest of
its wording (表述), e.g. "目标 5% → 6%", "责任单位 市发改委 → 市工信局"."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from assistant.core.text import squash
from assistant.staff.patterns import DEADLINES, TARGET, responsible_units

_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:\s*(?:[%％]|个百分点|[万亿千百]?(?:元|人次|人|户|家|个|项|"
                     r"亩|吨|公里|平方米)))?")
NUMBERING = re.compile(r"^(?:[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十百\d]+[）)]|"
                       r"\d{1,2}[.．、]|第[一二三四五六七八九十百\d]+[章节条])")
_NOISE = re.compile(r"[\s\d\W_]+")
_PUNCT = re.compile(r"[\W_]+")
_YEAR = re.compile(r"(?:19|20)\d\d年")


def heading_key(heading: str) -> str:
    """A heading without its numbering, digits (years) and punctuation: 一、2023年工作回顾 and
    （一）2024年工作回顾 match."""
    return _NOISE.sub("", NUMBERING.sub("", heading.strip()))


def sentence_key(text: str) -> str:
    """What must differ for two sentences to count as different: not their numbering (第十条 →
    第九条 when an article is inserted above), whitespace or punctuation (: → ：)."""
    return _PUNCT.sub("", NUMBERING.sub("", squash(text)))


def field_changes(old: str, new: str) -> tuple[str, ...]:
    """The fields that differ: 目标/数值, 时限, 年份, 责任单位, and 表述 for other wording."""
    fields = [_fields(old), _fields(new)]
    label = "目标" if TARGET.search(old) or TARGET.search(new) else "数值"
    names = (("numbers", label), ("deadlines", "时限"), ("years", "年份"), ("units", "责任单位"))
    changes = [_delta(name, fields[0][key], fields[1][key]) for key, name in names
               if fields[0][key] != fields[1][key]]
    if fields[0]["rest"] != fields[1]["rest"]:
        changes.append("表述 " + _wording(old, new))
    return tuple(changes)


def _fields(sentence: str) -> dict[str, list[str]]:
    """Time nodes, years, responsible units and numbers of a sentence, each masked out of the
    text before the next is looked for; "rest" is the wording left over."""
    text = squash(sentence)
    found: dict[str, list[str]] = {"deadlines": [], "years": [], "units": [], "numbers": []}
    for pattern in DEADLINES:
        for match in pattern.finditer(text):
            found["deadlines"].append(match.group(0))
        text = pattern.sub("□", text)
    found["years"] = _YEAR.findall(text)
    text = _YEAR.sub("□", text)
    found["units"] = responsible_units(text)
    for unit in sorted(found["units"], key=len, reverse=True):
        text = text.replace(unit, "□")
    found["numbers"] = _NUMBER.findall(text)
    found["rest"] = [_NUMBER.sub("#", text)]
    return found


def _delta(name: str, before: list[str], after: list[str]) -> str:
    """目标 5% → 6%; pairwise when both sides have as many values (数值 1200亿元 → 1290亿元；…)."""
    if len(before) == len(after):
        pairs = [f"{x} → {y}" for x, y in zip(before, after, strict=True) if x != y]
        return f"{name} " + "；".join(pairs)
    return f"{name} {_show(before)} → {_show(after)}"


def _show(values: list[str]) -> str:
    return "、".join(values) or "（无）"


def _wording(old: str, new: str) -> str:
    """The changed fragments, e.g. “培养数字化人才”→“加强数字化人才培养”."""
    parts = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            parts.append(f"“{old[i1:i2]}”→“{new[j1:j2]}”" if i2 > i1 and j2 > j1 else
                         f"删“{old[i1:i2]}”" if i2 > i1 else f"增“{new[j1:j2]}”")
    return "；".join(parts[:4]) + ("……" if len(parts) > 4 else "")
