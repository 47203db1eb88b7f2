"""How a chat over several knowledge bases merges their results (vectorstore/union.py).

A copy of a ready single-KB ncp-dev store opens as `default` (all 300 documents in one index:
the reference). Its documents are split into two more knowledge bases, 甲 and 乙 (alternating
by file name; the copy's embedding cache means nothing is embedded again), and the 323
questions are asked of the union of 甲 and 乙, merged three ways:

  union      what the chat does (vectorstore/union.py): the fusion redone over both lists'
             candidates (dense by cosine, BM25 by raw score), then the sentence rerank
  lists rrf  reciprocal-rank fusion of the two final lists, then the sentence rerank (the
             first version of union.py)
  by score   the two lists sorted by their own fused scores (comparable within one KB only)
  by rank    round robin: 甲 1, 乙 1, 甲 2, 乙 2, …

Each is reported on all questions and on two halves (A: questions 1, 3, 5 …; B: 2, 4, 6 …):
a merge rule is chosen on A and judged on B.

    python bench/bench_kb_union.py /work/staging/embed/kb-int8 /work/shared/corpus/ncp-dev \
        --embedding e5-onnx-int8
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from assistant.core.settings import Settings
from assistant.core.types import Passage, SearchFilter
from assistant.evaluation import run_eval
from assistant.services import Services
from vectorstore.union import KnowledgeBaseUnion

METRICS = ("span_hit@1", "span_hit@5", "mrr@10", "doc_hit@5", "wrong_refusal_rate")


class ByScore(KnowledgeBaseUnion):
    def search(self, query: str, k: int | None = None,
               filters: SearchFilter = SearchFilter()) -> list[Passage]:
        k = k or self.settings.retrieval.k
        found = [p for kb in self.kbs for p in kb.search(query, k, filters)]
        return sorted(found, key=lambda p: -p.score)[:k]


class ByRank(KnowledgeBaseUnion):
    def search(self, query: str, k: int | None = None,
               filters: SearchFilter = SearchFilter()) -> list[Passage]:
        k = k or self.settings.retrieval.k
        lists = [kb.search(query, k, filters) for kb in self.kbs]
        merged = [p for rank in range(k) for ps in lists if rank < len(ps) for p in [ps[rank]]]
        return [replace(p, score=-i) for i, p in enumerate(merged[:k])]


class ListsRRF(KnowledgeBaseUnion):
    def search(self, query: str, k: int | None = None,
               filters: SearchFilter = SearchFilter()) -> list[Passage]:
        from vectorstore.hybrid import rerank_by_sentence

        cfg = self.settings.retrieval
        k = k or cfg.k
        best: dict[str, tuple[float, Passage]] = {}
        for kb in self.kbs:
            for rank, passage in enumerate(kb.search(query, k, filters), 1):
                score = 1.0 / (cfg.rrf_k + rank)
                if passage.chunk_id not in best or best[passage.chunk_id][0] < score:
                    best[passage.chunk_id] = (score, passage)
        fused = sorted(((c, s) for c, (s, _) in best.items()), key=lambda item: -item[1])
        texts = {c: f"{p.heading}\n{p.text}" for c, (_, p) in best.items()}
        ranked = rerank_by_sentence(fused, texts, self.tokenizer.terms(query), self.idf,
                                    cfg.sentence_weight)
        return [replace(best[c][1], score=s) for c, s in ranked[:k]]


def halves(qa: Path, folder: Path) -> dict[str, Path]:
    lines = [line for line in qa.read_text("utf-8").splitlines() if line.strip()]
    out = {}
    for name, part in (("A", lines[0::2]), ("B", lines[1::2])):
        out[name] = folder / f"qa-{name}.jsonl"
        out[name].write_text("\n".join(part) + "\n", encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path, help="a ready single-KB store (copied, not changed)")
    parser.add_argument("corpus", type=Path, help="folder with docs/ and qa.jsonl")
    parser.add_argument("--embedding", default="e5-onnx-int8")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-kb-union-")) / "kb"
    shutil.copytree(args.store, work)
    settings = Settings(store={"path": work}, embedding={"mode": args.embedding})
    services = Services(settings)
    docs = sorted((args.corpus / "docs").iterdir())
    start = time.perf_counter()
    for name, part in (("甲", docs[0::2]), ("乙", docs[1::2])):
        services.kb_registry.create(name)
        report = services.for_kb(name).ingest(part)
        print(f"{name}: {report.summary().splitlines()[0]}", file=sys.stderr)
    print(f"split ingest {time.perf_counter() - start:.1f} s", file=sys.stderr)

    qa = args.corpus / "qa.jsonl"
    union = services.reading(["甲", "乙"])
    runs = {"one KB (reference)": services.for_kb("default"), "union": union}
    for label, variant in (("lists rrf", ListsRRF), ("by score", ByScore), ("by rank", ByRank)):
        view = Services(union.settings, root=services, kb_names=("甲", "乙"))
        view.__dict__["corpus"] = variant([services.for_kb(n).kb for n in ("甲", "乙")])
        runs[label] = view
    sets = {"all": qa} | halves(qa, work.parent)
    print("| merge | questions | " + " | ".join(METRICS) + " | s |")
    print("|---|---|" + "---|" * (len(METRICS) + 1))
    for label, view in runs.items():
        for part, path in sets.items():
            start = time.perf_counter()
            metrics = run_eval(view.chain("extractive"), path, None, SearchFilter())
            cells = [f"{float(metrics[m]):.3f}" for m in METRICS]
            print(f"| {label} | {part} | " + " | ".join(cells) +
                  f" | {time.perf_counter() - start:.0f} |", flush=True)
    shutil.rmtree(work.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
