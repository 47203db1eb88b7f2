"""Compare mode: two versions of a fictional XX市 notice (征求意见稿 → 正式稿) and two years of a
fictional 统计公报, stored in a real knowledge base (hash embedder), with known differences."""

import shutil
from pathlib import Path

import pytest

from assistant.cli.main import main
from assistant.core.errors import ConfigError
from assistant.staff.compare.align import ADDED, CHANGED, REMOVED, compare, heading_key
from assistant.staff.compare.report import compare_documents, report
from assistant.staff.compare.sections import text_passages
from assistant.webui.compare import PICK_BOTH, SAME_FILE, cell_escape, compare_export, compare_view

DATA = Path(__file__).resolve().parents[2] / "data"
COMPARE = DATA / "compare"
FILES = ("notice_draft.txt", "notice_final.txt", "report_2023.txt", "report_2024.txt")


@pytest.fixture(scope="module")
def kb_services(tmp_path_factory):
    from assistant.core.settings import Settings
    from assistant.services import Services

    folder = tmp_path_factory.mktemp("compare")
    for name in FILES:
        shutil.copy(COMPARE / name, folder / name)
    edited = (DATA / "speech.txt").read_text("utf-8").replace("达到85%以上", "达到90%以上")
    (folder / "speech.txt").write_text((DATA / "speech.txt").read_text("utf-8"), "utf-8")
    (folder / "speech_edited.txt").write_text(edited, "utf-8")
    services = Services(Settings(store={"path": folder / "kb"}, embedding={"mode": "hash"}))
    services.ingest([folder / n for n in (*FILES, "speech.txt", "speech_edited.txt")])
    services.src = {p.name: str(p.resolve()) for p in folder.glob("*.txt")}
    return services


def _notice(kb_services):
    src = kb_services.src
    return compare_documents(kb_services.kb, src["notice_draft.txt"], src["notice_final.txt"])


def _find(result, kind, fragment):
    hits = [d for d in result.comparison.differences if d.kind == kind and
            fragment in ((d.old.text if d.old else "") + (d.new.text if d.new else ""))]
    assert len(hits) == 1, f"{kind} {fragment}: {result.comparison.differences}"
    return hits[0]


@pytest.mark.parametrize(("fragment", "change"), [
    ("年均增长", "目标 5% → 6%"),
    ("企业上云专项行动", "时限 10月底前 → 9月底前"),
    ("责任单位", "责任单位 市发改委 → 市工信局"),
    ("培养数字化人才", "标题 （三）培养数字化人才 → （三）加强数字化人才培养"),
])
def test_versions_modified_fields_cite_both_passages(kb_services, fragment, change):
    diff = _find(_notice(kb_services), CHANGED, fragment)
    assert diff.changes == (change,)
    assert diff.old.text in diff.old.passage.text and diff.new.text in diff.new.passage.text
    assert diff.old.passage.title != "" and diff.old.passage.chunk_id != diff.new.passage.chunk_id
    assert diff.old.passage.source.endswith("notice_draft.txt")
    assert diff.new.passage.source.endswith("notice_final.txt")


def test_versions_added_and_removed_paragraphs(kb_services):
    result = _notice(kb_services)
    added = _find(result, ADDED, "按实际云服务支出的30%给予补助")
    assert added.old is None and added.where == "二、重点任务 > （一）推进企业上云用数"
    assert added.new.text in added.new.passage.text
    removed = _find(result, REMOVED, "对参训企业给予培训费用")
    assert removed.new is None and removed.old.text in removed.old.passage.text
    assert removed.where.endswith("（三）加强数字化人才培养")  # the renamed section, aligned
    kinds = sorted(d.kind for d in result.comparison.differences)
    # the six known edits plus the title losing “（征求意见稿）”, nothing else
    assert kinds == sorted([CHANGED] * 5 + [ADDED, REMOVED])
    title = _find(result, CHANGED, "征求意见稿")
    assert title.changes == ("表述 删“（征求意见稿）”",)


