"""What the chat tab does, in plain Python (ui.py wires it to Gradio components).

An answer streams as the chain produces it: the sources panel fills with the retrieval, the text
grows with the model's deltas (extractive quotes come whole, in well under a second), and the
verified answer replaces the draft. 学习提纲 and 起草 arrive whole.

The local model answers one question at a time: a chat that arrives while another user's answer
is generating takes a ticket in a `ModelQueue` and shows its place in line, refreshed every
second, until its turn comes (remote and extractive backends answer at once).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.core.errors import PolicyQAError
from assistant.core.sources import source_line, sources_block
from assistant.core.types import Answer, Passage, SearchFilter
from assistant.llm.queue import ModelQueue
from assistant.staff.forms import Form, run_form
from assistant.staff.requirements_export import cross_document_answer
from assistant.webui.files import FeedbackLog, Turn, export_conversation
from assistant.webui.render import answer_markdown, md_escape, source_card, sources_panel

if TYPE_CHECKING:
    from assistant.services import Services

logger = logging.getLogger(__name__)

ALL_TYPES = "全部类型"
QUEUED_BACKENDS = ("local",)  # backends that answer one question at a time
QUEUE_POLL_S = 1.0  # how often a waiting chat refreshes its place in line
Message = dict[str, Any]


@dataclass
class ChatUpdate:
    """One step of a streamed reply: the chat messages, the turns so far, the sources panel."""

    messages: list[Message]
    turns: list[Turn]
    sources_html: str


def make_filter(sources: Sequence[str] | None, doc_type: str | None) -> SearchFilter:
    kind = "" if not doc_type or doc_type == ALL_TYPES else doc_type
    return SearchFilter(sources=tuple(sources or ()), doc_type=kind)


def history_of(turns: Sequence[Turn]) -> tuple[tuple[str, str], ...]:
    """The conversation so far as (question, answer) pairs, oldest first."""
    return tuple((t.question, t.answer) for t in turns)


class Chat:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.feedback_log = FeedbackLog(Path(services.settings.store.path) / "feedback.jsonl")
        self.model_queue = ModelQueue() if self.backend_name in QUEUED_BACKENDS else None

    def bound(self, services: Services) -> Chat:
        """This chat answering from another view of the services (the knowledge bases one
        user may read), with the same waiting line and feedback log."""
        chat = copy.copy(self)
        chat.services = services
        return chat

    @property
    def backend_name(self) -> str:
        return self.services.settings.llm.mode

    def chat(self, question: str, messages: list[Message], turns: list[Turn], form: Form,
             filters: SearchFilter) -> Iterator[ChatUpdate]:
        question = (question or "").strip()
        if not question:
            yield ChatUpdate(list(messages), list(turns), sources_panel([]))
            return
        messages = list(messages) + [{"role": "user", "content": md_escape(question)}]
        try:
            yield from self._answer_in_turn(question, messages, turns, form, filters)
        except PolicyQAError as exc:
            logger.warning("chat failed question=%s reason=%s", question, exc)
            text = f"出错了：{exc}"
            yield ChatUpdate(messages + [_assistant(md_escape(text))],
                             list(turns) + [Turn(question, text, form=form, refused=True)],
                             sources_panel([], "没有可显示的来源。"))

    def _answer_in_turn(self, question: str, messages: list[Message], turns: list[Turn],
                        form: Form, filters: SearchFilter) -> Iterator[ChatUpdate]:
        """Answer now, or (local model) wait in line showing the place, then answer."""
        if self.model_queue is None:
            yield from self._answer_stream(question, messages, turns, form, filters)
            return
        with self.model_queue.ticket() as ticket:
            start = time.monotonic()
            while (ahead := ticket.position) > 0:
                notice = queue_notice(ahead, time.monotonic() - start)
                yield ChatUpdate(messages + [_assistant(notice)], list(turns),
                                 sources_panel([], "排队中，轮到本问题时显示来源。"))
                ticket.wait(QUEUE_POLL_S)
            yield from self._answer_stream(question, messages, turns, form, filters)

    def _answer_stream(self, question: str, messages: list[Message], turns: list[Turn],
                       form: Form, filters: SearchFilter) -> Iterator[ChatUpdate]:
        answer: Answer | None = None
        panel, shown = sources_panel([]), None
        for answer in self.partials(question, turns, form, filters):
            key = (answer.citations, answer.refused)
            if key != shown and (answer.citations or answer.refused):
                panel, shown = self.sources_html(answer), key  # filled with the first chunk
            yield ChatUpdate(messages + [_assistant(answer_markdown(answer, answer.text))],
                             list(turns), panel)
        if answer is None:
            return
        if (answer.citations, answer.refused) != shown:
            panel = self.sources_html(answer)
        turn = Turn(question, answer.text, tuple(source_line(c.passage) for c in
                    answer.citations), form, answer.backend, answer.refused)
        yield ChatUpdate(messages + [_assistant(answer_markdown(answer))],
                         list(turns) + [turn], panel)

    def partials(self, question: str, turns: Sequence[Turn], form: Form,
                 filters: SearchFilter) -> Iterator[Answer]:
        """The answer as it grows (qa), or whole (学习提纲, 起草)."""
        if form != "qa":
            chain = self.services.chain(form=form)
            yield run_form(chain, self.services.corpus, form, question, filters)
            return
        summary = cross_document_answer(self.services, question, filters)
        if summary is not None:  # “各文件对企业提出了哪些要求？”: 汇总, not one or two passages
            yield summary
            return
        yield from self.services.chain().partials(question, filters, history_of(turns))

    def sources_html(self, answer: Answer) -> str:
        if not answer.citations:
            return sources_panel([], "本次回答没有引用来源。" if answer.refused else "")
        cards = [source_card(c, answer.text, self._context(c.passage.chunk_id))
                 for c in answer.citations]
        return sources_panel(cards)

    def _context(self, chunk_id: str) -> list[Passage]:
        try:
            return self.services.corpus.context(chunk_id, around=1)
        except (PolicyQAError, ValueError, KeyError) as exc:
            logger.warning("no context chunk=%s reason=%s", chunk_id, exc)
            return []

    def api_chat(self, question: str) -> str:
        """The `/chat` endpoint: qa, no memory; answer text, then the 来源 list."""
        answer = cross_document_answer(self.services, question.strip())
        if answer is not None:
            block = sources_block(answer.citations)
            return answer.text + ("\n\n" + block if block else "")
        if self.model_queue is None:
            answer = self.services.ask(question.strip(), SearchFilter())
        else:
            with self.model_queue.ticket() as ticket:  # in line with the page's chats
                ticket.wait()
                answer = self.services.ask(question.strip(), SearchFilter())
        block = sources_block(answer.citations)
        return answer.text + ("\n\n" + block if block else "")

    # --- feedback and export ------------------------------------------------------------------
    def feedback(self, turns: list[Turn], index: Any, liked: Any, user: str = "") -> str:
        """Store 👍/👎 for the assistant message at chat `index` (two messages per turn)."""
        position = index[0] if isinstance(index, (list, tuple)) else index
        if not isinstance(position, int) or liked not in (True, False):
            return ""
        turn_no = position // 2
        if not 0 <= turn_no < len(turns):
            return ""
        self.feedback_log.add(turns[turn_no], bool(liked), user)
        return "已记录反馈：" + ("👍 有用" if liked else "👎 没有帮助") + "，谢谢。"

    def export(self, turns: list[Turn]) -> list[str]:
        return export_conversation(turns) if turns else []


def queue_notice(ahead: int, waited_s: float) -> str:
    """What a waiting chat shows instead of a frozen page."""
    return (f"⏳ 排队中：前面还有 {ahead} 个问题，请稍候…（已等待 {waited_s:.0f} 秒；"
            "本地模型一次只回答一个问题）")


def _assistant(content: str) -> Message:
    return {"role": "assistant", "content": content}
