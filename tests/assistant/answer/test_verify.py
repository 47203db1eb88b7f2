"""Citation verification: invented ids dropped, renumbering, weak and uncited sentences."""

from assistant.answer.verify import Repair, verify
from assistant.core.text import support
from assistant.core.types import Passage


def passage(n, text):
    return Passage(chunk_id=f"d-{n:05d}", text=text, source="/d.txt", title="实施意见",
                   heading_path=(), page=None, score=0.0)


PASSAGES = [
    passage(1, "各县（市）要在10月底前完成特色产业项目谋划，每个县至少储备5个亿元以上项目。"),
    passage(2, "市财政局要安排专项资金2000万元予以支持。"),
    passage(3, "到今年年底，全市农村卫生厕所普及率要达到85%以上。"),
]


def test_invented_citation_numbers_are_dropped_and_sources_renumbered_by_first_use():
    answer = "财政局安排专项资金2000万元[2]。各县要在10月底前完成项目谋划[7][1]。"
    result = verify(answer, PASSAGES)
    assert result.dropped == (7,)
    assert result.text == "财政局安排专项资金2000万元[1]。各县要在10月底前完成项目谋划[2]。"
    assert [(c.n, c.rank) for c in result.citations] == [(1, 2), (2, 1)]
    assert result.citations[0].passage is PASSAGES[1]


def test_sentence_without_citation_is_flagged():
    answer = "卫生厕所普及率要达到85%以上[3]。这项工作还要纳入年度考核并定期通报进展。"
    result = verify(answer, PASSAGES)
    assert result.uncited == 1
    assert "（⚠未标注来源）" in result.text


def test_cited_sentence_its_passage_does_not_support_is_marked_weak():
    result = verify("全市要新建高速公路三百公里并完成机场改扩建工程[1]。", PASSAGES)
    assert result.weak == 1
    assert "（⚠依据不足）" in result.text


def test_a_number_not_in_the_cited_passage_makes_support_weak():
    result = verify("卫生厕所普及率要达到95%以上[3]。", PASSAGES)
    assert result.checks[0].unsupported_numbers == ("95%",)
    assert result.weak == 1


def test_not_mentioned_note_needs_no_citation():
    result = verify("厕所普及率要达到85%以上[3]。资金来源文件中未提及。", PASSAGES)
    assert result.uncited == 0 and result.weak == 0


def test_support_ignores_punctuation():
    assert support("各县要在10月底前完成特色产业项目谋划", PASSAGES[0].text) > 0.8
    assert support("完全无关的句子内容", PASSAGES[0].text) < 0.2


def test_markers_after_the_full_stop_belong_to_that_sentence():
    result = verify("各县要在10月底前完成项目谋划。[1]财政局安排专项资金2000万元。[2]", PASSAGES)
    assert result.uncited == 0
    assert result.text == "各县要在10月底前完成项目谋划[1]。财政局安排专项资金2000万元[2]。"


def test_repair_moves_a_citation_to_the_passage_that_holds_the_sentence():
    result = verify("市财政局要安排专项资金2000万元予以支持[1]。", PASSAGES, repair=Repair())
    assert [c.rank for c in result.citations] == [2]
    assert result.weak == 0 and result.repaired == (1, 0, 0)


def test_repair_cites_an_uncited_sentence_copied_from_a_passage():
    result = verify("到今年年底，全市农村卫生厕所普及率要达到85%以上。", PASSAGES, repair=Repair())
    assert result.text == "到今年年底，全市农村卫生厕所普及率要达到85%以上[1]。"
    assert result.citations[0].rank == 3 and result.repaired == (0, 1, 0)


def test_repair_leaves_unprovable_sentences_flagged():
    answer = "全市要新建高速公路三百公里[1]。这项工作还要纳入年度考核并定期通报进展。"
    result = verify(answer, PASSAGES, repair=Repair())
    assert result.weak == 1 and result.uncited == 1 and result.repaired == (0, 0, 0)


def test_repair_removes_fragments_echoes_and_copied_source_labels():
    answer = ("、[1][2]\n资金怎么安排？\n《实施意见》 · 二、保障措施[2]\n《实施意见》[1]\n"
              "市财政局要安排专项资金2000万元[2]。")
    result = verify(answer, PASSAGES, repair=Repair(question="资金怎么安排？"))
    assert result.text == "市财政局要安排专项资金2000万元[1]。"
    assert result.repaired == (0, 0, 4)


def test_lines_without_final_punctuation_are_kept():
    answer = "主要要求：\n1. 各县要在10月底前完成项目谋划[1]\n2. 安排专项资金2000万元[2]"
    assert verify(answer, PASSAGES).text == answer


def test_a_short_statement_without_citation_is_still_flagged():
    result = verify("普及率要达到85%以上[3]。已被控制。", PASSAGES)
    assert result.uncited == 1 and "已被控制（⚠未标注来源）。" in result.text


def test_error_text_never_shows_a_key_from_the_environment(monkeypatch):
    from assistant.answer.generative import scrub

    monkeypatch.setenv("DASHSCOPE_API_KEY", "gsk_live.Zx81-secretvalue")
    assert "secretvalue" not in scrub("401: bad key gsk_live.Zx81-secretvalue for model")
