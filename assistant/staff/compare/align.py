"""Compare two documents (two versions of one 通知, two years of one 公报): sections aligned by
heading, then by content; sentences aligned within each section pair; every difference
classified as 新增 / 删除 / 修改 (with the fields that changed: 目标/数值, 时限, 责任单位,
标题, 表述) and citing the passage it sits in on each side.

Works on the stored chunks (KnowledgeBase.document_passages) or on any Passage list; the
document's text and heading tree are rebuilt from the chunks (see compare_sections), so chunk
overlap and packed sibling sections do not show up as differences. Laws renumber their
articles, so bare 第X条 headings and sentence numbering are not compared; sentences that moved
between sections are not differences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from assistant.core.text import bigram_set, jaccard, squash
from assistant.core.types import Passage
from assistant.staff.compare.fields import NUMBERING, field_changes, heading_key, sentence_key
from assistant.staff.compare.sections import Section, Sentence, sections_of

SECTION_MIN_SIM = 0.3  # bigram Jaccard for pairing sections whose headings differ
SENTENCE_MIN_SIM = 0.5  # bigram Jaccard for calling two sentences one modified sentence
SENTENCE_BAND = 40  # a modified sentence is looked for this many places around its position
MAX_RECONCILE = 250_000  # deleted × added sentences compared across sections, at most
ADDED, REMOVED, CHANGED = "新增", "删除", "修改"


@dataclass(frozen=True)
class Difference:
    kind: str  # 新增 / 删除 / 修改
    where: str  # heading path (B's, or A's for a deletion)
    old: Sentence | None
    new: Sentence | None
    changes: tuple[str, ...] = ()  # e.g. "目标 5% → 6%", "时限 10月底前 → 9月底前"


@dataclass(frozen=True)
class Comparison:
    title_a: str
    title_b: str
    differences: tuple[Difference, ...]
    same_sections: int  # aligned sections with no difference at all
    same_sentences: int
    moved: int = 0  # sentences found unchanged in another section


def _changes(old: str, new: str) -> tuple[str, ...]:
    """field_changes without the sentences' own numbering (第十条 → 第九条 is renumbering)."""
    return field_changes(NUMBERING.sub("", old), NUMBERING.sub("", new))


# --- alignment ---------------------------------------------------------------------------------
def align_sections(a: list[Section], b: list[Section]) -> list[tuple[int | None, int | None]]:
    """Pairs of section indexes (None on the side where a section has no counterpart), in
    document order: by heading key, then identical content, then similar content nearby."""
    pairs = _pair_by_key(a, b)
    pairs |= _pair_identical(a, b, pairs)
    pairs |= _pair_similar(a, b, pairs)
    return _in_order(pairs, len(a), len(b))


def _pair_by_key(a: list[Section], b: list[Section]) -> dict[int, int]:
    """Same heading text (numbering aside); bare numbers like 第十二条 say nothing (laws get
    renumbered), so those sections are paired by their content."""
    free_b: dict[str, list[int]] = {}
    for j, section in enumerate(b):
        if not section.path or heading_key(section.path[-1]):
            free_b.setdefault(section.key, []).append(j)
    pairs: dict[int, int] = {}
    for i, section in enumerate(a):
        if free_b.get(section.key) and (not section.path or heading_key(section.path[-1])):
            pairs[i] = free_b[section.key].pop(0)
    return pairs


def _content(section: Section) -> str:
    return "".join(squash(NUMBERING.sub("", x.text)) for x in section.sentences) or section.where


def _pair_identical(a: list[Section], b: list[Section], pairs: dict[int, int]) -> dict[int, int]:
    used = set(pairs.values())
    free_b: dict[str, list[int]] = {}
    for j, section in enumerate(b):
        if j not in used:
            free_b.setdefault(_content(section), []).append(j)
    found: dict[int, int] = {}
    for i, section in enumerate(a):
        if i not in pairs and free_b.get(_content(section)):
            found[i] = free_b[_content(section)].pop(0)
    return found


def _pair_similar(a: list[Section], b: list[Section], pairs: dict[int, int]) -> dict[int, int]:
    """Each run of unpaired A sections against the unpaired B sections between the partners
    of the pairs around it (cost stays near linear when most sections pair up earlier)."""
    found: dict[int, int] = {}
    used = set(pairs.values())
    i = 0
    while i < len(a):
        if i in pairs:
            i += 1
            continue
        end = next((k for k in range(i, len(a)) if k in pairs), len(a))
        lo = pairs[i - 1] + 1 if i > 0 else 0
        hi = pairs[end] if end < len(a) else len(b)
        run_a = list(range(i, end))
        run_b = [j for j in range(lo, hi) if j not in used]
        matched = _greedy_pairs([_content(a[k]) for k in run_a], [_content(b[j]) for j in run_b],
                                SECTION_MIN_SIM)
        found |= {run_a[x]: run_b[y] for x, y in matched.items()}
        used |= {run_b[y] for y in matched.values()}
        i = end
    return found


def _greedy_pairs(old: list[str], new: list[str], threshold: float,
                  band: int | None = None) -> dict[int, int]:
    """Most similar pairs first, each item used once, none below the threshold; with a band,
    only items at most `band` places apart are compared."""
    grams_new = [bigram_set(y) for y in new]
    scored = []
    for i, x in enumerate(old):
        grams = bigram_set(x)
        lo, hi = (0, len(new)) if band is None else (max(0, i - band), i + band + 1)
        scored += [(jaccard(grams, grams_new[j]), i, j) for j in range(lo, min(hi, len(new)))]
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for score, i, j in sorted(scored, reverse=True):
        if score < threshold:
            break
        if i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    return pairs


