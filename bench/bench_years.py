"""Year questions over the real 国务院政府工作报告 2013–2018 (not a test).

    .venv/bin/python bench/bench_years.py [bench/gwr_qa.jsonl] [--docs ../shared/corpus/gwr-dev]
        [--store /tmp/gwr] [--embed e5-onnx-int8]

The reports carry no year in a title line: the 2017 one has a date line, 2014–2016 a
"YYYY年工作回顾" part, 2013 and 2018 only their file names (read as the last resort); the report of
year N reviews N−1 and plans N. bench/gwr_qa.jsonl holds 54 questions of five kinds — `year`
(a target of year N), `relative` (今年/去年 in a named report), `session` (十二届全国人大四次会议),
`previous_year` (what was achieved in N: the report of N+1) and `missing` (a report that is not
stored) — split by report into fold A (2013, 2015, 2017) and fold B (2014, 2016, 2018).

Prints, per fold and kind: the right report at rank 1, answer keys in the extractive answer,
refusals; for `missing`, refusals and whether the refusal names the stored years. Every rule was
written before looking at fold B's numbers; the per-fold split is there to show whether a rule
only works on the reports it was written against.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import json  # noqa: E402

from assistant.core.settings import Settings  # noqa: E402
from assistant.services import Services  # noqa: E402

KINDS = ("year", "relative", "session", "previous_year", "missing")
STORED = "已收录：2013年、2014年、2015年、2016年、2017年、2018年"


def build(store: Path, embed: str, docs: Path) -> Services:
    services = Services(Settings(store={"path": store}, embedding={"mode": embed},
                                 retrieval={"today": "2026-03-01"}))
    if not services.kb.records():
        services.ingest([docs])
    return services


def judge(services: Services, item: dict) -> dict:
    answer = services.ask(item["question"])
    top = Path(answer.passages[0].source).stem if answer.passages else ""
    if item.get("unanswerable"):
        return {"ok": answer.refused, "named": answer.refused and STORED in answer.text,
                "refused": answer.refused, "keys": False}
    keys = all(k in answer.text for k in item.get("answer_keys", []))
    return {"ok": top == item["docid"], "keys": keys, "refused": answer.refused, "named": False}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("qa_file", nargs="?", type=Path, default=ROOT / "bench" / "gwr_qa.jsonl")
    parser.add_argument("--docs", type=Path, default=ROOT.parent / "shared" / "corpus" / "gwr-dev")
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--embed", default="e5-onnx-int8")
    parser.add_argument("--show", action="store_true", help="print every question that fails")
    args = parser.parse_args()
    items = [json.loads(line) for line in args.qa_file.read_text("utf-8").splitlines() if line]
    with tempfile.TemporaryDirectory() as folder:
        services = build(args.store or Path(folder) / "kb", args.embed, args.docs)
        results: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for item in items:
            result = judge(services, item)
            results[(item["fold"], item["kind"])].append(result)
            if args.show and not result["ok"]:
                print(f"FAIL {item['id']} {item['kind']}: {item['question']}")
    print(f"{args.qa_file.name} over {args.docs.name}, embedding {args.embed}\n")
    print("| kind | fold A: right report at rank 1 (missing: refused) | answer keys | fold B: "
          "right report at rank 1 (missing: refused) | answer keys |")
    print("|---|---|---|---|---|")
    for kind in KINDS:
        cells = []
        for fold in "AB":
            rows = results[(fold, kind)]
            ok = sum(r["ok"] for r in rows)
            extra = sum(r["named"] if kind == "missing" else r["keys"] for r in rows)
            cells += [f"{ok}/{len(rows)}", f"{extra}/{len(rows)}" + (" name the stored years"
                                                                   if kind == "missing" else "")]
        print(f"| {kind} | " + " | ".join(cells) + " |")
    for fold in "AB":
        rows = [r for (f, k), rs in results.items() if f == fold and k != "missing" for r in rs]
        ok = sum(r["ok"] for r in rows)
        print(f"\nfold {fold}: right report at rank 1 on the year questions "
              f"{ok}/{len(rows)} = {ok / len(rows):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
