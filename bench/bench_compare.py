"""Compare mode: precision/recall of the differences `policyqa compare` finds, and its time.

1. The fictional test versions (tests/data/compare): the known edits, listed here by hand.
2. Real documents (the seed speech, and some ncp-dev documents) against copies this script
   edits with K known edits — a number changed, a 月底前 deadline moved, a sentence deleted, a
   sentence added, a word reworded — with several random seeds.

A detected difference is correct when its type and its A/B sentences are those of a known edit;
for a changed number or deadline, "field ok" also asks that the right field is named.

    .venv/bin/python bench/bench_compare.py [--seeds 10] [--edits 10] [--ncp 20]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.text import split_sentences  # noqa: E402
from assistant.staff.compare.align import ADDED, CHANGED, REMOVED, compare  # noqa: E402
from assistant.staff.compare.sections import text_passages  # noqa: E402
from ingest.clean import clean_text  # noqa: E402
from ingest.headings import detect_heading  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
DATA = ROOT / "tests" / "data" / "compare"
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?=[%％万亿元个家项人户亩])")
_MONTH = re.compile(r"(?<!\d)(\d{1,2})月(底|末)?前")
_ENDS = ("。", "；", "！", "？")
_REWORDS = (("加强", "强化"), ("推进", "推动"), ("进一步", "持续"), ("积极", "主动"))
_ADDED = ("各地要建立工作台账，每季度第{n}周报送一次进展情况。",
          "对工作推进不力的单位，由督查组进行第{n}轮约谈提醒。",
          "鼓励社会资本参与第{n}批示范项目建设，形成多元投入格局。")


@dataclass(frozen=True)
class Edit:
    kind: str
    old: str  # "" for an added sentence
    new: str  # "" for a deleted one
    field: str = ""  # the field a modification must name: 数值/目标 → "num", 时限 → "时限"


# --- the fictional test versions ---------------------------------------------------------------
NOTICE = [Edit(CHANGED, "全市工业增加值年均增长5%以上。", "全市工业增加值年均增长6%以上。", "num"),
          Edit(CHANGED, "市工信局要组织开展企业上云专项行动，10月底前完成首批200家企业上云。",
               "市工信局要组织开展企业上云专项行动，9月底前完成首批200家企业上云。", "时限"),
          Edit(CHANGED, "支持龙头企业建设行业级工业互联网平台，责任单位：市发改委。",
               "支持龙头企业建设行业级工业互联网平台，责任单位：市工信局。", "责任单位"),
          Edit(CHANGED, "（三）培养数字化人才", "（三）加强数字化人才培养", "标题"),
          Edit(CHANGED, "XX市关于推进制造业数字化转型的通知（征求意见稿）",
               "XX市关于推进制造业数字化转型的通知", "表述"),
          Edit(ADDED, "", "对完成上云的企业，按实际云服务支出的30%给予补助。"),
          Edit(REMOVED, "对参训企业给予培训费用一定比例的补贴。", "")]
REPORT = [Edit(CHANGED, "XX市2023年国民经济和社会发展统计公报",
               "XX市2024年国民经济和社会发展统计公报", "年份"),
          Edit(CHANGED, "全年地区生产总值1200亿元，比上年增长5.2%。",
               "全年地区生产总值1290亿元，比上年增长5.6%。", "num"),
          Edit(CHANGED, "年末规模以上工业企业达到850家。",
               "年末规模以上工业企业达到912家。", "num"),
          Edit(CHANGED, "全年固定资产投资比上年增长4.8%。",
               "全年固定资产投资比上年增长5.1%。", "num")]


# --- edits applied to a real document ---------------------------------------------------------
def sentences(text: str) -> list[str]:
    """Body sentences (not headings, not unpunctuated list lines, which clean-up may join to
    their neighbours) that occur once in the text, long enough to edit."""
    out = []
    for line in text.splitlines():
        if line.strip() and detect_heading(line) is None:
            out += [s for s in split_sentences(line) if len(s) >= 12 and text.count(s) == 1
                    and s.endswith(_ENDS)]
    return out


def edit_document(text: str, k: int, rng: random.Random) -> tuple[str, list[Edit]]:
    """`text` with up to k edits (one per sentence, kinds in turn), and what they were."""
    pool = sentences(text)
    rng.shuffle(pool)
    kinds = ["num", "时限", REMOVED, ADDED, "表述"]
    edits: list[Edit] = []
    for i in range(k):
        kind = kinds[i % len(kinds)]
        for j, sentence in enumerate(pool):
            edit = _one_edit(kind, sentence, i)
            if edit is not None:
                pool.pop(j)
                text = text.replace(sentence, edit.new if kind != ADDED else sentence + edit.new)
                edits.append(edit)
                break
    return text, edits


def _one_edit(kind: str, sentence: str, i: int) -> Edit | None:
    match kind:
        case "num":
            m = _NUMBER.search(sentence)
            if not m or m.group(1).startswith("20") and len(m.group(1)) == 4:
                return None
            bumped = _bump(m.group(1))
            return Edit(CHANGED, sentence, sentence[:m.start(1)] + bumped + sentence[m.end(1):],
                        "num")
        case "时限":
            m = _MONTH.search(sentence)
            if not m:
                return None
            month = int(m.group(1)) % 12 + 1
            return Edit(CHANGED, sentence, sentence[:m.start(1)] + str(month) +
                        sentence[m.end(1):], "时限")
        case "表述":
            old, new = next(((o, n) for o, n in _REWORDS if o in sentence), ("", ""))
            return Edit(CHANGED, sentence, sentence.replace(old, new, 1), "表述") if old else None
        case kind if kind == REMOVED:
            return Edit(REMOVED, sentence, "")
        case _:  # a new sentence after this one
            return Edit(ADDED, "", _ADDED[i % len(_ADDED)].format(n=i + 1))


def _bump(number: str) -> str:
    if "." in number:
        return f"{float(number) + 0.5:.{len(number.split('.')[1])}f}"
    return str(int(number) + max(1, int(number) // 10))


# --- scoring ----------------------------------------------------------------------------------
def score(a_text: str, b_text: str, edits: list[Edit]) -> tuple[int, int, int, int, float]:
    """(detected, correct, known, right field, seconds) for one pair of texts."""
    a, b = text_passages(a_text, "A"), text_passages(b_text, "B")
    start = time.perf_counter()
    found = compare(a, b).differences
    seconds = time.perf_counter() - start
    key = lambda kind, old, new: (kind, old.strip(), new.strip())  # noqa: E731
    known = {key(e.kind, e.old, e.new): e for e in edits}
    correct = fields = 0
    for d in found:
        edit = known.get(key(d.kind, d.old.text if d.old else "", d.new.text if d.new else ""))
        if edit is None:
            continue
        correct += 1
        fields += edit.kind != CHANGED or _names(d.changes, edit.field)
    return len(found), correct, len(edits), fields, seconds


def _names(changes: tuple[str, ...], field: str) -> bool:
    first = changes[0].split(" ")[0] if changes else ""
    return first in ("目标", "数值") if field == "num" else first == field


def row(name: str, runs: list[tuple[int, int, int, int, float]]) -> str:
    detected, correct, known, fields = (sum(r[i] for r in runs) for i in range(4))
    ms = statistics.median(r[4] for r in runs) * 1000
    precision = correct / detected if detected else 1.0
    recall = correct / known if known else 1.0
    return (f"| {name} | {len(runs)} | {known} | {detected} | {precision:.3f} | {recall:.3f} | "
            f"{fields / correct if correct else 0:.3f} | {ms:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="edited copies per document")
    parser.add_argument("--edits", type=int, default=10, help="known edits per copy")
    parser.add_argument("--ncp", type=int, default=20, help="ncp-dev documents (0: none)")
    args = parser.parse_args()
    print("| documents | pairs | known edits | detected | precision | recall | field ok | "
          "median ms/pair |")
    print("|---|---|---|---|---|---|---|---|")
    fictional = [score((DATA / f"{a}.txt").read_text("utf-8"), (DATA / f"{b}.txt").read_text(
        "utf-8"), edits) for a, b, edits in (("notice_draft", "notice_final", NOTICE),
                                             ("report_2023", "report_2024", REPORT))]
    print(row("test versions (notice, report)", fictional))
    seed = sorted((CORPUS / "seed").glob("*.txt"))
    ncp = sorted((CORPUS / "ncp-dev" / "docs").glob("*.txt"))[:args.ncp]
    for name, files in ((f"seed speech ({args.edits} edits)", seed),
                        (f"ncp-dev, {len(ncp)} docs ({args.edits} edits)", ncp)):
        runs = []
        for path in files:
            text = clean_text(path.read_text("utf-8"))
            for s in range(args.seeds):
                edited, edits = edit_document(text, args.edits, random.Random(s))
                runs.append(score(text, edited, edits))
        if runs:
            print(row(name, runs))
    versions()


def versions() -> None:
    """Real successive versions in the laws corpus (same name, different dates): no answer key,
    so only what was found and how long it took."""
    groups: dict[tuple[Path, str], list[Path]] = {}
    for path in (CORPUS / "laws").rglob("*(*).md"):
        groups.setdefault((path.parent, path.name.split("(")[0]), []).append(path)
    print("\n| law versions (laws corpus) | chars (A) | 新增 | 删除 | 修改 | unchanged sentences "
          "| ms |")
    print("|---|---|---|---|---|---|---|")
    for (_, name), paths in sorted(groups.items()):
        paths.sort()
        for old, new in zip(paths, paths[1:], strict=False):
            a_text, b_text = old.read_text("utf-8"), new.read_text("utf-8")
            start = time.perf_counter()
            result = compare(text_passages(a_text, "A"), text_passages(b_text, "B"))
            ms = (time.perf_counter() - start) * 1000
            kinds = [sum(d.kind == k for d in result.differences) for k in (ADDED, REMOVED,
                                                                              CHANGED)]
            dates = f"{old.stem.split('(')[1][:-1]} → {new.stem.split('(')[1][:-1]}"
            print(f"| {name[:24]} {dates} | {len(a_text):,} | {kinds[0]} | {kinds[1]} | "
                  f"{kinds[2]} | {result.same_sentences} | {ms:.0f} |")


if __name__ == "__main__":
    main()