def _in_order(pairs: dict[int, int], n_a: int, n_b: int) -> list[tuple[int | None, int | None]]:
    """B's order, each A-only section placed before the first pair that follows it in A."""
    by_b = {j: i for i, j in pairs.items()}
    out: list[tuple[int | None, int | None]] = []
    next_a = 0
    for j in range(n_b):
        i = by_b.get(j)
        if i is not None:
            out += [(k, None) for k in range(next_a, i) if k not in pairs]
            next_a = max(next_a, i + 1)
        out.append((i, j))
    out += [(k, None) for k in range(next_a, n_a) if k not in pairs]
    return out


def compare_sentences(old: list[Sentence], new: list[Sentence],
                      where: str) -> tuple[list[Difference], int]:
    """Differences between two aligned sections' sentences, and how many sentences are equal."""
    keys_a, keys_b = [sentence_key(s.text) for s in old], [sentence_key(s.text) for s in new]
    diffs: list[Difference] = []
    same = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, keys_a, keys_b, autojunk=False).get_opcodes():
        if tag == "equal":
            same += i2 - i1
        else:
            diffs += _block(old[i1:i2], new[j1:j2], where)
    return diffs, same


def _block(old: list[Sentence], new: list[Sentence], where: str) -> list[Difference]:
    """A replaced run of sentences: near-matches become 修改, the rest 删除/新增 in order."""
    match = _greedy_pairs([a.text for a in old], [b.text for b in new], SENTENCE_MIN_SIM,
                          SENTENCE_BAND)
    by_new = {j: i for i, j in match.items()}
    out = [Difference(REMOVED, where, a, None) for i, a in enumerate(old) if i not in match]
    for j, b in enumerate(new):
        k = by_new.get(j)
        out.append(Difference(ADDED, where, None, b) if k is None else
                   Difference(CHANGED, where, old[k], b, _changes(old[k].text, b.text)))
    return out


# --- the whole comparison -----------------------------------------------------------------------
def compare(old: Sequence[Passage], new: Sequence[Passage]) -> Comparison:
    """Compare document A (`old`) with document B (`new`), both as their chunks."""
    a, b = sections_of(old), sections_of(new)
    diffs: list[Difference] = []
    same_sections = same_sentences = 0
    renamed: set[tuple[str, str]] = set()
    for i, j in align_sections(a, b):
        if j is None:
            assert i is not None
            diffs += [Difference(REMOVED, a[i].where, s, None) for s in a[i].sentences]
        elif i is None:
            diffs += [Difference(ADDED, b[j].where, None, s) for s in b[j].sentences]
        else:
            found, same = compare_sentences(a[i].sentences, b[j].sentences, b[j].where)
            found = _renames(a[i], b[j], renamed) + found
            same_sentences += same
            same_sections += not found
            diffs += found
    diffs, moved = _reconcile(diffs)
    title = lambda ps: ps[0].title if ps else ""  # noqa: E731
    return Comparison(title(old), title(new), tuple(diffs), same_sections, same_sentences,
                      moved)


def _reconcile(diffs: list[Difference]) -> tuple[list[Difference], int]:
    """Across sections (a paragraph moved, or clean-up cut the two versions into sections
    differently): a deleted sentence added unchanged elsewhere is no difference, one added
    reworded is a 修改. Returns the differences left and how many sentences moved."""
    removed: dict[str, list[int]] = {}
    for n, d in enumerate(diffs):
        if d.old and d.kind == REMOVED:
            removed.setdefault(sentence_key(d.old.text), []).append(n)
    gone: set[int] = set()
    for n, d in enumerate(diffs):
        if d.new and d.kind == ADDED and removed.get(sentence_key(d.new.text)):
            gone |= {n, removed[sentence_key(d.new.text)].pop(0)}
    moved = len(gone) // 2
    left_old = [n for n, d in enumerate(diffs) if d.kind == REMOVED and n not in gone]
    left_new = [n for n, d in enumerate(diffs) if d.kind == ADDED and n not in gone]
    out = dict(enumerate(diffs))
    if len(left_old) * len(left_new) <= MAX_RECONCILE:
        texts = lambda ns, side: [getattr(diffs[n], side).text for n in ns]  # noqa: E731
        pairs = _greedy_pairs(texts(left_old, "old"), texts(left_new, "new"), SENTENCE_MIN_SIM)
        for x, y in pairs.items():
            old, new = diffs[left_old[x]].old, diffs[left_new[y]].new
            assert old is not None and new is not None
            gone.add(left_old[x])
            out[left_new[y]] = Difference(CHANGED, diffs[left_new[y]].where, old, new,
                                          _changes(old.text, new.text))
    return [d for n, d in out.items() if n not in gone], moved


def _renames(a: Section, b: Section, seen: set[tuple[str, str]]) -> list[Difference]:
    """A heading reworded at some level of the path, reported once per heading."""
    out = []
    for old, new in zip(a.path, b.path, strict=False):
        renumbered = NUMBERING.sub("", old) == NUMBERING.sub("", new)
        if not renumbered and (old, new) not in seen:
            seen.add((old, new))
            out.append(Difference(CHANGED, b.where, Sentence(old, a.passage),
                                  Sentence(new, b.passage), (f"标题 {old} → {new}",)))
    return out
