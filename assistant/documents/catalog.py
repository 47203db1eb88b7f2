"""The stored documents as the question scope sees them: years, version groups, policy status.

Versions are documents with the same normalised title (征求意见稿 / （试行） / years removed) and
different dates; the newest is the current one. A document's status is the one set with
`policyqa meta`, else 已废止 when another stored document repeals it (同时废止《…》), else what
its own text says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from assistant.core.dates import chinese_date, date_number
from assistant.core.types import DocRecord, Passage
from assistant.documents.places import catalog_places

_DRAFT = re.compile(r"[（(][^（）()]*(?:征求意见|草案|送审|试行|暂行|修订|讨论稿|代拟稿)"
                    r"[^（）()]*[）)]")
_YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})\s*年度?")
_KEY_DROP = re.compile(r"[\s《》“”\"']")
MIN_KEY_CHARS = 6  # shorter normalised titles ("工作要点") are too generic to group versions
STATUS_BY_META = "meta"


@dataclass(frozen=True)
class DocInfo:
    doc_hash: str
    title: str
    key: str  # normalised title shared by the versions of one document
    years: frozenset[int]  # named in the title, and of the date
    order: int  # YYYYMMDD (title year when undated) for newest-first
    date: str
    doc_no: str
    issuer: str
    status: str
    sources: tuple[str, ...]

    def label(self, full: bool = False) -> str:
        """How a version is named: 2024年, or 2024年3月1日 (full, when two share a year)."""
        if not self.order:
            return "未注明日期"
        if not full or not self.date:
            return f"{self.order // 10000}年"
        return chinese_date(self.date)


def title_key(title: str) -> str:
    """征求意见稿, （试行）, years and spacing removed: the versions of one document share it."""
    key = _DRAFT.sub("", title)
    key = _YEAR_IN_TITLE.sub("", key)
    return _KEY_DROP.sub("", key)


def title_years(title: str) -> set[int]:
    return {int(y) for y in _YEAR_IN_TITLE.findall(_DRAFT.sub("", title))}


class Catalog:
    def __init__(self, records: Iterable[DocRecord]) -> None:
        records = list(records)
        self._manual = {r.doc_hash for r in records if r.extra.get("status_by") == STATUS_BY_META}
        self.docs = {r.doc_hash: _info(r) for r in records}
        self._mark_repealed(records)
        self.groups: dict[str, list[DocInfo]] = {}
        for info in self.docs.values():
            if len(info.key) >= MIN_KEY_CHARS:
                self.groups.setdefault(info.key, []).append(info)
        for key, group in list(self.groups.items()):
            if len({d.order for d in group if d.order}) < 2:
                del self.groups[key]  # reposts of one document, not versions of it
            group.sort(key=lambda d: -d.order)

    def _mark_repealed(self, records: list[DocRecord]) -> None:
        """已废止 for a document a later stored one repeals, unless `meta` set its status."""
        by_key: dict[str, list[DocInfo]] = {}
        for info in self.docs.values():
            by_key.setdefault(info.key, []).append(info)
        for record in records:
            repealer = self.docs[record.doc_hash]
            for title in record.extra.get("repeals", ()):
                for info in by_key.get(title_key(title), []):
                    manual = info.doc_hash in self._manual
                    if info is not repealer and info.order <= repealer.order and not manual:
                        self.docs[info.doc_hash] = replace(info, status="已废止")

    @cached_property
    def places(self) -> frozenset[str]:
        """Stems of the places the stored documents' titles and issuers name (a question's
        bare place-like word is a place only if one of these)."""
        return catalog_places(f"{d.title} {d.issuer}" for d in self.docs.values())

    def versions(self, doc_hash: str) -> list[DocInfo]:
        """All versions of a document, newest first (just itself when it has none)."""
        info = self.docs[doc_hash]
        return self.groups.get(info.key, [info])

    def older_versions(self, hashes: Iterable[str] | None = None) -> set[str]:
        """Documents with a newer stored version (among `hashes`, or all)."""
        wanted = set(self.docs if hashes is None else hashes)
        return {d.doc_hash for g in self.groups.values() for d in g[1:]
                if d.doc_hash in wanted and d.order < g[0].order}

    def with_year(self, year: int, hashes: Iterable[str] | None = None) -> set[str]:
        pool = self.docs.values() if hashes is None else (self.docs[h] for h in hashes)
        return {d.doc_hash for d in pool if year in d.years}

    def annotate(self, passages: Sequence[Passage]) -> list[Passage]:
        """Passages with their document's resolved status and the dates of other versions."""
        out = []
        for p in passages:
            info = self.docs.get(p.doc_hash)
            if info is None:
                out.append(p)
                continue
            out.append(replace(p, status=info.status, versions=self._labels(info)))
        return out

    def _labels(self, info: DocInfo) -> tuple[str, ...]:
        """This version's label, then the other versions' (empty without other versions)."""
        group = self.versions(info.doc_hash)
        if len(group) < 2:
            return ()
        full = len({v.label() for v in group}) < len(group)
        others = [v.label(full) for v in group if v is not info]
        return (info.label(full), *others)


def _info(record: DocRecord) -> DocInfo:
    years = title_years(record.title)
    if record.date[:4].isdigit():
        years.add(int(record.date[:4]))
    order = date_number(record.date) or (max(years) * 10000 if years else 0)
    return DocInfo(record.doc_hash, record.title, title_key(record.title), frozenset(years),
                   order, record.date, record.doc_no, record.issuer, record.status,
                   record.sources)
