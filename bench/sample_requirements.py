"""Rows of 汇总 to hand-check, drawn at random (seeded) from ncp-dev, and the precision of the
judgements written down for them.

    .venv/bin/python bench/sample_requirements.py --store KB --draw 10 > rows.jsonl  # to judge
    .venv/bin/python bench/sample_requirements.py --score bench/requirements_precision.jsonl

A judged row has "ok": true when the requirement really is addressed to the target (it must do
it, or a body must make it do it), false otherwise, and a "why" for the false ones.

- bench/requirements_precision.jsonl: 120 rows (seed 14, 10 per target). The rules were revised
  after judging earlier draws of this seed, so this is the tuning sample.
- bench/requirements_precision_heldout.jsonl: 60 rows (seed 2020, 5 per target), drawn and
  judged once after the last revision; "in_tuning_sample" marks the 16 that the other file
  also has.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = ("企业", "医疗机构", "学校", "社区", "交通运输部门", "乡镇", "金融机构", "卫生健康部门",
           "人社部门", "各县（市、区）", "商务部门", "税务部门")


def draw(store: Path, per_target: int, seed: int) -> None:
    from assistant.core.settings import Settings
    from assistant.services import Services
    from assistant.staff.requirements import requirement_table

    services = Services(Settings(store={"path": store}, embedding={"mode": "hash"}))
    rng = random.Random(seed)
    for target in TARGETS:
        rows = [r for r in requirement_table(services, target).rows
                if "/ncp-dev/" in r.passage.source]
        for row in sorted(rng.sample(rows, min(per_target, len(rows))),
                          key=lambda r: r.passage.chunk_id):
            print(json.dumps({"target": target, "file": row.passage.source.split("/")[-1],
                              "title": row.passage.title, "kind": row.kind,
                              "mention": row.target, "requirement": row.requirement,
                              "heading": row.passage.heading}, ensure_ascii=False))


def score(path: Path) -> None:
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    by_target: Counter = Counter()
    good: Counter = Counter()
    for row in rows:
        for key in (row["target"], f"kind:{row['kind']}", "all"):
            by_target[key] += 1
            good[key] += bool(row["ok"])
    print("| target | rows | judged addressed to it | precision |\n|---|---|---|---|")
    for key in [*dict.fromkeys(r["target"] for r in rows),
                *sorted(k for k in by_target if k.startswith("kind:")), "all"]:
        print(f"| {key} | {by_target[key]} | {good[key]} | {good[key] / by_target[key]:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path)
    parser.add_argument("--draw", type=int, default=0, help="rows per target to draw")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--score", type=Path)
    args = parser.parse_args()
    if args.score:
        score(args.score)
    elif args.store and args.draw:
        draw(args.store, args.draw, args.seed)
    else:
        parser.error("give --store and --draw, or --score")


if __name__ == "__main__":
    main()
