"""The retrieval chain with the extractive backend: cited quotes, refusals, sources lines."""

import re
from pathlib import Path

from assistant.answer.gate import REFUSAL
from assistant.core.sources import source_line
from assistant.core.types import Passage

DATA = Path(__file__).resolve().parents[2] / "data"


def cited_passages(answer):
    return {c.n: c.passage for c in answer.citations}


def test_answer_quotes_sentences_each_followed_by_a_real_citation(services):
    answer = services.ask("各县（市）要在什么时候前完成特色产业项目谋划？")
    assert not answer.refused
    assert "10月底前" in answer.text
    by_number = cited_passages(answer)
    for line in answer.text.splitlines():
        match = re.fullmatch(r"(.+)\[(\d+)\]", line)
        assert match, f"uncited line: {line}"
        quote, n = match.group(1), int(match.group(2))
        assert quote.replace("\n", "") in by_number[n].text.replace("\n", "")
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_citation_ranks_point_into_the_retrieved_list(services):
    answer = services.ask("农村卫生厕所普及率要达到多少？")
    assert "85%" in answer.text
    for citation in answer.citations:
        assert answer.passages[citation.rank - 1] == citation.passage
    assert len(answer.passages) >= 5


def test_unrelated_question_is_refused_with_what_was_searched(services):
    answer = services.ask("城镇职工医保的门诊报销比例是多少？")
    assert answer.refused
    assert answer.text.startswith(REFUSAL)
    assert "城镇职工医保的门诊报销比例是多少？" in answer.text
    assert not answer.citations


def test_question_for_a_fact_kind_no_sentence_states_is_refused(services):
    # on topic (the talent programme) but no sentence gives a responsible unit for it
    answer = services.ask("高素质农民培育计划由哪个部门负责？")
    assert answer.refused
    assert "责任单位" in answer.text


def test_filters_that_admit_nothing_refuse(services):
    from assistant.core.types import SearchFilter

    answer = services.ask("农村卫生厕所普及率要达到多少？", SearchFilter(doc_type="法规"))
    assert answer.refused
    assert "类型：法规" in answer.text


def test_source_line_reads_like_a_staff_citation():
    passage = Passage(chunk_id="x-00001", text="…", source="/a/b.txt",
                      title="关于加快推动县域经济发展壮大的实施意见",
                      heading_path=("二、重点任务", "（一）产业"),
                      page=3, score=1.0, doc_no="X政〔2022〕12号", date="2022-09-15")
    assert source_line(passage) == ("《关于加快推动县域经济发展壮大的实施意见》（X政〔2022〕12号，"
                                    "2022年9月15日） · 二、重点任务 > （一）产业 · 第3页")
    bare = Passage(chunk_id="x-00002", text="…", source="/a/c.txt", title="讲话", heading_path=(),
                   page=None, score=1.0)
    assert source_line(bare) == "《讲话》"


def test_refusals_are_typed_with_the_terms_they_are_about(services):
    from assistant.core.types import RefusalKind

    off_topic = services.ask("城镇职工医保的门诊报销比例是多少？")
    assert off_topic.refusal.kind is RefusalKind.RELEVANCE
    no_unit = services.ask("高素质农民培育计划由哪个部门负责？")
    assert no_unit.refusal.kind is RefusalKind.MISSING_FACT
    assert no_unit.refusal.terms == ("责任单位",)
    answered = services.ask("各县（市）要在什么时候前完成特色产业项目谋划？")
    assert answered.refusal is None and not answered.refused


def test_ask_is_the_stream_drained(services):
    from assistant.answer.backend import final_answer
    from assistant.answer.gate import Retrieval

    question = "农村卫生厕所普及率要达到多少？"
    events = list(services.chain().stream(question))
    assert isinstance(events[0], Retrieval) and events[0].passages
    streamed = final_answer(iter(events))
    asked = services.ask(question)
    assert (asked.text, asked.citations, asked.refusal) == (
        streamed.text, streamed.citations, streamed.refusal)


def test_json_reports_the_refusal_kind(services, capsys, monkeypatch):
    import json

    from assistant.cli.main import main

    monkeypatch.setenv("POLICYQA_EMBEDDING__MODE", "hash")
    code = main(["ask", "高素质农民培育计划由哪个部门负责？", "--json",
                 "--store", str(services.settings.store.path)])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed["refused"] is True
    assert printed["refusal_kind"] == "missing_fact"
