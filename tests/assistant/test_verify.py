"""Citation verification: invented ids dropped, renumbering, weak and uncited sentences."""

from assistant.types import Passage
from assistant.verify import support, verify


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
