"""任务清单 with a language model: the model proposes rows (JSON lines) over numbered passages,
and every row is checked against the passage it cites — a unit, deadline or target that the
passage does not contain is dropped, and so is a row citing a passage that does not exist or
whose task the passage does not say."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from assistant.core.errors import LLMError
from assistant.core.text import batches, bigram_set, split_sentences, squash
from assistant.core.text import overlap as gram_overlap
from assistant.core.types import Passage
from assistant.staff.tasks.rules import TaskRow

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

logger = logging.getLogger(__name__)
MIN_OVERLAP = 0.6  # share of the task's character bigrams that must occur in its passage
_FIELDS = {"task": ("task", "任务"), "units": ("units", "unit", "责任单位"),
           "deadline": ("deadline", "时限"), "target": ("target", "目标", "量化目标"),
           "passage": ("passage", "段落", "依据")}
_NOTES = {"bad_passage": "{}行引用了不存在的段落编号，已删除",
          "task_not_in_passage": "{}行的任务在所引段落中找不到，已删除",
          "unit_dropped": "{}个责任单位不见于所引段落，已删除",
          "deadline_dropped": "{}个时限不见于所引段落，已删除",
          "target_dropped": "{}个量化目标不见于所引段落，已删除"}


def extract_llm(passages: list[Passage], model: BaseChatModel,
                budget: int) -> tuple[list[TaskRow], tuple[str, ...]]:
    """Verified rows from the model over batches of passages, and notes on what was dropped."""
    from prompts import load

    system, user = load("tasks")
    rows: list[TaskRow] = []
    counts: Counter[str] = Counter()
    for batch in batches(passages, budget):
        reply = _ask(model, system, user.format(passages=numbered(batch)))
        for raw in parse_rows(reply):
            row = verify_row(raw, batch, counts)
            if row is not None:
                rows.append(row)
    notes = tuple(text.format(counts[key]) for key, text in _NOTES.items() if counts[key])
    return rows, notes


def numbered(passages: list[Passage]) -> str:
    return "\n\n".join(f"[{n}] {p.heading}\n{p.text}" for n, p in enumerate(passages, 1))


def _ask(model: BaseChatModel, system: str, user: str) -> str:
    from langchain_core.messages import HumanMessage, SystemMessage

    try:
        reply = model.invoke([SystemMessage(system), HumanMessage(user)])
    except Exception as exc:  # noqa: BLE001 — any backend failure is reported the same way
        raise LLMError(f"the model failed while listing tasks ({type(exc).__name__}: {exc}); "
                       f"run without --llm for the rule-based task list") from exc
    return str(reply.content)


def parse_rows(reply: str) -> list[dict[str, Any]]:
    """Every JSON object in the reply (one a line, or a JSON array), with Chinese or English
    keys; lines that are not JSON are skipped."""
    rows: list[dict[str, Any]] = []
    for match in re.finditer(r"\{[^{}]*\}", reply):
        try:
            data = json.loads(match.group(0))
        except json.JSONDecodeError:
            logger.debug("skipped line=%s reason=not JSON", match.group(0)[:80])
            continue
        if isinstance(data, dict):
            rows.append({key: _field(data, names) for key, names in _FIELDS.items()})
    return rows


def _field(data: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((data[n] for n in names if n in data and data[n] is not None), "")


def verify_row(raw: dict[str, Any], passages: list[Passage],
               counts: Counter[str]) -> TaskRow | None:
    """The row as its passage supports it, or None when the passage does not support it."""
    number = _number(raw["passage"])
    if number is None or not 1 <= number <= len(passages):
        counts["bad_passage"] += 1
        return None
    passage = passages[number - 1]
    text = squash(passage.text)
    task = str(raw["task"]).strip()
    if not task or overlap(task, text) < MIN_OVERLAP:
        counts["task_not_in_passage"] += 1
        return None
    units = tuple(u for u in _units(raw["units"]) if _kept(u, text, counts, "unit_dropped"))
    deadline = _checked(str(raw["deadline"]), text, counts, "deadline_dropped")
    target = _checked(str(raw["target"]), text, counts, "target_dropped")
    return TaskRow(task, units, deadline, target, passage, _quote(task, passage.text))


def _number(value: Any) -> int | None:
    found = re.search(r"\d+", str(value))
    return int(found.group(0)) if found else None


def _units(value: Any) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"[、，,；;]", str(value))
    return [str(u).strip() for u in items if str(u).strip()]


def _kept(value: str, text: str, counts: Counter[str], key: str) -> bool:
    if squash(value) in text:
        return True
    counts[key] += 1
    return False


def _checked(value: str, text: str, counts: Counter[str], key: str) -> str:
    parts = [p.strip() for p in re.split(r"[；;]", value) if p.strip()]
    kept = [p for p in parts if _kept(p, text, counts, key)]
    return "；".join(kept)


def overlap(task: str, text: str) -> float:
    """Share of the task's distinct character bigrams found in the text."""
    return gram_overlap(bigram_set(task), bigram_set(text))


def _quote(task: str, text: str) -> str:
    """The passage sentence that shares most with the task."""
    sentences = split_sentences(text) or [text]
    return max(sentences, key=lambda s: overlap(task, s))
