"""汇总 quality and speed on ncp-dev, as Markdown tables.

    .venv/bin/python bench/bench_requirements.py --store KB     # recall, gold precision
    .venv/bin/python bench/bench_requirements.py --store KB --misses 企业 --half odd

KB is a store holding ncp-dev (any embedder; `policyqa ingest ../shared/corpus/ncp-dev/docs
--store KB`, POLICYQA_EMBEDDING__MODE=hash is enough here). The gold list
(/work/staging/requirements_gold.jsonl, its rules in requirements_rules.md) was written by
another agent who read each document of requirements_docs.json in full; every requirement line
of those documents is in it. A gold line is recalled when a row of its document and target
overlaps it (one contains the other with whitespace removed: the gold splits sentences at
。！？； only, the documents here are split at line ends too). The documents are split in two
halves by their position in requirements_docs.json: the rules were tuned on the even half and
are reported on the odd half (and on both). gold precision: among the rows of the gold
documents, the share that overlap a gold requirement line of that target.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.settings import Settings  # noqa: E402
from assistant.core.text import squash  # noqa: E402
from assistant.services import Services  # noqa: E402
from assistant.staff.requirements import RequirementRow, document_requirements  # noqa: E402
from assistant.staff.targets import make_target  # noqa: E402

STAGING = Path("/work/staging")
CORPUS = Path("/work/shared/corpus")
KINDS = ("direct", "imposed", "implicit")


def load_gold() -> tuple[dict[str, list[str]], list[dict]]:
    docs = json.loads((STAGING / "requirements_docs.json").read_text(encoding="utf-8"))
    lines = [json.loads(x) for x in (STAGING / "requirements_gold.jsonl").open(encoding="utf-8")]
    return docs, lines


def overlaps(row_sentence: str, gold_sentence: str) -> bool:
    a, b = squash(row_sentence), squash(gold_sentence)
    return len(a) >= 6 and (a in b or b in a)


def rows_by_doc(services: Services, docs: dict[str, list[str]]) -> dict[tuple[str, str], list]:
    out = {}
    for target, files in docs.items():
        wanted = make_target(target)
        for file in files:
            record = services.kb.find_source(str(CORPUS / file))
            if record is None:
                raise SystemExit(f"{file} is not in the store: ingest ncp-dev first")
            out[(target, file)] = document_requirements(
                services.kb.document_passages(record.doc_hash), wanted)
    return out


def recall_table(docs, lines, rows, half: str) -> list[str]:
    table = ["| target | half | direct+imposed | implicit | all | gold precision |",
             "|---|---|---|---|---|---|"]
    totals: Counter = Counter()
    for target, files in docs.items():
        picked = [f for i, f in enumerate(files) if half == "all" or i % 2 == (half == "odd")]
        gold = [g for g in lines if g["target"] == target and g["file"] in picked]
        found: Counter = Counter()
        want: Counter = Counter()
        for g in gold:
            if g["label"] != "requirement":
                continue
            kind = "implicit" if g["kind"] == "implicit" else "explicit"
            want[kind] += 1
            if any(overlaps(r.requirement, g["sentence"]) for r in rows[(target, g["file"])]):
                found[kind] += 1
        mine = [r for f in picked for r in rows[(target, f)]]
        good = sum(any(overlaps(r.requirement, g["sentence"]) for g in gold
                       if g["file"] == _file_of(rows, target, r) and g["label"] == "requirement")
                   for r in mine)
        for key in ("explicit", "implicit"):
            totals[f"want_{key}"] += want[key]
            totals[f"found_{key}"] += found[key]
        totals["rows"] += len(mine)
        totals["good"] += good
        table.append(_recall_line(target, half, found, want, good, len(mine)))
    table.append(_recall_line("**all**", half,
                              Counter(explicit=totals["found_explicit"],
                                      implicit=totals["found_implicit"]),
                              Counter(explicit=totals["want_explicit"],
                                      implicit=totals["want_implicit"]),
                              totals["good"], totals["rows"]))
    return table


def _file_of(rows, target: str, row: RequirementRow) -> str:
    return next(f for (t, f), found in rows.items() if t == target and row in found)


def _recall_line(target, half, found, want, good, n) -> str:
    def share(a: int, b: int) -> str:
        return f"{a / b:.2f} ({a}/{b})" if b else "—"

    every = found["explicit"] + found["implicit"], want["explicit"] + want["implicit"]
    return (f"| {target} | {half} | {share(found['explicit'], want['explicit'])} | "
            f"{share(found['implicit'], want['implicit'])} | {share(*every)} | {share(good, n)} |")


def misses(docs, lines, rows, half: str, target: str) -> None:
    """Print the gold lines of one half that no row recalls, and the rows no gold line has."""
    files = [f for i, f in enumerate(docs[target]) if i % 2 == (half == "odd")]
    for g in lines:
        if g["target"] != target or g["file"] not in files or g["label"] != "requirement":
            continue
        if not any(overlaps(r.requirement, g["sentence"]) for r in rows[(target, g["file"])]):
            print(f"MISS {g['kind'][:3]} {g['file'][14:22]} {g['subject'][:12]} | "
                  f"{g['sentence'][:110]}")
    for f in files:
        for r in rows[(target, f)]:
            gold = [g for g in lines if g["file"] == f and g["target"] == target
                    and overlaps(r.requirement, g["sentence"])]
            label = gold[0]["label"] if gold else "none"
            if label != "requirement":
                print(f"EXTRA {label[:5]} {r.kind[:4]} {f[14:22]} {r.target[:10]} | "
                      f"{r.requirement[:110]}")


def timing(store: Path) -> None:
    """Seconds for 汇总 over every stored document (store opening counted apart), per target."""
    from assistant.staff.requirements import requirement_table

    start = time.perf_counter()
    services = Services(Settings(store={"path": store}, embedding={"mode": "hash"}))
    services.kb.records()
    opened = time.perf_counter() - start
    print(f"| target | documents | rows | seconds (store open: {opened:.1f} s, not included) |")
    print("|---|---|---|---|")
    for target in ("企业", "医疗机构", "学校", "社区", "交通运输部门", "乡镇"):
        start = time.perf_counter()
        table = requirement_table(services, target)
        print(f"| {target} | {table.documents} | {len(table.rows)} | "
              f"{time.perf_counter() - start:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--misses", help="print misses and extras of one target (tune half)")
    parser.add_argument("--half", default="even")
    parser.add_argument("--time", action="store_true", help="time 汇总 over the whole store")
    args = parser.parse_args()
    if args.time:
        timing(args.store)
        return
    services = Services(Settings(store={"path": args.store}, embedding={"mode": "hash"}))
    docs, lines = load_gold()
    rows = rows_by_doc(services, docs)
    if args.misses:
        misses(docs, lines, rows, args.half, args.misses)
        return
    for half in ("even", "odd", "all"):
        print("\n".join(recall_table(docs, lines, rows, half)[0 if half == "even" else 2:]))


if __name__ == "__main__":
    main()
