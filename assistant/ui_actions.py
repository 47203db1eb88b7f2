"""What the web page's buttons do, in plain Python (ui.py wires these to Gradio components).

Chat streams: a backend with `ask_stream(question, filters, history)` is streamed as it
generates; otherwise the finished answer (extractive quotes come back in well under a second)
is revealed sentence by sentence. The sources panel is filled with the first chunk.

The local model answers one question at a time: a chat that arrives while another user's
answer is generating takes a ticket in a `ModelQueue` and shows its place in line, refreshed
every second, until its turn comes (remote and extractive backends answer at once).
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.citations import source_line, sources_block
from assistant.errors import PolicyQAError
from assistant.model_queue import ModelQueue
from assistant.types import Answer, SearchFilter
from assistant.ui_files import (
    MODE_TITLES,
    FeedbackLog,
    Turn,
    export_conversation,
    save_uploads,
)
from assistant.ui_render import (
    STATUS_LABELS,
    answer_markdown,
    md_escape,
    retrieval_rows,
    source_card,
    sources_panel,
    stream_pieces,
)

logger = logging.getLogger(__name__)

ALL_TYPES = "全部类型"
QUEUED_MODES = ("local",)  # backends that answer one question at a time
QUEUE_POLL_S = 1.0  # how often a waiting chat refreshes its place in line
Message = dict[str, Any]


@dataclass
class ChatUpdate:
    """One step of a streamed reply: the chat messages, the turns so far, the sources panel."""

    messages: list[Message]
    turns: list[Turn]
    sources_html: str


@dataclass
class IngestOutcome:
    rows: list[list[object]] = field(default_factory=list)
    message: str = ""


def make_filter(sources: Sequence[str] | None, doc_type: str | None) -> SearchFilter:
    kind = "" if not doc_type or doc_type == ALL_TYPES else doc_type
    return SearchFilter(sources=tuple(sources or ()), doc_type=kind)


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class Actions:
    def __init__(self, services: Any) -> None:
        self.services = services
        store = Path(services.settings.store.path)
        self.uploads = store / "uploads"
        self.feedback_log = FeedbackLog(store / "feedback.jsonl")
        self.max_files = services.settings.ui.max_files
        self.model_queue = ModelQueue() if self.backend_mode in QUEUED_MODES else None

    @property
    def backend_mode(self) -> str:
        return self.services.settings.llm.mode

    # --- chat ---------------------------------------------------------------------------------
    def chat(self, question: str, messages: list[Message], turns: list[Turn], task: str,
             filters: SearchFilter) -> Iterator[ChatUpdate]:
        question = (question or "").strip()
        if not question:
            yield ChatUpdate(list(messages), list(turns), sources_panel([]))
            return
        messages = list(messages) + [{"role": "user", "content": md_escape(question)}]
        notice = self.unsupported(task)
        if notice:
            turn = Turn(question, notice, mode=task, backend=self.backend_mode, refused=True)
            yield ChatUpdate(messages + [_assistant(md_escape(notice))], list(turns) + [turn],
                             sources_panel([], "该模式暂不可用。"))
            return
        try:
            yield from self._answer_in_turn(question, messages, turns, task, filters)
        except PolicyQAError as exc:
            logger.warning("chat failed question=%s reason=%s", question, exc)
            text = f"出错了：{exc}"
            yield ChatUpdate(messages + [_assistant(md_escape(text))],
                             list(turns) + [Turn(question, text, mode=task, refused=True)],
                             sources_panel([], "没有可显示的来源。"))

    def unsupported(self, task: str) -> str:
        """Why `task` cannot run here ('' when it can): outline/draft need a language model."""
        if task == "qa":
            return ""
        if not _accepts(self.services.ask, "task"):
            return (f"该模式需要大模型后端：“{MODE_TITLES.get(task, task)}”要由模型组织语言，"
                    "当前的摘录方式只能逐句引用原文，不能生成。请配置本地或远程模型"
                    "（llm.mode=local 或 openai）后再试，或切换到“问答”。")
        return ""

    def _answer_in_turn(self, question: str, messages: list[Message], turns: list[Turn],
                        task: str, filters: SearchFilter) -> Iterator[ChatUpdate]:
        """Answer now, or (local model) wait in line showing the place, then answer."""
        if self.model_queue is None:
            yield from self._answer_stream(question, messages, turns, task, filters)
            return
        with self.model_queue.ticket() as ticket:
            start = time.monotonic()
            while (ahead := ticket.position) > 0:
                notice = queue_notice(ahead, time.monotonic() - start)
                yield ChatUpdate(messages + [_assistant(notice)], list(turns),
                                 sources_panel([], "排队中，轮到本问题时显示来源。"))
                ticket.wait(QUEUE_POLL_S)
            yield from self._answer_stream(question, messages, turns, task, filters)

    def _answer_stream(self, question: str, messages: list[Message], turns: list[Turn],
                       task: str, filters: SearchFilter) -> Iterator[ChatUpdate]:
        answer: Answer | None = None
        panel, shown = sources_panel([]), None
        for answer, text in self._partials(question, turns, task, filters):
            key = (answer.citations, answer.refused)
            if key != shown and (answer.citations or answer.refused):
                panel, shown = self.sources_html(answer), key  # filled with the first chunk
            yield ChatUpdate(messages + [_assistant(answer_markdown(answer, text))],
                             list(turns), panel)
        if answer is None:
            return
        if (answer.citations, answer.refused) != shown:
            panel = self.sources_html(answer)
        turn = Turn(question, answer.text, tuple(source_line(c.passage) for c in
                    answer.citations), task, answer.backend, answer.refused)
        yield ChatUpdate(messages + [_assistant(answer_markdown(answer))],
                         list(turns) + [turn], panel)

    def _partials(self, question: str, turns: list[Turn], task: str,
                  filters: SearchFilter) -> Iterator[tuple[Answer, str]]:
        """(answer so far, text to show) pairs; the caller shows the sources after the last."""
        kwargs = {"task": task} if _accepts(self.services.ask, "task") else {}
        stream = getattr(self.services, "ask_stream", None)
        if stream is not None:
            history = [m for t in turns for m in ({"role": "user", "content": t.question},
                                                   {"role": "assistant", "content": t.answer})]
            for partial in stream(question, filters, history, **kwargs):
                yield partial, partial.text
            return
        answer = self.services.ask(question, filters, **kwargs)
        for text in stream_pieces(answer.text):
            yield answer, text

    def sources_html(self, answer: Answer) -> str:
        if not answer.citations:
            return sources_panel([], "本次回答没有引用来源。" if answer.refused else "")
        cards = [source_card(c, answer.text, self._context(c.passage.chunk_id))
                 for c in answer.citations]
        return sources_panel(cards)

    def _context(self, chunk_id: str) -> list[Any]:
        try:
            return self.services.kb.context(chunk_id, around=1)
        except (PolicyQAError, ValueError, KeyError) as exc:
            logger.warning("no context chunk=%s reason=%s", chunk_id, exc)
            return []

    def api_chat(self, question: str) -> str:
        """The `/chat` endpoint: qa mode, no memory; answer text, then the 来源 list."""
        if self.model_queue is None:
            answer = self.services.ask(question.strip(), SearchFilter())
        else:
            with self.model_queue.ticket() as ticket:  # in line with the page's chats
                ticket.wait()
                answer = self.services.ask(question.strip(), SearchFilter())
        block = sources_block(answer.citations)
        return answer.text + ("\n\n" + block if block else "")

    # --- feedback and export ------------------------------------------------------------------
    def feedback(self, turns: list[Turn], index: Any, liked: Any) -> str:
        """Store 👍/👎 for the assistant message at chat `index` (two messages per turn)."""
        position = index[0] if isinstance(index, (list, tuple)) else index
        if not isinstance(position, int) or liked not in (True, False):
            return ""
        turn_no = position // 2
        if not 0 <= turn_no < len(turns):
            return ""
        self.feedback_log.add(turns[turn_no], bool(liked))
        return "已记录反馈：" + ("👍 有用" if liked else "👎 没有帮助") + "，谢谢。"

    def export(self, turns: list[Turn]) -> list[str]:
        return export_conversation(turns) if turns else []

    # --- knowledge base -----------------------------------------------------------------------
    def ingest(self, files: Sequence[str] | None) -> IngestOutcome:
        if not files:
            return IngestOutcome(message="请先选择要上传的文件。")
        if len(files) > self.max_files:
            return IngestOutcome(message=f"一次最多上传 {self.max_files} 个文件（本次 {len(files)} "
                                 "个），请分批上传（上限见设置 ui.max_files）。")
        saved = save_uploads(files, self.uploads)
        rows: list[list[object]] = [[n, "已拒绝", why, 0, ""] for n, why in saved.rejected]
        if saved.paths:
            report = self.services.ingest(saved.paths, progress=True)
            rows += [[Path(r.source).name, STATUS_LABELS.get(r.status, r.status), r.reason,
                      r.chunks, r.title] for r in report.results]
        counts = {label: sum(1 for r in rows if r[1] == label)
                  for label in ("已导入", "未变化", "已跳过", "已拒绝")}
        message = " · ".join(f"{k} {v}" for k, v in counts.items())
        return IngestOutcome(rows, message)

    def delete(self, source: str | None) -> str:
        if not source:
            return "请先选择要删除的文件。"
        record = self.services.kb.find_source(source)
        if not self.services.delete(source):
            return "知识库中没有这个文件。"
        path = Path(source)
        if path.parent.resolve() == self.uploads.resolve() and path.is_file():
            path.unlink()  # our own copy of an upload; files elsewhere are the user's
        title = record.title if record else path.name
        return f"已删除《{title}》。"

    def documents(self) -> list[Any]:
        rows = [(s, r) for r in self.services.kb.records().values() for s in r.sources]
        return sorted(rows, key=lambda row: (row[1].title, row[0]))

    def document_rows(self) -> list[list[object]]:
        return [[r.title, r.doc_type, r.doc_no, r.date, r.chunks, Path(s).name]
                for s, r in self.documents()]

    def document_choices(self) -> list[tuple[str, str]]:
        return [(f"{r.title}（{Path(s).name}）", s) for s, r in self.documents()]

    def example_questions(self, limit: int = 3) -> list[str]:
        titles = list(dict.fromkeys(r.title for _, r in self.documents() if r.title))
        return [f"《{t}》提出了哪些主要任务？" for t in titles[:limit]]

    def retrieval_test(self, query: str, k: int, filters: SearchFilter) -> list[list[object]]:
        if not (query or "").strip():
            return []
        return retrieval_rows(self.services.search(query.strip(), int(k), filters))


def queue_notice(ahead: int, waited_s: float) -> str:
    """What a waiting chat shows instead of a frozen page."""
    return (f"⏳ 排队中：前面还有 {ahead} 个问题，请稍候…（已等待 {waited_s:.0f} 秒；"
            "本地模型一次只回答一个问题）")


def _assistant(content: str) -> Message:
    return {"role": "assistant", "content": content}
