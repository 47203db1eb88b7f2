"""任务清单 quality: rows, precision and recall of the task breakdown, as Markdown tables.

    .venv/bin/python bench/bench_tasks.py                 # rule-based, samples + seed speech
    .venv/bin/python bench/bench_tasks.py --llm local --only 防汛  # the model path too (slow)

precision (grounded): share of rows whose every 责任单位 and 时限 string occurs in the passage the
row cites. precision (gold): share of rows that are a task of the hand-written list
samples/tasks_gold.jsonl (its key phrase is in the row's task text). recall: share of the gold
tasks some row's task text contains. unit/deadline ok: among recalled gold tasks, the row names
every gold unit / the gold deadline. The seed speech has no gold list: rows and grounded
precision only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.settings import Settings  # noqa: E402
from assistant.documents.library import file_passages  # noqa: E402
from assistant.staff.tasks.rules import TaskRow, extract_rules  # noqa: E402

SAMPLES = ROOT / "samples" / "docs"
GOLD = ROOT / "samples" / "tasks_gold.jsonl"
SEED = Path("/work/shared/corpus/seed")


def grounded(row: TaskRow) -> bool:
    text = "".join(row.passage.text.split())
    parts = [*row.units, *(d for d in row.deadline.split("、") if d)]
    return all("".join(p.split()) in text for p in parts)


def score(rows: list[TaskRow], gold: list[dict]) -> dict[str, str]:
    out = {"rows": str(len(rows)),
           "precision (grounded)": _pct(sum(map(grounded, rows)), len(rows))}
    if not gold:
        return out | {"precision (gold)": "—", "recall": "—", "unit ok": "—", "deadline ok": "—"}
    matched = [g for g in gold if any(g["key"] in r.task for r in rows)]
    on_gold = sum(any(g["key"] in r.task for g in gold) for r in rows)
    unit_ok = deadline_ok = 0
    for g in matched:
        row = next(r for r in rows if g["key"] in r.task)
        unit_ok += all(u in row.units for u in g["units"])
        deadline_ok += (g["deadline"] or "") in row.deadline
    return out | {"precision (gold)": _pct(on_gold, len(rows)),
                  "recall": f"{_pct(len(matched), len(gold))} ({len(matched)}/{len(gold)})",
                  "unit ok": _pct(unit_ok, len(matched)),
                  "deadline ok": _pct(deadline_ok, len(matched))}


def _pct(n: int, d: int) -> str:
    return f"{n / d:.0%}" if d else "—"


def run(name: str, extract, paths: list[Path], gold: list[dict], settings: Settings) -> list[str]:
    lines = []
    for path in paths:
        passages = file_passages(path, settings)
        times = []
        for _ in range(3 if name == "rules" else 1):
            start = time.perf_counter()
            rows = extract(passages)
            times.append(time.perf_counter() - start)
        stats = score(rows, [g for g in gold if g["doc"] == path.stem])
        lines.append(f"| {name} | {path.stem[:24]} | " + " | ".join(stats.values())
                     + f" | {statistics.median(times):.2f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", choices=["local", "openai"], help="also run the model path")
    parser.add_argument("--only", default="", help="only documents whose name contains this")
    args = parser.parse_args()
    settings = Settings(embedding={"mode": "hash"})
    gold = [json.loads(line) for line in GOLD.read_text("utf-8").splitlines() if line.strip()]
    paths = sorted(SAMPLES.iterdir()) + (sorted(SEED.glob("*.txt")) if SEED.is_dir() else [])
    paths = [p for p in paths if args.only in p.name]
    print("| path | document | rows | precision (grounded) | precision (gold) | recall | "
          "unit ok | deadline ok | median s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for line in run("rules", extract_rules, paths, gold, settings):
        print(line, flush=True)
    if args.llm:
        from assistant.services import Services
        from assistant.staff.tasks.llm import extract_llm

        services = Services(settings.model_copy(update={
            "llm": settings.llm.model_copy(update={"mode": args.llm})}))
        model = services.chat_model(args.llm)
        budget = settings.llm.local_context_chars
        for line in run(args.llm, lambda ps: extract_llm(ps, model, budget)[0], paths, gold,
                        settings):
            print(line, flush=True)


if __name__ == "__main__":
    main()
