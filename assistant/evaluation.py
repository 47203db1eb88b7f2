"""`policyqa eval`: retrieval and answer metrics over a QA JSONL file.

Metrics are computed from the passages the chain actually retrieved for each question, so
retrieval and answering are measured in one pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.answer.backend import final_answer
from assistant.answer.chain import AnswerChain
from assistant.core.errors import ConfigError
from assistant.core.text import fit, squash
from assistant.core.types import Answer, Passage, SearchFilter

CONTEXT_BUDGET = 2000


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    evidence: tuple[str, ...] = ()
    docid: str = ""
    unanswerable: bool = False
    answer_keys: tuple[str, ...] = ()
    turns: tuple[str, ...] = ()


def read_qa(path: Path) -> Iterator[QAItem]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read QA file {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            yield QAItem(id=str(raw.get("id", number)), question=raw["question"],
                         evidence=tuple(raw.get("evidence") or ()), docid=raw.get("docid", ""),
                         unanswerable=bool(raw.get("unanswerable")),
                         answer_keys=tuple(raw.get("answer_keys") or ()),
                         turns=tuple(raw.get("turns") or ()))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{path}:{number}: not a QA line with a 'question' ({exc}); "
                              f"expected JSON like {{\"id\", \"question\", \"evidence\": [...]}}"
                              ) from None


def evidence_rank(passages: Sequence[Passage], evidence: Sequence[str]) -> int | None:
    """1-based rank of the first passage containing an evidence string (whitespace ignored)."""
    wanted = [squash(e) for e in evidence if squash(e)]
    for rank, passage in enumerate(passages, 1):
        body = squash(passage.text)
        if any(e in body for e in wanted):
            return rank
    return None


def budget_depth(passages: Sequence[Passage], budget: int = CONTEXT_BUDGET) -> int:
    """How many passages, in rank order, fit a context budget (at least one)."""
    return len(fit(passages, budget))


def doc_rank(passages: Sequence[Passage], docid: str) -> int | None:
    for rank, passage in enumerate(passages, 1):
        if Path(passage.source).stem == docid:
            return rank
    return None


class Metrics:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, item: QAItem, answer: Answer) -> None:
        passages = answer.passages
        rank = evidence_rank(passages, item.evidence) if item.evidence else None
        keys = [k for k in item.answer_keys if k in answer.text]
        self.rows.append({
            "answerable": not item.unanswerable, "has_evidence": bool(item.evidence),
            "rank": rank, "budget": budget_depth(passages), "refused": answer.refused,
            "doc_rank": doc_rank(passages, item.docid) if item.docid else None,
            "has_docid": bool(item.docid), "keys": (len(keys), len(item.answer_keys))})

    def summary(self) -> dict[str, float | int]:
        ev = [r for r in self.rows if r["answerable"] and r["has_evidence"]]
        out: dict[str, float | int] = {"questions": len(self.rows)}
        if ev:
            out["span_hit@1"] = _share(ev, lambda r: r["rank"] == 1)
            out["span_hit@5"] = _share(ev, lambda r: r["rank"] is not None and r["rank"] <= 5)
            out["mrr@10"] = sum(1 / r["rank"] for r in ev if r["rank"]) / len(ev)
            out["hit@2000chars"] = _share(
                ev, lambda r: r["rank"] is not None and r["rank"] <= r["budget"])
        docs = [r for r in self.rows if r["has_docid"] and r["answerable"]]
        if docs:
            out["doc_hit@1"] = _share(docs, lambda r: r["doc_rank"] == 1)
            out["doc_hit@5"] = _share(docs, lambda r: r["doc_rank"] is not None
                                      and r["doc_rank"] <= 5)
        unans = [r for r in self.rows if not r["answerable"]]
        if unans:
            out["refusal_rate(unanswerable)"] = _share(unans, lambda r: r["refused"])
        answerable = [r for r in self.rows if r["answerable"]]
        if answerable:
            out["wrong_refusal_rate"] = _share(answerable, lambda r: r["refused"])
        keyed = [r for r in self.rows if r["keys"][1]]
        if keyed:
            covered = sum(r["keys"][0] / r["keys"][1] for r in keyed)
            out["answer_key_coverage"] = covered / len(keyed)
        return out


def _share(rows: list[dict[str, Any]], test: Callable[[dict[str, Any]], bool]) -> float:
    return sum(1 for r in rows if test(r)) / len(rows)


def passage_record(passage: Passage, rank: int) -> dict[str, Any]:
    """A retrieved passage as eval output (and `search --json`) show it."""
    return {"rank": rank, "text": passage.text, "source": passage.source, "title": passage.title,
            "heading_path": passage.heading, "page": passage.page, "score": passage.score}


def output_line(item: QAItem, answer: Answer) -> dict[str, Any]:
    return {
        "id": item.id, "question": item.question,
        "passages": [passage_record(p, r) for r, p in enumerate(answer.passages[:10], 1)],
        "answer": answer.text,
        "citations": [{"n": c.n, "rank": c.rank} for c in answer.citations],
        "refused": answer.refused,
        "refusal_kind": answer.refusal.kind.value if answer.refusal else None,
    }


def _ask_in_conversation(chain: AnswerChain, item: QAItem, filters: SearchFilter) -> Answer:
    """Ask the earlier turns first (their answers become the history), then the question."""
    history: tuple[tuple[str, str], ...] = ()
    for turn in (*item.turns, item.question):
        answer = final_answer(chain.stream(turn, filters, history))
        history += ((turn, answer.text),)
    return answer


def run_eval(chain: AnswerChain, qa_file: Path, out: Path | None, filters: SearchFilter,
             limit: int = 0) -> dict[str, float | int]:
    items = list(read_qa(qa_file))[: limit or None]
    metrics = Metrics()
    handle = open(out, "w", encoding="utf-8") if out else None  # noqa: SIM115
    try:
        for item in items:
            answer = _ask_in_conversation(chain, item, filters)
            metrics.add(item, answer)
            if handle:
                handle.write(json.dumps(output_line(item, answer), ensure_ascii=False) + "\n")
    finally:
        if handle:
            handle.close()
    return metrics.summary()
