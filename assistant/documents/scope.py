"""Which documents a question is about: the years, 《titles》, title-like mentions, 文号 and
issuers it names, matched against the stored documents.

The result restricts retrieval (one unambiguous document or version group), prefers matching
documents (a score bonus), demotes superseded versions, or says the named document/year is not
in the knowledge base ("知识库中没有2026年的政府工作报告") so the chain refuses before searching.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from assistant.core.dates import chinese_date, cn_number
from assistant.core.sources import status_note, version_note
from assistant.core.types import Citation, Passage
from assistant.documents.catalog import MIN_KEY_CHARS, Catalog, DocInfo, title_key, title_years
from assistant.documents.years import anchored_years, asks_outcome, sessions

_RELATIVE = {"今年": 0, "本年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1}
_RELATIVE_RE = re.compile("|".join(_RELATIVE))
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年(?!代)")
_CN_YEAR = re.compile(r"([〇○零一二三四五六七八九]{4})年")
_TARGET_BEFORE = ("到", "至", "截至", "截止到", "截止")  # 到2025年 names a target, not a document
_COMPARED_WITH = ("比", "较", "同比", "与", "于")
_QUOTED = re.compile(r"《([^《》]{2,80})》")
_KINDS = (r"实施意见|指导意见|意见|通知|方案|办法|规定|条例|讲话|报告|决定|细则|措施|规划|要点|纲要"
          r"|公告|通告")
_MENTION = re.compile(rf"(?P<body>[\u4e00-\u9fff]{{0,14}}?)(?P<kind>{_KINDS})")
_DOC_TITLE = re.compile(rf"(?:{_KINDS}|法|条例|规则|纲要|决议|批复)(?:[（(][^（）()]*[）)])?$")
_DOC_NO = re.compile(r"([\u4e00-\u9fff]{0,8})\s*[〔\[［【(（]\s*((?:19|20)\d{2})\s*[〕\]］】)）]"
                     r"\s*第?\s*(\d{1,5})\s*号")
_LEADING_FILLER = re.compile(r"^[年度的在中按据]+")
MIN_MENTION_CHARS = 4
MENTION_COVER = 0.8  # share of a mention's words (before the kind word) the title must contain
MIN_RUN = 3  # a title "contains" a piece of a mention only in runs of 3+ characters
MAX_LEADING = 4  # at most this many leading characters of a mention may be missing from a title
MIN_ISSUER_CHARS = 4


@dataclass(frozen=True)
class DocScope:
    years: tuple[int, ...] = ()  # document years the question names (relative ones resolved)
    wanted: tuple[int, ...] = ()  # years it wants a document of (N+1 for what happened in N)
    restrict: frozenset[str] = frozenset()  # search only these documents (empty: no limit)
    prefer: frozenset[str] = frozenset()  # boost these (the year or title the question names)
    undated: frozenset[str] = frozenset()  # documents of unknown year when a year is named
    issued: frozenset[str] = frozenset()  # documents of an issuer the question names (small boost)
    demote: frozenset[str] = frozenset()  # superseded versions, pushed down
    missing: str = ""  # "知识库中没有…": refuse before searching
    unknown_titles: tuple[str, ...] = ()  # 《titles》 no record has: refuse unless text quotes them
    query: str = ""  # what to search: 今年/去年 … written as the year when a document has it
    resolved: tuple[str, ...] = field(default_factory=tuple)  # "去年=2024年" notes

    def is_empty(self) -> bool:
        return not (self.restrict or self.prefer or self.issued or self.demote or self.missing
                    or self.unknown_titles)


def resolve_years(question: str, today: dt.date) -> tuple[str, list[int], list[str]]:
    """(question with sessions and 今年/去年 … written as years, the document years named,
    notes). 今年/去年 count from `today` unless the question names a document's year
    ("2013年政府工作报告中，今年…": then they are that document's words)."""
    notes: list[str] = []

    def absolute(match: re.Match[str]) -> str:
        if match.string[: match.start()].endswith(_COMPARED_WITH):
            return match.group(0)  # 比上年增长: the base of a comparison, not a document's year
        year = today.year + _RELATIVE[match.group(0)]
        notes.append(f"“{match.group(0)}”按{today.isoformat()}理解为{year}年")
        return f"{year}年"

    text = question
    for phrase, year in sessions(question):
        text = text.replace(phrase, f"{year}年", 1)
        notes.append(f"“{phrase}”于{year}年召开")
    text = _CN_YEAR.sub(lambda m: cn_number(m.group(1)) + "年", text)
    if not anchored_years(text):
        text = _RELATIVE_RE.sub(absolute, text)
    years = [int(m.group(1)) for m in _YEAR.finditer(text)
             if not text[: m.start()].endswith(_TARGET_BEFORE)]
    return text, list(dict.fromkeys(years)), notes


def scope_for(question: str, catalog: Catalog, today: dt.date) -> DocScope:
    """Match what the question names against the catalog."""
    text, named_years, notes = resolve_years(question, today)
    years, shifted = _document_years(text, named_years, question, catalog)
    base = DocScope(years=tuple(years), wanted=tuple(shifted), query=text,
                    resolved=tuple(notes))
    named, label, missing = _named_documents(text, catalog)
    if missing:
        return _replace(base, missing=missing)
    unknown = tuple(t for t in _quoted_titles(text) if not _title_matches(t, catalog))
    if named is not None:
        return _within(base, catalog, named, label)
    prefer = _mentions(_QUOTED.sub("", text), catalog)[0]
    used = [y for y in years if catalog.with_year(y)]  # a year no document has prefers nothing
    for year in used:
        prefer |= catalog.with_year(year)
    demote = catalog.older_versions() - prefer
    undated = {h for h, d in catalog.docs.items() if not d.years} if used else set()
    kept = [*used, *(w for w in shifted if w not in years)]  # a year no document has: the
    notes = [n for n in notes if any(f"{y}年" in n for y in kept)]  # question's own words
    query = text if notes else question  # 今年 in a question may mean the document's 今年
    return _replace(base, prefer=frozenset(prefer), demote=frozenset(demote), query=query,
                    resolved=tuple(notes),
                    undated=frozenset(undated),
                    issued=frozenset(_issuer_matches(text, catalog)), unknown_titles=unknown)


def _document_years(text: str, years: list[int], question: str,
                    catalog: Catalog) -> tuple[list[int], list[int]]:
    """(the document years to look in, the years the question wants a document of). A question
    about what happened in year N wants the document of N+1 (which reviews N); when no stored
    document is of N+1, N's own documents are looked in (they may report it too)."""
    anchored = anchored_years(text)
    if not asks_outcome(question):
        return years, years
    wanted = [y if y in anchored else y + 1 for y in years]
    look = [w if catalog.with_year(w) else y for y, w in zip(years, wanted, strict=True)]
    return look, wanted


def series_gap(scope: DocScope | None, catalog: Catalog, passage: Passage) -> str:
    """"知识库中没有2019年的政府工作报告（已收录：…）" when the best passage's document is one of a
    yearly series (versions of one title over two or more years) that lacks a year the
    question wants; "" otherwise."""
    if scope is None or not scope.wanted or passage.doc_hash not in catalog.docs:
        return ""
    group = catalog.versions(passage.doc_hash)
    have = sorted({y for d in group for y in d.years})
    lacking = [y for y in scope.wanted if y not in have]
    if len(have) < 2 or not lacking:
        return ""
    label = title_key(group[0].title) or group[0].title
    stored = "、".join(f"{y}年" for y in have)
    return f"知识库中没有{lacking[0]}年的{label}（已收录：{stored}）"


def _named_documents(text: str, catalog: Catalog) -> tuple[set[str] | None, str, str]:
    """(documents the question names by 文号/《title》/mention or None, how, missing message)."""
    for prefix, year, number in _DOC_NO.findall(text):
        found = {d.doc_hash for d in catalog.docs.values() if _same_doc_no(d, year, number)}
        if not found:
            return None, "", f"知识库中没有文号为{prefix}〔{year}〕{number}号的文件"
        return found, f"{prefix}〔{year}〕{number}号", ""
    titled: set[str] = set()
    quoted = _quoted_titles(text)
    for title in quoted:
        titled |= _title_matches(title, catalog)
    if titled:
        return _whole_groups(titled, catalog), "《" + "》《".join(quoted) + "》", ""
    mentioned, label = _mentions(_QUOTED.sub("", text), catalog)
    groups = {catalog.docs[h].key for h in mentioned}
    if mentioned and len(groups) == 1:
        return _whole_groups(mentioned, catalog), label, ""
    return None, "", ""


def _within(base: DocScope, catalog: Catalog, named: set[str], label: str) -> DocScope:
    """Restrict to the named documents; a named year must be one of theirs, else missing."""
    chosen = set(named)
    for year in base.years:
        dated = catalog.with_year(year, chosen)
        dated |= {h for h in chosen if not catalog.docs[h].years}  # undated: might be that year
        if not dated:
            have = sorted({y for h in named for y in catalog.docs[h].years})
            stored = f"（已收录：{'、'.join(f'{y}年' for y in have)}）" if have else ""
            return _replace(base, missing=f"知识库中没有{year}年的{label}{stored}")
        chosen = dated
    demote = catalog.older_versions(chosen) if not base.years else set()
    return _replace(base, restrict=frozenset(chosen), demote=frozenset(demote))


def _whole_groups(hashes: set[str], catalog: Catalog) -> set[str]:
    """The named documents with all their versions (the year or newest picks among them)."""
    return {v.doc_hash for h in hashes for v in catalog.versions(h)}


def _same_doc_no(info: DocInfo, year: str, number: str) -> bool:
    found = _DOC_NO.search(info.doc_no)
    return bool(found and found.group(2) == year and found.group(3) == number)


def _quoted_titles(text: str) -> list[str]:
    """《…》 that name a document (end like a title: …通知, …办法, …法), not 《通行证》."""
    return [t for t in _QUOTED.findall(text) if _DOC_TITLE.search(t)]


def _title_matches(quoted: str, catalog: Catalog) -> set[str]:
    key = title_key(quoted)
    if len(key) < MIN_MENTION_CHARS:
        return set()
    return {d.doc_hash for d in catalog.docs.values()
            if key in d.key or (len(d.key) >= MIN_KEY_CHARS and d.key in key)}


def _mentions(text: str, catalog: Catalog) -> tuple[set[str], str]:
    """Documents whose title covers a title-like phrase of the question ("座谈会讲话")."""
    found: set[str] = set()
    label = ""
    for match in _MENTION.finditer(text):
        for info in catalog.docs.values():
            phrase = _covered_phrase(match.group("body"), match.group("kind"), info.title)
            if phrase:
                found.add(info.doc_hash)
                label = label or _LEADING_FILLER.sub("", phrase)
    return found, label


def _covered_phrase(body: str, kind: str, title: str) -> str:
    """The mention (body + kind word) without leading words the title lacks, when the title
    contains the kind word and, in runs of 3+ characters, most of the rest ("座谈会讲话")."""
    if kind not in title:
        return ""
    covered = [False] * len(body)
    i = 0
    while i < len(body):
        size = next((n for n in range(len(body) - i, MIN_RUN - 1, -1)
                     if body[i:i + n] in title), 0)
        covered[i:i + size] = [True] * size
        i += size or 1
    start = covered.index(True) if True in covered else len(body)
    rest = covered[start:]
    phrase = body[start:] + kind
    if start > MAX_LEADING or len(phrase) < MIN_MENTION_CHARS:
        return ""
    if rest and sum(rest) < MENTION_COVER * len(rest):
        return ""
    return phrase


def _issuer_matches(text: str, catalog: Catalog) -> set[str]:
    return {d.doc_hash for d in catalog.docs.values()
            if any(len(name) >= MIN_ISSUER_CHARS and name in text for name in d.issuer.split())}


def _replace(scope: DocScope, **changes: object) -> DocScope:
    return replace(scope, **changes)  # type: ignore[arg-type]


def doc_years(passage: Passage) -> set[int]:
    """The years a passage's document is about: named in its title, and of its date."""
    years = title_years(passage.title)
    return years | ({int(passage.date[:4])} if passage.date[:4].isdigit() else set())


def _text_year(passage: Passage) -> int | None:
    """The year 今年 in a document means: of its date, else the one year its title names."""
    if passage.date[:4].isdigit():
        return int(passage.date[:4])
    years = title_years(passage.title)
    return min(years) if len(years) == 1 else None


def answer_notes(citations: Sequence[Citation], scope: DocScope | None) -> tuple[str, ...]:
    """Which documents (and versions, and status) an answer rests on; how relative years read."""
    notes = list(scope.resolved) if scope else []
    seen: set[str] = set()
    for citation in citations:
        p = citation.passage
        if p.title in seen:
            continue
        seen.add(p.title)
        extra = version_note(p) + status_note(p)
        if extra or (scope and not scope.is_empty()):
            notes.append(f"依据《{p.title}》{_date_label(p)}{extra}")
        year = _text_year(p)
        for word in dict.fromkeys(_RELATIVE_RE.findall(p.text)):
            if year and word in ("今年", "去年", "明年"):
                notes.append(f"《{p.title}》中的“{word}”指{year + _RELATIVE[word]}年")
    return tuple(dict.fromkeys(notes))


def _date_label(passage: Passage) -> str:
    date = chinese_date(passage.date)
    return f"（{date}）" if date else ""
