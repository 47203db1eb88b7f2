"""时限日历 resolution accuracy on real documents, as Markdown tables.

    .venv/bin/python bench/bench_deadlines.py --store KB [--show odd]

KB holds ncp-dev and the laws the gold rows come from (any embedder; POLICYQA_EMBEDDING__MODE=hash
is enough): `policyqa ingest ../shared/corpus/ncp-dev/docs <the law files> --store KB`. The gold
(/work/staging/deadlines_gold.jsonl, 112 rows) was labelled by another agent by the rules R1–R10
in each row's "rule" field. Each gold row's sentence is read with the document's dates as the
store holds them (DocRecord.date, .effective — not the labeller's): the time node overlapping the
gold due_text is resolved. A row is right when the due date equals the gold one (both null
counts) and a recurring gold row gets a rule text; a wrong date is a date where the gold has
another date or none. found: the node was detected at all. listed: `deadline_rows` (what
`policyqa deadlines` prints) has a row of that document for that sentence and time node.
The rules were tuned on the even ids and are reported on the odd ids, then the other way round.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.settings import Settings  # noqa: E402
from assistant.core.text import squash  # noqa: E402
from assistant.services import Services  # noqa: E402
from assistant.staff.deadline_list import document_dates, document_deadlines  # noqa: E402
from assistant.staff.deadlines import resolve, time_nodes  # noqa: E402

GOLD = Path("/work/staging/deadlines_gold.jsonl")
CORPUS = Path("/work/shared/corpus")


def judge(services: Services, gold: dict, cache: dict) -> dict:
    record = services.kb.find_source(str(CORPUS / gold["file"]))
    if record is None:
        raise SystemExit(f"{gold['file']} is not in the store: ingest it first")
    if record.doc_hash not in cache:
        passages = services.kb.document_passages(record.doc_hash)
        dates = document_dates(record, passages)
        cache[record.doc_hash] = dates, document_deadlines(passages, dates)
    dates, listed_rows = cache[record.doc_hash]
    sentence, wanted = gold["sentence"], gold["due_text"]
    at = sentence.find(wanted)
    span = (at, at + len(wanted)) if at >= 0 else (0, len(sentence))
    nodes = [n for n in time_nodes(sentence) if n.start < span[1] and span[0] < n.end]
    due = resolve(nodes[0], sentence, dates) if nodes else None
    date = due.date if due else None
    recurring_ok = (gold["recurring"] is None) == (due is None or due.recurring is None)
    listed = any(squash(r.due_text) in squash(wanted) or squash(wanted) in squash(r.due_text)
                 for r in listed_rows if squash(r.sentence) in squash(sentence)
                 or squash(sentence) in squash(r.sentence))
    return {"id": gold["id"], "found": bool(nodes), "date": date, "gold": gold["due"],
            "right": date == gold["due"] and (recurring_ok or gold["due"] is not None),
            "wrong_date": date is not None and date != gold["due"], "listed": listed,
            "rule": due.rule if due else "—", "gold_rule": gold["rule"][:3].strip(),
            "text": wanted, "dates": f"{dates.issued}/{dates.effective}"}


def table(results: list[dict], label: str) -> str:
    n = len(results)
    right = sum(r["right"] for r in results)
    wrong = sum(r["wrong_date"] for r in results)
    dated = [r for r in results if r["gold"]]
    found = sum(r["found"] for r in dated)
    listed = sum(r["listed"] for r in results if r["found"])
    return (f"| {label} | {n} | {right / n:.3f} ({right}/{n}) | {wrong} | "
            f"{found}/{len(dated)} | {listed}/{sum(r['found'] for r in results)} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--show", choices=["even", "odd", "all"], help="print the wrong rows")
    args = parser.parse_args()
    services = Services(Settings(store={"path": args.store}, embedding={"mode": "hash"}))
    rows = [json.loads(line) for line in GOLD.open(encoding="utf-8")]
    cache: dict = {}
    results = [judge(services, g, cache) for g in rows]
    even = [r for r in results if int(r["id"][1:]) % 2 == 0]
    odd = [r for r in results if int(r["id"][1:]) % 2 == 1]
    print("| rows | n | resolution accuracy | wrong dates | dated gold found | listed |")
    print("|---|---|---|---|---|---|")
    for label, part in (("even ids", even), ("odd ids", odd), ("all", results)):
        print(table(part, label))
    by_rule: Counter = Counter()
    for r in results:
        by_rule[(r["gold_rule"], r["right"])] += 1
    print("\n| gold rule | right | wrong |\n|---|---|---|")
    for rule in sorted({k[0] for k in by_rule}):
        print(f"| {rule} | {by_rule[(rule, True)]} | {by_rule[(rule, False)]} |")
    if args.show:
        part = {"even": even, "odd": odd, "all": results}[args.show]
        for r in part:
            if not r["right"]:
                print(f"{r['id']} {r['gold_rule']} ours={r['rule']} {r['date']} gold={r['gold']}"
                      f" dates={r['dates']} | {r['text']}")


if __name__ == "__main__":
    main()
