"""任务清单: rule-based rows, model rows checked against their passages, xlsx/docx/md export,
and `policyqa tasks` run in process."""

import json
from pathlib import Path

import pytest
from docx import Document
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from openpyxl import load_workbook

from assistant.cli.main import main
from assistant.core.errors import ConfigError
from assistant.core.types import Passage
from assistant.staff.tasks.export import TASK_HEADERS, export_tasks, tasks_markdown
from assistant.staff.tasks.llm import extract_llm
from assistant.staff.tasks.rules import TaskTable, extract_rules
from assistant.staff.tasks.sources import in_section, task_table

OPINION = [
    ("二、重点任务 > （一）完善防火设施",
     "1.建设林区防火通道。新建林区防火通道120公里，2025年6月底前全部完工。"
     "（责任单位：县林业局、县交通运输局；时限：2025年6月底前）"),
    ("二、重点任务 > （二）加强队伍建设",
     "第一，充实扑火力量。各乡镇要组建不少于20人的半专业扑火队，汛后组织一次轮训。"
     "全面推行护林员网格化管理，年底前实现重点林区护林员全覆盖。县应急管理局要牵头抓好落实。"),
    ("三、保障措施",
     "会后，各部门要抓紧做好以下工作：一是10月底前，县财政局要安排防火专项资金300万元；"
     "二是县委宣传部要会同县融媒体中心开展防火宣传月活动。"
     "近年来，全县森林覆盖率达到62%，防火形势总体平稳。"),
]


def passages(parts=OPINION, title="XX县森林防火实施意见"):
    return [Passage(chunk_id=f"d-{i:05d}", text=text, source="x.txt", title=title,
                    heading_path=tuple(heading.split(" > ")), page=None, score=0.0)
            for i, (heading, text) in enumerate(parts)]


def row_with(rows, phrase):
    found = [r for r in rows if phrase in r.task]
    assert found, f"no row mentions {phrase!r}: {[r.task for r in rows]}"
    return found[0]


def test_rules_read_units_deadlines_and_targets_from_each_kind_of_sentence():
    rows = extract_rules(passages())
    road = row_with(rows, "建设林区防火通道")  # an item with 责任单位/时限
    assert road.units == ("县林业局", "县交通运输局") and road.deadline == "2025年6月底前"
    assert "新建林区防火通道120公里" in road.target
    team = row_with(rows, "半专业扑火队")  # subject + 要, target, headline as lead-in
    assert team.units == ("各乡镇",) and "不少于20人" in team.target
    assert team.task.startswith("充实扑火力量：")
    ranger = row_with(rows, "护林员网格化管理")  # unit named by the next sentence
    assert ranger.units == ("县应急管理局",) and ranger.deadline == "年底前"
    money = row_with(rows, "防火专项资金300万元")  # “：一是…” enumeration, lead-in trimmed
    assert money.units == ("县财政局",) and money.deadline == "10月底前"
    assert money.task.startswith("安排防火专项资金")
    publicity = row_with(rows, "防火宣传月活动")
    assert publicity.units == ("县委宣传部", "县融媒体中心")
    assert not any("森林覆盖率" in r.task or "牵头抓好落实" in r.task for r in rows)
    for row in rows:  # every row cites the passage its words come from
        assert row.quote in row.passage.text
        assert all(u in row.passage.text for u in row.units)
        assert row.deadline in row.passage.text


def test_rules_on_the_stored_speech(services):
    table = task_table(services, services.source)
    assert table.backend == "rules" and table.title == "乡村振兴推进会讲话"
    plan = row_with(list(table.rows), "特色产业项目谋划")
    assert plan.units == ("各县（市）",) and plan.deadline == "10月底前"
    assert "每个县至少储备5个亿元以上项目" in plan.target
    assert row_with(list(table.rows), "污水治理").units == ("市生态环境局",)
    assert row_with(list(table.rows), "培训农民").target == "全年培训农民3000人次"
    section = task_table(services, services.source, section="压实责任")
    assert section.rows and all("压实责任" in r.passage.heading for r in section.rows)


def test_unknown_section_names_the_parts():
    with pytest.raises(ConfigError, match="二、重点任务.*三、保障措施"):
        in_section(passages(), "组织领导")


REPLY = "\n".join([
    "以下是任务：",
    json.dumps({"task": "新建林区防火通道120公里", "units": "县林业局、县交通运输局",
                "deadline": "2025年6月底前", "target": "新建林区防火通道120公里", "passage": 1},
               ensure_ascii=False),
    json.dumps({"任务": "组建不少于20人的半专业扑火队", "责任单位": "各乡镇、县公安局",
                "时限": "9月底前", "段落": "[2]"}, ensure_ascii=False),
    json.dumps({"task": "建设防火瞭望塔10座", "units": "县林业局", "deadline": "年底前",
                "passage": 9}, ensure_ascii=False),
    json.dumps({"task": "完成全县无人机巡护系统招标采购", "units": "县财政局", "passage": 3},
               ensure_ascii=False),
    "{不是 JSON}",
])


