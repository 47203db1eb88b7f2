"""LLM backends with fake chat models: verified citations, refusal before the LLM, fallback,
streaming order, follow-up rewriting only when needed."""

import re
from pathlib import Path

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer.backend import Delta
from assistant.answer.gate import REFUSAL, Retrieval
from assistant.answer.generative import FALLBACK_NOTE, QUOTES_HEADING
from assistant.answer.rewrite import depends_on_history, rule_rewrite
from assistant.core.types import Answer

DATA = Path(__file__).resolve().parents[2] / "data"


class CountingFake(FakeListChatModel):
    calls: int = 0

    def _call(self, *args, **kwargs):
        self.calls += 1
        return super()._call(*args, **kwargs)

    def _stream(self, *args, **kwargs):
        self.calls += 1
        yield from super()._stream(*args, **kwargs)


class BrokenModel(FakeListChatModel):
    def _stream(self, *args, **kwargs):
        raise RuntimeError("server said no")
        yield  # pragma: no cover


def with_model(services, *replies, cls=CountingFake):
    model = cls(responses=list(replies))
    services.use_chat_model("openai", model)
    return model


def rank_of(services, question, needle):
    passages = services.search(question, k=5)
    return next(r for r, p in enumerate(passages, 1) if needle in p.text)


def test_llm_answer_is_verified_and_renumbered(services):
    question = "农村卫生厕所普及率和项目谋划时间有什么要求？"
    n = rank_of(services, question, "85%")
    with_model(services, f"普及率要达到85%以上[{n}]。各县要在10月底前完成项目谋划[9]。")
    answer = services.ask(question, backend="openai")
    assert answer.backend == "openai"
    assert "[9]" not in answer.text and answer.text.startswith("普及率要达到85%以上[1]")
    assert answer.citations[0].n == 1 and answer.citations[0].rank == n
    assert "85%" in answer.citations[0].passage.text
    assert any("不存在" in note for note in answer.notes)


def test_irrelevant_question_is_refused_without_calling_the_llm(services):
    model = with_model(services, "不该被调用[1]。")
    answer = services.ask("城镇职工医保门诊报销比例是多少？", backend="openai")
    assert answer.refused and answer.text.startswith(REFUSAL)
    assert model.calls == 0


def test_llm_error_falls_back_to_extractive_and_says_so(services):
    with_model(services, "x", cls=BrokenModel)
    answer = services.ask("农村卫生厕所普及率要达到多少？", backend="openai")
    assert answer.text.startswith(FALLBACK_NOTE)
    assert "85%" in answer.text and answer.citations


def test_uncited_llm_answer_is_replaced_by_quotes(services):
    with_model(services, "普及率要达到百分之八十五。")
    answer = services.ask("农村卫生厕所普及率要达到多少？", backend="openai")
    assert answer.text.startswith(FALLBACK_NOTE) and answer.citations


def test_stream_yields_sources_first_then_deltas_then_the_answer(services):
    n = rank_of(services, "农村卫生厕所普及率要达到多少？", "85%")
    with_model(services, f"普及率要达到85%以上[{n}]。")
    events = list(services.chain("openai").stream("农村卫生厕所普及率要达到多少？"))
    assert isinstance(events[0], Retrieval) and events[0].passages
    deltas = [e for e in events if isinstance(e, Delta)]
    assert len(deltas) > 3  # the fake streams per character
    assert isinstance(events[-1], Answer) and events[-1].citations


def test_follow_up_is_rewritten_only_when_it_depends_on_history(services):
    history = (("农村卫生厕所普及率要达到多少？", "85%以上[1]"),)
    assert not depends_on_history("农村卫生厕所普及率要达到多少？", ())
    assert not depends_on_history("市财政局安排多少专项资金支持特色产业？", history)
    assert depends_on_history("那生活污水呢？", history)
    query = rule_rewrite("那生活污水呢？", history, services.tokenizer.terms)
    assert "农村" in query and query.endswith("那生活污水呢？")
    model = with_model(services, "农村生活污水治理由哪个部门负责",
                       "生活污水治理由市生态环境局督促指导[1]。")
    events = list(services.chain("openai").stream("那生活污水呢？", history=history))
    assert events[0].query == "农村生活污水治理由哪个部门负责"
    assert model.calls == 2  # one rewrite, one answer
    n = rank_of(services, "农村卫生厕所普及率要达到多少？", "85%")
    with_model(services, "unused", f"普及率要达到85%以上[{n}]。")
    chain = services.chain("openai")
    events = list(chain.stream("农村卫生厕所普及率要达到多少？", history=history))
    assert events[0].query == "农村卫生厕所普及率要达到多少？"


def test_answer_ends_with_verbatim_quotes_the_model_left_out(services):
    question = "农村卫生厕所普及率要达到多少？"
    n = rank_of(services, question, "85%")
    with_model(services, f"要达到85%以上[{n}]。")
    answer = services.ask(question, backend="openai")
    body, quotes = answer.text.split(QUOTES_HEADING)
    assert body.startswith("要达到85%以上[1]")
    lines = [line for line in quotes.splitlines() if line]
    assert lines
    for line in lines:  # each quote is a sentence of the passage it cites: "…[n]。"
        marker = re.search(r"\[(\d)\]", line)
        assert marker and line[marker.end():] in ("", "。")
        sentence = line[: marker.start()] + line[marker.end():]
        assert sentence in answer.citations[int(marker.group(1)) - 1].passage.text


def test_no_quotes_when_the_model_already_said_it(services):
    question = "农村卫生厕所普及率要达到多少？"
    n = rank_of(services, question, "85%")
    top = services.extractive().key_sentences(question, services.search(question), 1)
    rank, sentence = top[0]
    with_model(services, f"{sentence}[{rank}]")
    services.settings.llm.quote_sentences = 1
    try:
        answer = services.ask(question, backend="openai")
    finally:
        services.settings.llm.quote_sentences = 2
    assert QUOTES_HEADING not in answer.text and n
