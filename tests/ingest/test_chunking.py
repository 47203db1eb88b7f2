"""The heading tree and sentence packing on speech-, 公文- and law-shaped text."""

from pathlib import Path

import pytest

from assistant.core.text import split_sentences
from ingest.chunking import ChunkSizes, chunk_text
from ingest.headings import detect_heading

SPEECH = (Path(__file__).parent.parent / "data" / "speech.txt").read_text(encoding="utf-8")


def chunk_for(chunks, needle):
    return next(c for c in chunks if needle in c.text)


def test_speech_chunks_carry_heading_paths_below_the_top_level():
    chunks = chunk_text(SPEECH, ChunkSizes(target=200, max=300, min=60, overlap=40))
    toilet = chunk_for(chunks, "卫生厕所普及率")
    assert toilet.heading_path == ("二、突出重点，扎实推进乡村振兴各项任务",
                                   "（二）改善农村人居环境")
    yao = chunk_for(chunks, "季度督导")
    assert yao.heading_path[0].startswith("三、压实责任")
    assert yao.heading_path[1] == "二要强化督查考核"
    first = chunk_for(chunks, "城乡发展不平衡")
    assert first.heading_path[-1] == "第一，这是推动城乡融合发展的必然要求"


def test_chunks_are_exact_spans_and_never_heading_only():
    chunks = chunk_text(SPEECH, ChunkSizes(target=200, max=300, min=60, overlap=40))
    for chunk in chunks:
        assert SPEECH[chunk.start:chunk.end] == chunk.text
        assert len(chunk.text) <= 300
        body = chunk.text
        for title in chunk.heading_path:
            body = body.replace(title, "")
        assert len(body.strip("\n。，；： ")) > 10, f"heading-only chunk: {chunk.text!r}"


def test_heading_only_line_is_folded_into_the_next_section():
    chunks = chunk_text(SPEECH)
    assert not any(c.text.strip() == "（一）发展乡村特色产业" for c in chunks)
    industry = chunk_for(chunks, "三大特色产业")
    assert industry.heading_path[-1].startswith("（一）发展乡村特色产业")


def test_cross_reference_is_not_a_heading():
    assert detect_heading("按照第三条的规定开展季度督导。") is None
    assert detect_heading("第三条 各级人民政府应当加强领导。").title == "第三条"


@pytest.mark.parametrize("line, style", [
    ("一、总体要求", "cn1"), ("（二）主要目标", "cn2"), ("1.加快项目建设。", "num"),
    ("（3）完善机制。", "pnum"), ("第二章 监督管理", "chapter"), ("## 工作要求", "md2"),
    ("第一，这是必然要求。后面还有话。", "ordinal"), ("一要强化组织领导。", "yao"),
    ("二是选派科技特派员。", "shi"), ("首先，要提高认识。", "seq"),
])
def test_heading_ladder_styles(line, style):
    assert detect_heading(line).style == style


@pytest.mark.parametrize("line", ["1.5亿元已经下达。", "2024年工作要点如下。", "要求各单位报送。",
                                  "一要素市场化配置。"[:0] or "一般情况下不予受理。"])
def test_ordinary_sentences_are_not_headings(line):
    assert detect_heading(line) is None


def test_long_section_is_split_at_sentence_ends_with_overlap():
    sentence = "各县（市）要加快推进项目建设，确保按期完成年度目标任务。"
    text = "一、项目建设\n" + sentence * 30
    chunks = chunk_text(text, ChunkSizes(target=200, max=300, min=50, overlap=40))
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.text.endswith("。")
        assert chunk.heading_path == ("一、项目建设",)
    assert chunks[1].start < chunks[0].end  # a sentence of overlap


def test_a_sentence_longer_than_the_cap_is_cut_at_clauses():
    text = "一、要求\n" + "，".join(["加强组织领导和统筹协调"] * 80) + "。"
    chunks = chunk_text(text, ChunkSizes(target=200, max=300, min=50, overlap=0))
    assert all(len(c.text) <= 300 for c in chunks)
    assert "".join(c.text for c in chunks).replace("\n", "") == text.replace("\n", "")


def test_short_law_articles_are_packed_under_their_chapter():
    text = "# 中华人民共和国示例法\n## 第一章 总则\n" + "".join(
        f"第{n}条 本条规定第{n}项事项，有关部门应当依法履行职责。\n" for n in "一二三四五六") + \
        "## 第二章 附则\n第七条 本法自公布之日起施行。\n"
    chunks = chunk_text(text, ChunkSizes(target=200, max=300, min=100, overlap=0))
    first = chunks[0]
    assert first.heading_path[:2] == ("中华人民共和国示例法", "第一章 总则")
    assert "第一条" in first.text and "第二条" in first.text
    assert first.heading_path[-1].startswith("第一条～")
    last = chunks[-1]
    assert last.heading_path[1] == "第二章 附则" and "第七条" in last.text


def test_split_sentences_keeps_closing_quotes():
    assert split_sentences("他说：“要抓落实。”然后散会。") == ["他说：“要抓落实。”", "然后散会。"]
