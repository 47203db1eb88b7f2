"""The chain's lexical rerank, chosen by 2-fold cross-validation over ncp-dev documents (not a
test).

    .venv/bin/python bench/bench_rerank.py --store /tmp/ncp-kept --mode e5-onnx-int8 \
        [--corpus ../shared/corpus/ncp-dev]

For every answerable question (qa.jsonl minus the left-out questions and documents) it takes
the chain's passages without the rerank, then reorders them for each pair of weights (phrase
coverage, IDF-weighted word coverage; assistant/answer/rerank.py). The document ids are split in
two halves with the calibration's seed; the pair with the best MRR@10 on one half is scored on
the other, then the halves swap. Prints the grid per half and the cross-validated result.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from calibrate_gate import SEED, load_jsonl  # noqa: E402

from assistant.answer.chain import EVAL_DEPTH  # noqa: E402
from assistant.answer.rerank import rerank  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from assistant.evaluation import budget_depth, evidence_rank  # noqa: E402
from assistant.services import Services  # noqa: E402

PHRASE = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
COVER = (0.0, 0.5, 1.0, 2.0)


def metrics(rows: list[tuple], weights: tuple[float, float]) -> tuple[float, float, float]:
    """(span-hit@5, MRR@10, hit within 2,000 characters) of the questions in `rows`."""
    s5 = mrr = h2k = 0.0
    for question, evidence, passages, idf, terms in rows:
        ranked = rerank(question, passages, idf, terms, *weights)[:10]
        rank = evidence_rank(ranked, evidence)
        s5 += bool(rank and rank <= 5)
        mrr += 1 / rank if rank else 0.0
        h2k += bool(rank and rank <= budget_depth(ranked))
    n = len(rows) or 1
    return s5 / n, mrr / n, h2k / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--mode", default="e5-onnx-int8")
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "ncp-dev"))
    args = ap.parse_args()
    corpus = Path(args.corpus)
    services = Services(Settings(store={"path": args.store}, embedding={"mode": args.mode}))
    chain = services.chain()
    chain._reranked = lambda query, passages: passages  # type: ignore[method-assign]
    left = set((corpus / "leave_out.txt").read_text().split())
    left_ids = {q["id"] for q in load_jsonl(corpus / "qa_leaveout.jsonl")}
    questions = [q for q in load_jsonl(corpus / "qa.jsonl")
                 if q["id"] not in left_ids and q["docid"] not in left]
    docs = sorted({q["docid"] for q in questions})
    random.Random(SEED).shuffle(docs)
    first = set(docs[: len(docs) // 2])
    folds: dict[str, list[tuple]] = {"A": [], "B": []}
    for q in questions:
        passages, _ = chain.search(q["question"], EVAL_DEPTH)  # what the chain reranks
        row = (q["question"], q["evidence"], passages, services.kb.idf, services.tokenizer.terms)
        folds["A" if q["docid"] in first else "B"].append(row)
    grid = list(itertools.product(PHRASE, COVER))
    scores = {f: {w: metrics(rows, w) for w in grid} for f, rows in folds.items()}
    print(f"{args.store} ({services.kb.embeddings.identity}): fold A {len(folds['A'])}, "
          f"fold B {len(folds['B'])} questions\n")
    print("| phrase, word weight | A: span@5 | A: MRR@10 | A: 2,000 chars "
          "| B: span@5 | B: MRR@10 | B: 2,000 chars |")
    print("|---|---|---|---|---|---|---|")
    for w in grid:
        cells = [f"{v:.3f}" for f in "AB" for v in scores[f][w]]
        print(f"| {w[0]}, {w[1]} | " + " | ".join(cells) + " |")
    print("\n| tuned on | weights | scored on | span@5 | MRR@10 | 2,000 chars | without rerank |")
    print("|---|---|---|---|---|---|---|")
    for tune, test in (("A", "B"), ("B", "A")):
        best = max(grid, key=lambda w: scores[tune][w][1])
        got, base = scores[test][best], scores[test][(0.0, 0.0)]
        print(f"| {tune} | {best[0]}, {best[1]} | {test} | {got[0]:.3f} | {got[1]:.3f} | "
              f"{got[2]:.3f} | {base[0]:.3f} / {base[1]:.3f} / {base[2]:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
