"""How the CLI prints: JSON on stdout, passages and answers as records, stage times."""

from __future__ import annotations

import json
import sys
from typing import Any

from assistant.core.types import Answer, Passage


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def passage_json(passage: Passage, rank: int) -> dict[str, Any]:
    from assistant.evaluation import passage_record

    return passage_record(passage, rank) | {"bm25_rank": passage.bm25_rank,
                                            "dense_rank": passage.dense_rank}


def answer_json(answer: Answer) -> dict[str, Any]:
    return {"question": answer.question, "answer": answer.text, "refused": answer.refused,
            "refusal_kind": answer.refusal.kind.value if answer.refusal else None,
            "backend": answer.backend,
            "citations": [{"n": c.n, "rank": c.rank, **passage_json(c.passage, c.rank)}
                          for c in answer.citations]}


def stage_times(marks: dict[str, float]) -> str:
    """用时：检索 0.1 s · 等待首字 23.4 s · 生成与核对 9.8 s — where a slow answer spends time."""
    names = (("retrieved", "检索"), ("first_token", "等待首字（含提示处理）"),
             ("done", "生成与核对"))
    parts, last = [], marks["start"]
    for key, label in names:
        if key in marks:
            parts.append(f"{label} {marks[key] - last:.1f} s")
            last = marks[key]
    return "用时：" + " · ".join(parts)
