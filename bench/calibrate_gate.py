"""Calibrate the relevance gate on real documents, by 2-fold cross-validation (not a test).

    .venv/bin/python bench/calibrate_gate.py --store /tmp/ncp-kept --mode e5-onnx-int8 \
        [--corpus ../shared/corpus/ncp-dev] [--english bench/en_qa.jsonl] [--write] [--fallback]

The store holds ncp-dev *without* the documents in leave_out.txt. Instances:

- answerable: qa.jsonl minus the left-out questions and minus questions about left-out documents
  (their own document is stored: the gate must pass them);
- left-out: qa_leaveout.jsonl (their document is not stored: the gate must refuse them);
- excluded: every answerable question asked again with its own document filtered out, when its
  evidence span occurs in no other document — an unanswerable question of the same kind.

The document ids are split in two halves with a fixed seed; a logistic model over the signals is
fitted on the questions of one half, its threshold set so that the gate (its hard rules included)
wrongly refuses at most the target share of that half's answerable questions, and it is scored on
the other half; then the halves swap. Prints, for several targets, both folds' test numbers.
`--write` fits on all questions at the default target and stores the model for the store's
embedder identity in assistant/answer/gate_models.json (`--fallback`: also the lexical-only model
used for unknown embedders). `--english`: English questions about the same documents (answerable
and left-out ones) calibrate the cross-lingual model, judged by the embedder alone.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.answer.calibration import FALLBACK, GateModel  # noqa: E402
from assistant.answer.chain import _Request  # noqa: E402
from assistant.answer.gate import Retrieval, check  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from assistant.core.text import squash  # noqa: E402
from assistant.core.types import SearchFilter  # noqa: E402
from assistant.services import Services  # noqa: E402

LEXICAL = ("sentence_cover", "passage_cover", "phrase_cover", "dense", "dense_gap", "place")
LEXICAL_ONLY = ("sentence_cover", "passage_cover", "phrase_cover", "place")
CROSSLINGUAL = ("dense", "dense_gap")
TARGETS = (0.01, 0.02, 0.03, 0.05, 0.10)
DEFAULT_TARGET = 0.01
SEED = 12
MODELS = ROOT / "assistant" / "answer" / "gate_models.json"


@dataclass
class Instance:
    qid: str
    docid: str
    kind: str  # answerable, leftout, excluded
    question: str
    found: Retrieval  # judged with a model that passes everything: signals and hard rules


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def collect(services: Services, corpus: Path, questions: Path | None = None) -> list[Instance]:
    left = set((corpus / "leave_out.txt").read_text().split())
    leftout = load_jsonl(corpus / "qa_leaveout.jsonl")
    left_ids = {q["id"] for q in leftout}
    source = questions or corpus / "qa.jsonl"
    asked = load_jsonl(source)
    answerable = [q for q in asked if not q.get("unanswerable") and q["id"] not in left_ids
                  and q["docid"] not in left]
    unanswerable = [q for q in asked if q.get("unanswerable")] if questions else leftout
    records = services.kb.records()
    by_stem = {Path(s).stem: r for r in records.values() for s in r.sources}
    texts = {p.stem: squash(p.read_text(encoding="utf-8"))
             for p in (corpus / "docs").glob("*.txt") if p.stem not in left}
    out = [_ask(services, q, "answerable") for q in answerable]
    out += [_ask(services, q, "leftout") for q in unanswerable]
    for q in answerable:
        own = by_stem[q["docid"]].doc_hash
        spans = [squash(e) for e in q.get("evidence", []) if squash(e)]
        others = (s for s in texts if by_stem[s].doc_hash != own)
        if not spans or any(e in texts[s] for s in others for e in spans):
            continue
        sources = tuple(s for h, r in records.items() if h != own for s in r.sources)
        out.append(_ask(services, q, "excluded", SearchFilter(sources=sources)))
    return out


def _ask(services: Services, q: dict, kind: str, filters: SearchFilter = SearchFilter()
         ) -> Instance:
    chain = services.chain()
    found = chain._find(_Request(q["question"], q["question"], filters, ()))
    if found.refusal is None:
        judge = replace(chain.judge(), threshold=0.0)  # hard rules only; the score is fitted
        found = check(found, services.settings.retrieval.k, judge)
    return Instance(q["id"], q["docid"], kind, q["question"], found)


# --- fitting ----------------------------------------------------------------------------------
def fit(X: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 4000) -> tuple:
    """L2-regularised logistic regression on standardised features (gradient descent)."""
    mean, scale = X.mean(0), X.std(0) + 1e-9
    Z = np.hstack([(X - mean) / scale, np.ones((len(X), 1))])
    w = np.zeros(Z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-Z @ w))
        w -= 0.5 * (Z.T @ (p - y) / len(y) + l2 * np.r_[w[:-1], 0] / len(y))
    return mean, scale, w


def as_model(features: tuple[str, ...], fitted: tuple, threshold: float) -> GateModel:
    mean, scale, w = fitted
    return GateModel(features, tuple(float(v) for v in mean), tuple(float(v) for v in scale),
                     tuple(float(v) for v in w[:-1]), float(w[-1]), float(threshold))


def matrix(items: list[Instance], features: tuple[str, ...]) -> np.ndarray:
    return np.array([[i.found.signals.value(f) for f in features] for i in items], float)


def usable(items: list[Instance], lexical: bool) -> list[Instance]:
    return [i for i in items if i.found.signals is not None and i.found.signals.lexical == lexical]


def hard_refused(item: Instance) -> bool:
    return item.found.refusal is not None


def threshold_for(model: GateModel, answerable: list[Instance], target: float) -> float:
    """The highest threshold at which the gate refuses at most `target` of these questions."""
    allowed = int(target * len(answerable)) - sum(map(hard_refused, answerable))
    scores = sorted(model.score(i.found.signals) for i in answerable if not hard_refused(i))
    if allowed <= 0 or not scores:
        return scores[0] if scores else 0.5
    return scores[min(allowed, len(scores) - 1)]


def refused(model: GateModel, item: Instance, threshold: float) -> bool:
    return hard_refused(item) or model.score(item.found.signals) < threshold


def halves(items: list[Instance]) -> set[str]:
    docs = sorted({i.docid for i in items})
    random.Random(SEED).shuffle(docs)
    return set(docs[: len(docs) // 2])


def train(items: list[Instance], features: tuple[str, ...], target: float) -> GateModel:
    X, y = matrix(items, features), np.array([i.kind == "answerable" for i in items], float)
    model = as_model(features, fit(X, y), 0.5)
    answerable = [i for i in items if i.kind == "answerable"]
    return replace(model, threshold=threshold_for(model, answerable, target))


def cross_validate(items: list[Instance], features: tuple[str, ...]) -> list[dict]:
    first = halves(items)
    rows = []
    for target in TARGETS:
        row: dict = {"target": target}
        for fold, tune_first in (("A", True), ("B", False)):
            tune = [i for i in items if (i.docid in first) == tune_first]
            test = [i for i in items if (i.docid in first) != tune_first]
            model = train(tune, features, target)
            for kind in ("answerable", "leftout", "excluded"):
                group = [i for i in test if i.kind == kind]
                hits = sum(refused(model, i, model.threshold) for i in group)
                row[(fold, kind)] = (hits, len(group))
        rows.append(row)
    return rows


def print_table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}\n")
    print("| target (tuning fold) | wrong refusal A | B | left-out refused A | B "
          "| excluded refused A | B | all: wrong | left-out | excluded |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        cells = [f"{row['target']:.0%}"]
        for kind in ("answerable", "leftout", "excluded"):
            for fold in "AB":
                hits, n = row[(fold, kind)]
                cells.append(f"{hits / n:.3f} ({hits}/{n})" if n else "—")
        for kind in ("answerable", "leftout", "excluded"):
            hits = sum(row[(f, kind)][0] for f in "AB")
            n = sum(row[(f, kind)][1] for f in "AB")
            cells.append(f"{hits / n:.3f}" if n else "—")
        print("| " + " | ".join(cells) + " |")


def write(identity: str, models: dict[str, GateModel]) -> None:
    table = json.loads(MODELS.read_text(encoding="utf-8"))
    table["models"][identity] = {k: m.to_json() for k, m in models.items()}
    MODELS.write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {identity} → {MODELS}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--mode", default="e5-onnx-int8")
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "ncp-dev"))
    ap.add_argument("--english", default="")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--fallback", action="store_true")
    ap.add_argument("--features", default=",".join(LEXICAL), help="signals of the model")
    args = ap.parse_args()
    services = Services(Settings(store={"path": args.store}, embedding={"mode": args.mode}))
    identity = services.kb.embeddings.identity
    features = tuple(args.features.split(","))
    items = usable(collect(services, Path(args.corpus)), lexical=True)
    print(f"embedder {identity}: {len(items)} instances "
          + ", ".join(f"{k} {sum(i.kind == k for i in items)}"
                      for k in ("answerable", "leftout", "excluded")))
    print_table(f"Lexical + dense model ({', '.join(features)}), {identity}",
                cross_validate(items, features))
    print_table(f"Lexical-only fallback ({', '.join(LEXICAL_ONLY)})",
                cross_validate(items, LEXICAL_ONLY))
    models = {"lexical": train(items, features, DEFAULT_TARGET)}
    if args.english:
        english = usable(collect(services, Path(args.corpus), Path(args.english)), lexical=False)
        print_table(f"Cross-lingual model ({', '.join(CROSSLINGUAL)}), {len(english)} English "
                    f"questions", cross_validate(english, CROSSLINGUAL))
        models["crosslingual"] = train(english, CROSSLINGUAL, DEFAULT_TARGET)
    if args.write:
        write(identity, models)
        if args.fallback:
            write(FALLBACK, {"lexical": train(items, LEXICAL_ONLY, DEFAULT_TARGET)})


if __name__ == "__main__":
    main()
