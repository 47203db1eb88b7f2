"""Answer quality and latency per backend over a QA file (not a test).

    .venv/bin/python bench/bench_answers.py bench/seed_qa.jsonl --store /tmp/seed \
        --llm local extractive [--limit 15]

Per question it streams the chain and records: seconds until the sources are known, until the
first generated token, until the verified answer; whether it refused; answer-key coverage; and
citation precision — the share of cited sentences whose cited passage supports them (character
bigram support ≥ 0.5 and every number of the sentence found in the passage, see verify.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.answer.backend import Delta  # noqa: E402
from assistant.answer.gate import Retrieval  # noqa: E402
from assistant.answer.verify import verify  # noqa: E402
from assistant.core.settings import load_settings  # noqa: E402
from assistant.core.types import Answer  # noqa: E402
from assistant.evaluation import read_qa  # noqa: E402
from assistant.services import Services  # noqa: E402

SUPPORTED = 0.5


def run_one(services: Services, mode: str, question: str) -> dict:
    start = time.perf_counter()
    sources = first = None
    answer: Answer | None = None
    for event in services.chain(mode).stream(question):
        now = time.perf_counter() - start
        if isinstance(event, Retrieval):
            sources = now
        elif isinstance(event, Delta) and first is None:
            first = now
        elif isinstance(event, Answer):
            answer = event
    assert answer is not None
    return {"sources_s": sources, "first_token_s": first, "total_s": time.perf_counter() - start,
            "answer": answer}


def citation_precision(answer: Answer) -> tuple[int, int]:
    """(supported, cited) sentences, re-checked against the passages shown to the user."""
    passages = [c.passage for c in sorted(answer.citations, key=lambda c: c.n)]
    checks = verify(answer.text, passages, mark_weak=False).checks  # what the user sees
    cited = [c for c in checks if c.cited]
    good = [c for c in cited if c.support >= SUPPORTED and not c.unsupported_numbers]
    return len(good), len(cited)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("qa", type=Path)
    parser.add_argument("--store", required=True)
    parser.add_argument("--llm", nargs="+", default=["extractive"])
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--dump", type=Path, help="write every question and answer here (JSONL)")
    args = parser.parse_args()
    settings = load_settings()
    settings = settings.model_copy(update={
        "store": settings.store.model_copy(update={"path": Path(args.store)})})
    services = Services(settings)
    items = list(read_qa(args.qa))
    answerable = [i for i in items if not i.unanswerable][: args.limit or None]
    unanswerable = [i for i in items if i.unanswerable][: (args.limit // 3) or None]
    print("| backend | questions | citation precision | answer-key coverage | refusal "
          "(unanswerable) | wrong refusal | sources s (median) | first token s (median, max) "
          "| answer s (median, max) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mode in args.llm:
        print(row(services, mode, answerable, unanswerable, args.dump), flush=True)


def row(services: Services, mode: str, answerable: list, unanswerable: list,
        dump: Path | None) -> str:
    good = cited = 0
    keys: list[float] = []
    wrong = refused = 0
    times: list[dict] = []
    for item in answerable:
        result = run_one(services, mode, item.question)
        times.append(result)
        answer = result["answer"]
        wrong += answer.refused
        g, c = citation_precision(answer)
        good, cited = good + g, cited + c
        if item.answer_keys:
            keys.append(sum(k in answer.text for k in item.answer_keys) / len(item.answer_keys))
        if dump:
            with dump.open("a", encoding="utf-8") as out:
                record = {"backend": mode, "question": item.question, "keys": item.answer_keys,
                          "answer": answer.text, "cited": [g, c],
                          "first_token_s": result["first_token_s"], "total_s": result["total_s"]}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    for item in unanswerable:
        refused += run_one(services, mode, item.question)["answer"].refused
    firsts = [t["first_token_s"] for t in times if t["first_token_s"] is not None]
    totals = [t["total_s"] for t in times]
    return (f"| {mode} | {len(answerable)} + {len(unanswerable)} | "
            f"{good / max(cited, 1):.3f} ({good}/{cited}) | "
            f"{statistics.mean(keys) if keys else 0:.3f} | "
            f"{refused / max(len(unanswerable), 1):.2f} | {wrong / max(len(answerable), 1):.3f} | "
            f"{statistics.median(t['sources_s'] for t in times):.2f} | "
            f"{_med_max(firsts)} | {_med_max(totals)} |")


def _med_max(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}, {max(values):.1f}" if values else "—"


if __name__ == "__main__":
    main()