def test_markdown_table_and_sources_of_both_sides(kb_services):
    text = _notice(kb_services).to_markdown()
    row = next(line for line in text.splitlines() if "目标 5% → 6%" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "修改" and cells[2] == "一、总体目标"
    assert "年均增长5%以上。[A" in cells[3] and "年均增长6%以上。[B" in cells[4]
    assert "## 依据来源（A）" in text and "## 依据来源（B）" in text
    assert "共 7 处差异：新增 1 处，删除 1 处，修改 5 处" in text
    assert "个章节" in text and "句内容一致" in text


def test_identical_documents_have_no_differences(kb_services):
    kb = kb_services.kb
    record = kb.find_source(kb_services.src["speech.txt"])
    passages = kb.document_passages(record.doc_hash)
    assert len(passages) > 3  # several overlapping chunks, rebuilt into one text
    result = report(compare(passages, passages))
    assert result.comparison.differences == () and result.rows == ()
    assert result.comparison.same_sentences > 20
    assert "两份文件内容一致" in result.to_markdown()


def test_one_number_edited_in_a_long_speech_is_the_only_difference(kb_services):
    src = kb_services.src
    result = compare_documents(kb_services.kb, src["speech.txt"], src["speech_edited.txt"])
    (diff,) = result.comparison.differences
    assert diff.kind == CHANGED and diff.changes == ("目标 85% → 90%",)
    assert "85%" in diff.old.passage.text and "90%" in diff.new.passage.text


def test_two_years_of_a_report_number_changes(kb_services):
    src = kb_services.src
    result = compare_documents(kb_services.kb, src["report_2023.txt"], src["report_2024.txt"])
    changes = {d.changes for d in result.comparison.differences}
    assert ("数值 1200亿元 → 1290亿元；5.2% → 5.6%",) in changes
    assert ("目标 850家 → 912家",) in changes
    assert ("数值 4.8% → 5.1%",) in changes
    assert ("年份 2023年 → 2024年",) in changes
    assert {d.kind for d in result.comparison.differences} == {CHANGED}
    assert len(changes) == 4  # 第一产业、人口、规上工业增加值、民间投资 unchanged


def test_heading_key_ignores_numbering_and_years():
    assert heading_key("（三）2023年工作回顾") == heading_key("三、2024年工作回顾") == "年工作回顾"
    assert heading_key("1. 加快项目建设：") == "加快项目建设"


def test_unknown_source_names_it_and_suggests_list(kb_services):
    with pytest.raises(ConfigError, match=r"nope\.txt.*policyqa list"):
        compare_documents(kb_services.kb, kb_services.src["report_2023.txt"], "nope.txt")


def test_ui_view_escapes_document_text(kb_services):
    src = kb_services.src
    view = compare_view(kb_services, src["notice_draft.txt"], src["notice_final.txt"])
    row = next(line for line in view.splitlines() if "目标 5% → 6%" in line)
    assert "年均增长5%以上。\\[A" in row and row.count(" | ") == 5  # markers escaped, 6 cells
    assert compare_view(kb_services, None, src["notice_final.txt"]) == PICK_BOTH
    assert compare_view(kb_services, src["speech.txt"], src["speech.txt"]) == SAME_FILE
    assert "nope" in compare_view(kb_services, src["speech.txt"], "nope")
    assert cell_escape("<script>x</script> a|b\nc") == "&lt;script&gt;x&lt;/script&gt; a\\|b c"


def test_ui_export_writes_a_docx_with_the_table(kb_services):
    from docx import Document

    src = kb_services.src
    path, message = compare_export(kb_services, src["report_2023.txt"], src["report_2024.txt"])
    assert path.endswith(".docx") and "已导出" in message
    rows = [[c.text for c in r.cells] for r in Document(path).tables[0].rows]
    assert ["4", "修改", "三、固定资产投资"] == rows[4][:3] and rows[4][5] == "数值 4.8% → 5.1%"
    assert compare_export(kb_services, "", src["report_2024.txt"]) == (None, PICK_BOTH)


def test_cli_compare_prints_table_and_exports_docx(tmp_path, monkeypatch, capsys):
    from docx import Document

    monkeypatch.setenv("POLICYQA_EMBEDDING__MODE", "hash")
    monkeypatch.chdir(tmp_path)
    for name in FILES[:2]:
        shutil.copy(COMPARE / name, tmp_path / name)
    assert main(["ingest", *FILES[:2], "--store", "kb", "--no-progress"]) == 0
    capsys.readouterr()
    code = main(["compare", "notice_draft.txt", "notice_final.txt", "--store", "kb",
                 "--out", "diff.docx"])
    out, err = capsys.readouterr()
    assert code == 0 and "| 修改 | 一、总体目标 |" in out and "exported diff.docx" in err
    table = Document(str(tmp_path / "diff.docx")).tables[0]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["#", "类型", "位置", "原表述（A）", "新表述（B）", "变化"]
    assert any(r[1] == "修改" and r[5] == "责任单位 市发改委 → 市工信局" for r in rows)
    assert len(rows) == 8

    code = main(["compare", "notice_draft.txt", "missing.txt", "--store", "kb"])
    _, err = capsys.readouterr()
    assert code == 2 and "missing.txt" in err and "policyqa list" in err


RULES_V1 = """XX市物业管理办法
第一条 为了规范物业管理活动，制定本办法。
第二条 物业服务企业应当按照合同约定提供服务。
第三条 业主应当按时交纳物业服务费用。
第四条 本办法自2024年1月1日起施行。
"""
RULES_V2 = """XX市物业管理办法
第一条 为了规范物业管理活动，制定本办法。
第二条 市住房城乡建设局负责全市物业管理活动的监督管理。
第三条 物业服务企业应当按照合同约定提供服务。
第四条 业主应当按时交纳物业服务费用。
第五条 本办法自2025年1月1日起施行。
"""


def test_renumbered_articles_are_not_differences():
    result = compare(text_passages(RULES_V1, "v1"), text_passages(RULES_V2, "v2"))
    kinds = [(d.kind, d.new.text if d.new else d.old.text, d.changes)
             for d in result.differences]
    assert kinds == [(ADDED, "第二条 市住房城乡建设局负责全市物业管理活动的监督管理。", ()),
                     (CHANGED, "第五条 本办法自2025年1月1日起施行。", ("年份 2024年 → 2025年",))]


def test_a_sentence_moved_to_another_section_is_not_a_difference():
    v1 = "一、目标\n全年新增就业1万人。\n稳定物价水平。\n二、措施\n加强督查考核。\n"
    v2 = "一、目标\n全年新增就业1万人。\n二、措施\n加强督查考核。\n稳定物价水平。\n"
    result = compare(text_passages(v1, "v1"), text_passages(v2, "v2"))
    assert result.differences == () and result.moved == 1
    assert "1 句仅调整了位置" in report(result).summary()


def test_compare_tab_endpoint_on_the_live_app(kb_services):
    import socket

    from gradio_client import Client

    import ui

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app, url = ui.start(kb_services, server_port=port)
    try:
        src = kb_services.src
        view = Client(url, verbose=False).predict(src["notice_draft.txt"],
                                                  src["notice_final.txt"], api_name="/compare")
    finally:
        app.close()
    assert "责任单位 市发改委 → 市工信局" in view and "## 依据来源（B）" in view