def test_model_rows_are_checked_against_their_passage():
    model = FakeListChatModel(responses=[REPLY])
    rows, notes = extract_llm(passages(), model, budget=10_000)
    assert [r.task for r in rows] == ["新建林区防火通道120公里", "组建不少于20人的半专业扑火队"]
    road, team = rows
    assert road.units == ("县林业局", "县交通运输局") and road.deadline == "2025年6月底前"
    assert road.passage.heading_path[-1] == "（一）完善防火设施"
    assert team.units == ("各乡镇",) and team.deadline == ""  # invented unit and deadline dropped
    assert team.quote == "各乡镇要组建不少于20人的半专业扑火队，汛后组织一次轮训。"
    assert notes == ("1行引用了不存在的段落编号，已删除", "1行的任务在所引段落中找不到，已删除",
                     "1个责任单位不见于所引段落，已删除", "1个时限不见于所引段落，已删除")


def test_model_without_usable_rows_falls_back_to_rules(services):
    services.use_chat_model("openai", FakeListChatModel(responses=["没有发现任务。"]))
    table = task_table(services, services.source, backend="openai")
    assert table.rows and table.backend == "openai"
    assert table.notes[-1] == "模型没有给出可核对的任务行，改用规则抽取。"


def test_export_xlsx_docx_md_open_back(tmp_path):
    rows = tuple(extract_rules(passages()))
    table = TaskTable("XX县森林防火实施意见", rows, section="重点任务")
    sheet = load_workbook(export_tasks(table, tmp_path / "t.xlsx"))["任务清单"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == TASK_HEADERS and len(values) == len(rows) + 1
    first = values[1]
    assert first[0] == 1 and first[1].startswith("建设林区防火通道")
    assert first[2] == "县林业局、县交通运输局" and first[3] == "2025年6月底前"
    assert first[4].startswith("《XX县森林防火实施意见》 二、重点任务 （一）完善防火设施：“1.建设")
    assert sheet["B2"].alignment.wrap_text and sheet.column_dimensions["B"].width >= 40

    doc = Document(str(export_tasks(table, tmp_path / "t.docx")))
    grid = doc.tables[0]
    assert [c.text for c in grid.rows[0].cells] == list(TASK_HEADERS)
    assert len(grid.rows) == len(rows) + 1 and grid.rows[1].cells[3].text == "2025年6月底前"
    assert doc.paragraphs[0].text == "《XX县森林防火实施意见》（重点任务）任务清单"

    md = tasks_markdown(table)
    assert "| 序号 | 任务 | 责任单位 | 时限 | 依据 |" in md and md.count("\n| ") == len(rows) + 1
    with pytest.raises(ConfigError, match=r"\.xlsx, \.docx or \.md"):
        export_tasks(table, tmp_path / "t.pdf")


def test_cli_tasks(services, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("POLICYQA_EMBEDDING__MODE", "hash")
    store = str(services.settings.store.path)
    assert main(["tasks", services.source, "--store", store]) == 0
    printed = capsys.readouterr().out
    assert "| 序号 | 任务 | 责任单位 | 时限 | 依据 |" in printed
    assert "| 各县（市） | 10月底前 |" in printed

    out = tmp_path / "清单.xlsx"
    assert main(["tasks", services.source, "--store", store, "--section", "突出重点",
                 "--out", str(out)]) == 0
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert len(rows) > 2 and all("突出重点" in r[4] for r in rows[1:])

    assert main(["tasks", "没有这个文件.txt", "--store", store]) == 2
    assert "neither a document in the knowledge base nor a file" in capsys.readouterr().err


def test_ui_task_list_gives_rows_and_downloads(services):
    from assistant.webui.tasks import make_task_list

    outcome = make_task_list(services, services.source, "突出重点")
    assert outcome.message.startswith(f"共 {len(outcome.rows)} 项任务")
    assert any(r[2] == "各县（市）" and r[3] == "10月底前" for r in outcome.rows)
    assert [Path(f).suffix for f in outcome.files] == [".xlsx", ".docx"]
    assert load_workbook(outcome.files[0]).active.max_row == len(outcome.rows) + 1
    missing = make_task_list(services, services.source, "没有这一部分")
    assert missing.rows == [] and "未能生成任务清单" in missing.message
    assert make_task_list(services, None).message == "请先选择一个文件。"
