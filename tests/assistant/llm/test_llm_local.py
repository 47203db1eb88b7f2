"""The real bundled GGUF model answering in Chinese from a passage, streamed token by token."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage, SystemMessage

from assistant.core.settings import LLMSettings
from assistant.llm.local import LocalLlamaChat, make_local_chat

pytestmark = pytest.mark.slow

SYSTEM = "你是政策问答助手。只根据给出的资料回答，答案要简短，并用[编号]标注出处。"
PASSAGE = "[1] 各县（市）要在10月底前完成项目谋划。"
QUESTION = "各县什么时候前完成项目谋划？请引用[1]。"


def _messages(question: str = QUESTION) -> list[BaseMessage]:
    return [SystemMessage(SYSTEM), HumanMessage(f"资料：\n{PASSAGE}\n\n问题：{question}")]


@pytest.fixture(scope="module")
def chat() -> Iterator[LocalLlamaChat]:
    settings = LLMSettings(mode="local", n_ctx=2048, max_tokens=64, temperature=0.0)
    model = make_local_chat(settings)
    yield model
    model.close()


def test_streams_an_answer_taken_from_the_passage(chat: LocalLlamaChat) -> None:
    start = time.monotonic()
    chunks = [chunk for chunk in chat.stream(_messages())]
    elapsed = time.monotonic() - start
    texts = [chunk.text for chunk in chunks if chunk.text]
    answer = "".join(texts)
    assert "10月" in answer, answer
    assert len(texts) > 1
    assert elapsed < 120


def test_reports_timings_and_reuses_the_cached_prompt(chat: LocalLlamaChat) -> None:
    chunks = list(chat.stream(_messages("项目谋划的截止时间是？")))
    merged = sum(chunks[1:], chunks[0])
    assert isinstance(merged, AIMessageChunk)
    timings = merged.response_metadata["timings"]
    assert timings["generated_tokens"] > 0 and timings["gen_ms"] > 0
    # the system prompt and passage were evaluated by the previous test's call
    assert timings["cached_tokens"] > 20
    assert merged.usage_metadata is not None
    assert merged.usage_metadata["input_tokens"] >= timings["cached_tokens"]


def test_stopping_a_stream_early_frees_the_model(chat: LocalLlamaChat) -> None:
    for index, _ in enumerate(chat.stream([HumanMessage("请写一篇关于县域经济的长文。")])):
        if index == 3:
            break
    assert not chat.compute_lock.locked()
    assert "10月" in str(chat.invoke(_messages()).content)


def test_http_side_is_loopback_only_and_needs_a_key(chat: LocalLlamaChat) -> None:
    chat.load()
    assert chat.listening_address.startswith("http://127.0.0.1:")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(chat.listening_address + "/v1/models", timeout=10)
    assert caught.value.code == 401
