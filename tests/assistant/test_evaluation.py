"""Eval metrics on a tiny QA file with known ranks."""

import json

import pytest

from assistant.core.errors import ConfigError
from assistant.core.types import Answer, Citation, Passage, Refusal, RefusalKind
from assistant.evaluation import Metrics, QAItem, budget_depth, evidence_rank, read_qa


def passage(text, source="/docs/a.txt"):
    return Passage(chunk_id=text[:8], text=text, source=source, title="t", heading_path=(),
                   page=None, score=0.0)


def test_evidence_rank_ignores_whitespace():
    ps = [passage("无关内容。"), passage("按照不超过实际缴纳场租费用50%的\n标准给予支持")]
    assert evidence_rank(ps, ["实际缴纳场租费用 50%的标准"]) == 2
    assert evidence_rank(ps, ["不存在"]) is None


def test_budget_depth_counts_passages_within_2000_characters_at_least_one():
    assert budget_depth([passage("x" * 800)] * 5) == 2
    assert budget_depth([passage("x" * 2500), passage("y")]) == 1


def test_metrics_summary():
    hit1 = Answer("q1", "a[1]", passages=(passage("证据甲。"), passage("乙")),
                  citations=(Citation(1, passage("证据甲。"), 1),))
    hit2 = Answer("q2", "b", passages=(passage("无关", "/docs/b.txt"), passage("证据乙。")))
    low = Refusal(RefusalKind.RELEVANCE)
    miss = Answer("q3", "c", passages=(passage("无关"),), refusal=low)
    refused = Answer("u1", "未找到", passages=(passage("无关"),), refusal=low)
    m = Metrics()
    m.add(QAItem("1", "q1", ("证据甲",), docid="a", answer_keys=("a", "zz")), hit1)
    m.add(QAItem("2", "q2", ("证据乙",), docid="b"), hit2)
    m.add(QAItem("3", "q3", ("证据丙",)), miss)
    m.add(QAItem("4", "u1", unanswerable=True), refused)
    s = m.summary()
    assert s["span_hit@1"] == pytest.approx(1 / 3)
    assert s["span_hit@5"] == pytest.approx(2 / 3)
    assert s["mrr@10"] == pytest.approx((1 + 0.5) / 3)
    assert s["hit@2000chars"] == pytest.approx(2 / 3)
    assert s["doc_hit@5"] == pytest.approx(1.0)
    assert s["refusal_rate(unanswerable)"] == 1.0
    assert s["wrong_refusal_rate"] == pytest.approx(1 / 3)
    assert s["answer_key_coverage"] == pytest.approx(0.5)


def test_read_qa_names_the_bad_line(tmp_path):
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"id": "a", "question": "问？"}) + "\n{\"id\": 2}\n", "utf-8")
    with pytest.raises(ConfigError, match=r"qa.jsonl:2"):
        list(read_qa(path))


def test_earlier_turns_are_asked_first_and_shape_the_follow_up(services, tmp_path):
    from assistant.evaluation import run_eval

    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps({"id": "t", "question": "那生活污水治理呢？",
                              "turns": ["农村人居环境整治有什么要求？"],
                              "evidence": ["生活污水治理"]}, ensure_ascii=False), "utf-8")
    out = tmp_path / "out.jsonl"
    from assistant.core.types import SearchFilter

    metrics = run_eval(services.chain(), qa, out, SearchFilter())
    assert metrics["span_hit@5"] == 1.0
    line = json.loads(out.read_text("utf-8"))
    assert line["question"] == "那生活污水治理呢？" and not line["refused"]
