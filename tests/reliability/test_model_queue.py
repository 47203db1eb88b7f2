"""The waiting line in front of the local model: FIFO places, visible while waiting, no mixing."""

import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from assistant.core.types import SearchFilter
from assistant.llm.queue import ModelQueue
from assistant.webui.chat import Chat

DATA = Path(__file__).parent.parent / "data"
SPEECH_NAME = "乡村振兴推进会讲话.txt"
QUESTIONS = {"a": "全市农村居民人均可支配收入达到多少？",
             "b": "高素质农民培育计划全年培训农民多少人次？"}
_PASSAGE_ONE = re.compile(r"^\[1\] [^\n]*\n(.*?)(?=^\[2\] |\Z)", re.M | re.S)
STATE: dict[str, Any] = {"calls": [], "overlaps": 0, "busy": threading.Lock()}


def longest_sentence(text: str) -> str:
    return max(re.split(r"[。；\n]", text), key=len).strip()


class SlowQuoter(BaseChatModel):
    """A fake local model: `delay` seconds per answer, quoting passage [1]'s longest sentence.

    It counts calls that overlap, which the line in front of one model must never allow."""

    delay: float = 1.5

    @property
    def _llm_type(self) -> str:
        return "slow-quoter"

    def _stream(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        if not STATE["busy"].acquire(blocking=False):
            STATE["overlaps"] += 1
            STATE["busy"].acquire()
        try:
            user = messages[-1].text
            STATE["calls"].append(user)
            match = _PASSAGE_ONE.search(user)
            reply = (longest_sentence(match.group(1)) if match else "文件中未提及") + "[1]。"
            for piece in (reply[: len(reply) // 2], reply[len(reply) // 2:]):
                time.sleep(self.delay / 2)
                yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
        finally:
            STATE["busy"].release()

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        text = "".join(c.text for c in self._stream(messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


@pytest.fixture(scope="module")
def local_services(tmp_path_factory):
    """Services in mode=local over the test speech, with the slow fake as the local model."""
    from assistant.core.settings import Settings
    from assistant.services import Services

    folder = tmp_path_factory.mktemp("queue")
    shutil.copy(DATA / "speech.txt", folder / SPEECH_NAME)
    services = Services(Settings(store={"path": folder / "kb"}, embedding={"mode": "hash"},
                                 llm={"mode": "local"}))
    services.ingest([folder / SPEECH_NAME])
    services.use_chat_model("local", SlowQuoter())
    return services


def test_tickets_are_served_in_arrival_order_and_leavers_drop_out():
    line = ModelQueue()
    first, second, third = line.ticket(), line.ticket(), line.ticket()
    assert [t.position for t in (first, second, third)] == [0, 1, 2]
    assert first.wait(0) and not second.wait(0.01)
    second.release()  # a waiting user closed the page
    assert third.position == 1 and len(line) == 2
    first.release()
    assert third.position == 0 and third.wait(0)
    third.release()
    assert len(line) == 0


def test_a_waiting_ticket_wakes_when_the_one_ahead_finishes():
    line = ModelQueue()
    head = line.ticket()
    waiter = line.ticket()
    woke: list[float] = []

    def wait() -> None:
        start = time.monotonic()
        assert waiter.wait(20)
        woke.append(time.monotonic() - start)

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.3)
    head.release()
    thread.join(5)
    assert woke and 0.25 < woke[0] < 10  # woken by the release, not by a timeout


def test_second_chat_shows_its_place_then_gets_its_own_answer(local_services, monkeypatch):
    import assistant.webui.chat as ui_actions

    monkeypatch.setattr(ui_actions, "QUEUE_POLL_S", 0.2)
    actions = Chat(local_services)
    assert actions.model_queue is not None
    replies: dict[str, list[str]] = {}

    def chat(who: str) -> None:
        steps = actions.chat(QUESTIONS[who], [], [], "qa", SearchFilter())
        replies[who] = [s.messages[-1]["content"] for s in steps]

    first = threading.Thread(target=chat, args=("a",))
    first.start()
    while not STATE["calls"]:  # the first question has reached the model
        time.sleep(0.02)
    second = threading.Thread(target=chat, args=("b",))
    second.start()
    first.join(30)
    second.join(30)

    waiting = [r for r in replies["b"] if "排队中" in r]
    assert waiting and "前面还有 1 个问题" in waiting[0]
    assert not any("排队中" in r for r in replies["a"])
    assert STATE["overlaps"] == 0 and len(STATE["calls"]) == 2
    tops = {who: local_services.search(q, 10)[0] for who, q in QUESTIONS.items()}
    assert tops["a"].chunk_id != tops["b"].chunk_id
    for who, other in (("a", "b"), ("b", "a")):
        final = replies[who][-1]
        assert "排队中" not in final and "[1]" in final
        assert longest_sentence(tops[who].text) + "[1]" in final  # its own passage
        assert longest_sentence(tops[other].text) not in final


def test_the_chat_endpoint_waits_its_turn_too(local_services):
    actions = Chat(local_services)
    assert actions.model_queue is not None
    head = actions.model_queue.ticket()  # someone else's answer is generating
    done: list[str] = []
    caller = threading.Thread(target=lambda: done.append(actions.api_chat(QUESTIONS["a"])))
    caller.start()
    time.sleep(0.5)
    assert not done and len(actions.model_queue) == 2
    head.release()
    caller.join(30)
    assert done and "18600元" in done[0] and len(actions.model_queue) == 0


def test_extractive_and_remote_chats_take_no_ticket(tmp_path):
    from types import SimpleNamespace

    from assistant.core.settings import Settings

    for mode in ("extractive", "openai"):
        settings = Settings(store={"path": tmp_path / "kb"}, llm={"mode": mode})
        assert Chat(SimpleNamespace(settings=settings)).model_queue is None
