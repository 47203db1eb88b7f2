"""LLM answer backends: numbered passages in, a verified and renumbered cited answer out.

Works with any langchain `BaseChatModel` (the local GGUF model, an OpenAI-compatible server,
or a fake in tests). Passages are packed into a character budget in rank order; the answer is
streamed, then verified against the passages (see verify.py). When the model fails, the
extractive backend answers instead and the answer says so.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

import prompts
from assistant.answer.backend import AnswerBackend, Delta, History, final_answer
from assistant.answer.verify import Repair, Verified, verify
from assistant.core.sources import source_line
from assistant.core.text import fit, support
from assistant.core.types import Answer, Passage

logger = logging.getLogger(__name__)

FALLBACK_NOTE = "（大模型暂不可用，以下为原文摘录）"
QUOTES_HEADING = "原文摘录："
QUOTED = 0.8  # a sentence the answer already holds this much of is not quoted again


def passages_block(passages: Sequence[Passage]) -> str:
    return "\n\n".join(f"[{n}] {source_line(p)}\n{p.text}" for n, p in enumerate(passages, 1))


class LLMBackend:
    """A chat model answering over numbered passages in one of the forms' prompts (qa, outline,
    draft); the extractive backend quotes under 原文摘录 and answers when the model fails."""

    def __init__(self, name: str, model: BaseChatModel, budget: int, fallback: AnswerBackend,
                 form: str = "qa", quotes: int = 0) -> None:
        self.name = name
        self.model = model
        self.budget = budget
        self.fallback = fallback
        self.form = form
        self.quotes = quotes
        self.timings: dict[str, float] = {}

    def messages(self, question: str, passages: Sequence[Passage],
                 history: History = ()) -> list[BaseMessage]:
        system, user = prompts.load(self.form)
        msgs: list[BaseMessage] = [SystemMessage(system)]
        for asked, answered in history[-2:]:
            msgs += [HumanMessage(asked), AIMessage(answered)]
        msgs.append(HumanMessage(user.format(passages=passages_block(passages), question=question)))
        return msgs

    def answer(self, question: str, passages: Sequence[Passage],
               history: History = ()) -> Answer:
        return final_answer(self.stream(question, passages, history))

    def key_sentences(self, question: str, passages: Sequence[Passage],
                      limit: int) -> list[tuple[int, str]]:
        return self.fallback.key_sentences(question, passages, limit)

    def stream(self, question: str, passages: Sequence[Passage],
               history: History = ()) -> Iterator[Delta | Answer]:
        given = fit(passages, self.budget)
        start = time.perf_counter()
        parts: list[str] = []
        try:
            for chunk in self.model.stream(self.messages(question, given, history)):
                if not parts:
                    self.timings["first_token_s"] = time.perf_counter() - start
                text = chunk.content if isinstance(chunk.content, str) else ""
                parts.append(text)
                yield Delta(text)
        except Exception as exc:  # noqa: BLE001 - any client/server failure: quote instead
            logger.warning("llm failed backend=%s reason=%s", self.name, type(exc).__name__)
            yield self._fallback(question, passages, scrub(f"{type(exc).__name__}: {exc}"))
            return
        self.timings["generate_s"] = time.perf_counter() - start
        yield self._verified(question, "".join(parts), given, passages)

    def _verified(self, question: str, raw: str, given: list[Passage],
                  passages: Sequence[Passage]) -> Answer:
        if not verify(raw.strip(), given, repair=Repair(question)).citations:
            # the gate found these passages relevant; a model that cites none of them (or says
            # 文件中未提及 to all of it) is overruled by quotes, and the chain refuses if even
            # the quotes find nothing
            return self._fallback(question, passages, "模型回答没有引用任何检索到的段落")
        checked = verify(raw.strip() + self._quoted(question, given, raw), given,
                         repair=Repair(question))
        return Answer(question=question, text=checked.text, citations=checked.citations,
                      passages=tuple(passages), backend=self.name, notes=_notes(checked))

    def _quoted(self, question: str, given: list[Passage], raw: str) -> str:
        """The passages' best-answering sentences, verbatim, that the answer does not hold."""
        if not self.quotes or self.form != "qa":
            return ""
        lines = [f"{sentence}[{rank}]" for rank, sentence
                 in self.fallback.key_sentences(question, given, self.quotes)
                 if support(sentence, raw) < QUOTED]
        return "\n".join(["", QUOTES_HEADING, *lines]) if lines else ""

    def _fallback(self, question: str, passages: Sequence[Passage], reason: str) -> Answer:
        answer = self.fallback.answer(question, passages)
        return replace(answer, text=f"{FALLBACK_NOTE}\n{answer.text}",
                       notes=answer.notes + (f"大模型错误：{reason[:200]}",))


def _notes(checked: Verified) -> tuple[str, ...]:
    moved, added, removed = checked.repaired
    counts = ((len(checked.dropped), "已删除{}处指向不存在段落的引用"),
              (moved, "已将{}处引用改指真正含有该内容的段落"),
              (added, "已为{}句照录原文的句子补注来源"), (removed, "已删除{}句无内容的片段"),
              (checked.weak, "{}句依据不足，已标注"), (checked.uncited, "{}句未标注来源，已标注"))
    return tuple(template.format(n) for n, template in counts if n)


_SECRET = re.compile(r"(sk-|Bearer\s+|api[_-]?key[\"'=:\s]+)[\w.-]{6,}", re.IGNORECASE)


_SECRET_ENV = re.compile(r"KEY|TOKEN|SECRET|PASSWORD", re.IGNORECASE)


def scrub(message: str) -> str:
    """Error text shown to users: never an API key, even if a client library echoed one — in a
    known key format or as the exact value of any *KEY/*TOKEN/*SECRET environment variable."""
    for name, value in os.environ.items():
        if len(value) >= 8 and _SECRET_ENV.search(name):
            message = message.replace(value, "***")
    return _SECRET.sub(r"\1***", message)
