"""The `policyqa` command line, run in process."""

import json
import re
import shutil
from pathlib import Path

import pytest

from assistant.cli.main import main

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYQA_EMBEDDING__MODE", "hash")
    monkeypatch.chdir(tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DATA / "speech.txt", docs / "乡村振兴推进会讲话.txt")
    (docs / "notes.xyz").write_text("x")
    return tmp_path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_ask_search_list_delete(env, capsys):
    code, out, err = run(capsys, "ingest", "docs", "--store", "kb", "--no-progress")
    assert code == 0
    assert "ingested 1" in out and "skipped 1" in out and "notes.xyz" in out

    code, out, err = run(capsys, "ask", "农村卫生厕所普及率要达到多少？", "--store", "kb")
    assert re.search(r"用时：检索 [\d.]+ s · 生成与核对 [\d.]+ s", err)  # no model: no first token
    assert code == 0 and "85%" in out and "[1]" in out
    assert "来源：\n[1] 《乡村振兴推进会讲话》" in out

    code, out, _ = run(capsys, "search", "土地 指标", "--store", "kb", "-k", "2", "--json")
    rows = json.loads(out)
    assert [r["rank"] for r in rows] == [1, 2]
    assert set(rows[0]) >= {"rank", "text", "source", "title", "heading_path", "page", "score"}

    code, out, _ = run(capsys, "list", "--store", "kb", "--json")
    (doc,) = json.loads(out)
    assert doc["type"] == "讲话" and doc["chunks"] > 2

    code, out, _ = run(capsys, "delete", doc["source"], "--store", "kb")
    assert code == 0
    code, out, _ = run(capsys, "list", "--store", "kb", "--json")
    assert json.loads(out) == []


def test_eval_writes_one_line_per_question(env, capsys):
    run(capsys, "ingest", "docs", "--store", "kb", "--no-progress")
    qa = env / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"id": "a", "question": "农村卫生厕所普及率要达到多少？", "evidence": ["要达到85%以上"],
         "docid": "乡村振兴推进会讲话"},
        {"id": "b", "question": "新能源汽车购置补贴标准是多少？", "unanswerable": True},
    ]), encoding="utf-8")
    code, out, _ = run(capsys, "eval", str(qa), "--store", "kb", "--out", "res.jsonl")
    assert code == 0
    assert "span_hit@5" in out and "refusal_rate(unanswerable)" in out
    lines = [json.loads(x) for x in (env / "res.jsonl").read_text("utf-8").splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"]
    assert lines[1]["refused"] is True and lines[1]["passages"]
    assert lines[0]["passages"][0]["rank"] == 1


def test_usage_errors_exit_2_and_missing_store_exits_1(env, capsys):
    code, _, err = run(capsys, "search", "x", "--store", "kb", "--since", "去年")
    assert code == 1 and "no knowledge base" in err
    run(capsys, "ingest", "docs", "--store", "kb", "--no-progress")
    code, _, err = run(capsys, "search", "x", "--store", "kb", "--since", "去年")
    assert code == 2 and "--since" in err
    code, _, err = run(capsys, "delete", "nope.txt", "--store", "kb")
    assert code == 2 and "policyqa list" in err
    with pytest.raises(SystemExit) as exc:
        main(["ask"])
    assert exc.value.code == 2


def test_ingest_of_nothing_usable_exits_1(env, capsys):
    code, out, _ = run(capsys, "ingest", "docs/notes.xyz", "missing.txt", "--store", "kb")
    assert code == 1
    assert "missing.txt" in out
