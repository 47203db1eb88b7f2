"""时限日历: every reading rule R1–R10 on small documents of our own, the dates a law's revisions
make untrustworthy, the .ics/.xlsx/.md exports, and `policyqa deadlines` run in process."""

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assistant.cli.main import main
from assistant.core.types import DocRecord, Passage
from assistant.staff.deadline_export import deadlines_ics, deadlines_markdown, export_deadlines
from assistant.staff.deadline_list import DeadlineRow, document_dates, document_deadlines
from assistant.staff.deadlines import DocDates, sentence_dues, time_nodes

NOTICE = DocDates(issued="2023-05-10")
LAW = DocDates(issued="2011-09-07", effective="2011-11-01")


def due(sentence: str, dates: DocDates = NOTICE, node: int = 0):
    """(date, recurring, rule) of the sentence's node-th time node."""
    found = sentence_dues(sentence, dates)
    assert found, f"no time node in {sentence!r}"
    _, reading = found[node]
    return reading.date, reading.recurring, reading.rule


@pytest.mark.parametrize("sentence, date", [
    ("各地应在2023年12月31日前完成清查。", "2023-12-31"),
    ("申报期限延长至2023年6月15日。", "2023-06-15"),
    ("政策执行期自2023年1月1日起至2024年3月31日。", "2024-03-31"),
])
def test_r1_a_full_date_is_that_date(sentence, date):
    assert due(sentence)[0::2] == (date, "R1")


def test_r2_a_year_and_month_is_the_months_last_day():
    assert due("2024年2月底前完成验收。")[0::2] == ("2024-02-29", "R2")


@pytest.mark.parametrize("sentence, date", [
    ("各县（市）要在9月底前完成项目谋划。", "2023-09-30"),  # the issue's own example
    ("6月20日前报送名单。", "2023-06-20"),
    ("今年8月底前完成改造。", "2023-08-31"),
    ("3月底前完成第二批验收。", "2024-03-31"),  # before the notice's date: next year's March
    ("明年1月15日前报送总结。", "2024-01-15"),
])
def test_r3_month_and_day_take_the_documents_year(sentence, date):
    assert due(sentence)[0::2] == (date, "R3")


def test_r3_without_the_documents_date_there_is_no_date():
    assert due("9月底前完成项目谋划。", DocDates())[0] is None


@pytest.mark.parametrize("sentence, date", [
    ("年底前实现全覆盖。", "2023-12-31"),
    ("年内完成整改。", "2023-12-31"),
    ("上半年完成招标。", "2023-06-30"),
    ("三季度末前完成验收。", "2023-09-30"),
    ("2024年一季度前完成清算。", "2024-03-31"),
])
def test_r4_a_period_ends_on_its_last_day(sentence, date):
    assert due(sentence)[0::2] == (date, "R4")


def test_as_of_a_date_is_no_deadline():
    assert time_nodes("截至2019年底，全市有转移输出人员118万人。") == []
    assert due("申报截止到6月10日。")[0] == "2023-06-10"


def test_a_period_is_not_a_deadline_and_its_year_is_not_read_alone():
    """防火期为2024年11月1日至2025年4月30日: a period, not a 2025-12-31 deadline."""
    assert [d for _, d in sentence_dues("防火期为2024年11月1日至2025年4月30日。", NOTICE)
            if d.date] == []


@pytest.mark.parametrize("sentence", ["到2025年，建成区绿化覆盖率达到45%。",
                                      "2025年前完成老旧小区改造。",
                                      "力争2025年实现全覆盖。", "有效期至2025年底。"])
def test_r5_a_year_is_its_last_day(sentence):
    assert due(sentence)[0] == "2025-12-31"


@pytest.mark.parametrize("sentence, date", [
    ("自本办法发布之日起60日内完成登记。", "2011-11-06"),  # 60 calendar days from 09-07
    ("本条例施行后6个月内完成清理。", "2012-05-01"),  # from the 施行日期 11-01
    ("自本条例施行之日起1年内完成改造。", "2012-11-01"),
    ("自本规定发布之日起5个工作日内公告。", "2011-09-14"),  # Mon–Fri: 09-08 … 09-14
])
def test_r6_a_span_from_the_document_is_counted_from_its_date(sentence, date):
    assert due(sentence, LAW)[0::2] == (date, "R6")


def test_r6_months_keep_the_day_of_the_month_clamped():
    dates = DocDates(issued="2023-01-31")
    assert due("自本通知印发之日起1个月内完成。", dates)[0] == "2023-02-28"


@pytest.mark.parametrize("sentence", ["自收到申请之日起20个工作日内作出决定。",
                                      "疫情解除后三个月内补办手续。",
                                      "发现疑似病例后2小时内报告。"])
def test_r7_a_span_from_another_event_has_no_date(sentence):
    assert due(sentence, LAW)[0::2] == (None, "R7")


@pytest.mark.parametrize("sentence, rule_text", [
    ("每年3月31日前报送上一年度工作报告。", "每年3月31日前"),
    ("每月5日前报送进度。", "每月5日前"),
    ("于次日中午12时前汇总上报。", "次日中午12时前"),
])
def test_r8_recurring_deadlines_carry_their_rule_not_a_date(sentence, rule_text):
    date, recurring, rule = due(sentence)
    assert (date, rule) == (None, "R8") and rule_text in recurring


def test_r9_vague_timing_is_not_a_deadline():
    assert sentence_dues("汛前要组织一次全面检查。", NOTICE)[0][1].rule == "R9"
    assert time_nodes("要尽快及时完成整改。") == []


def test_r10_a_span_from_an_undated_document_has_no_date():
    assert due("自本通知发布之日起30日内完成。", DocDates())[0::2] == (None, "R10")
    assert due("年底前完成。", DocDates())[0] is None


REVISED_LAW = """XX省河道管理条例
2001年6月1日XX省人民代表大会常务委员会公布
2015年3月1日XX省人民代表大会常务委员会第一次修订
第一条 为了加强河道管理，制定本条例。
第二十条 本条例发布前设置的采砂场，应当自本条例发布之日起6个月内办理许可手续。
第二十一条 本条例自发布之日起施行。"""


def test_a_span_from_a_revised_laws_publication_has_no_date():
    """The record's date is the revision's; 本条例发布之日 is the first promulgation's."""
    passages = [Passage(chunk_id="ab-00000", text=REVISED_LAW, source="law.md",
                        title="XX省河道管理条例", heading_path=(), page=None, score=0.0)]
    record = DocRecord("ab", ("law.md",), "XX省河道管理条例", date="2015-03-01",
                       effective="2015-03-01")
    dates = document_dates(record, passages)
    assert dates.revised and not dates.effective_stated
    (row,) = [r for r in document_deadlines(passages, dates) if "6个月内" in r.due_text]
    assert row.due is None and row.rule == "R10"


# --- exports and the command ------------------------------------------------------------------
NOTICE_TEXT = """关于做好2023年城乡环境整治工作的通知
各县（市、区）人民政府，市直各部门：
一、重点任务
各县（市、区）要在9月底前完成垃圾中转站建设，年底前实现农村生活垃圾收运全覆盖。
市住建局要会同市生态环境局在6月20日前制定考核办法，每月5日前报送进度。
二、工作要求
自本通知印发之日起30日内，各地要将实施方案报市整治办；疫情解除后三个月内补办相关手续。
XX市人民政府办公室
2023年5月10日"""


@pytest.fixture
def store(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("POLICYQA_EMBEDDING__MODE", "hash")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "关于做好2023年城乡环境整治工作的通知.txt").write_text(NOTICE_TEXT,
                                                                   encoding="utf-8")
    assert main(["ingest", str(tmp_path / "关于做好2023年城乡环境整治工作的通知.txt"), "--store",
                 "kb", "--no-progress"]) == 0
    capsys.readouterr()
    return tmp_path


def deadlines(capsys, *extra):
    code = main(["deadlines", "--store", "kb", "--json", *extra])
    out, err = capsys.readouterr()
    assert code == 0
    return json.loads(out), err  # stdout is only the JSON array


def test_deadlines_json_contract(store, capsys):
    rows, err = deadlines(capsys)
    assert "项时限" in err  # the count goes to stderr
    for row in rows:
        assert set(row) >= {"source", "title", "task", "unit", "due_text", "due", "recurring",
                            "quote"}
        assert row["due"] is None or len(row["due"]) == 10 and row["due"][4] == "-"
        assert "".join(row["sentence"].split()) in "".join(row["quote"].split())
        assert "".join(row["quote"].split()) in "".join(NOTICE_TEXT.split())
    by_text = {r["due_text"]: r for r in rows}
    assert by_text["9月底前"]["due"] == "2023-09-30"
    assert "各县（市、区）" in by_text["9月底前"]["unit"]
    assert by_text["年底前"]["due"] == "2023-12-31"
    assert by_text["6月20日前"]["due"] == "2023-06-20"
    assert "市住建局" in by_text["6月20日前"]["unit"]
    assert by_text["每月5日前"]["due"] is None and by_text["每月5日前"]["recurring"]
    spans = [r for r in rows if "30日内" in r["due_text"]]
    assert spans and spans[0]["due"] == "2023-06-09"
    assert [r["due"] for r in rows if "三个月内" in r["due_text"]] == [None]
    dated = [r["due"] for r in rows if r["due"]]
    assert dated == sorted(dated) and rows[-1]["due"] is None  # soonest first, undated last


def test_a_date_range_keeps_the_dated_deadlines_inside_it(store, capsys):
    rows, err = deadlines(capsys, "--from", "2023-06", "--to", "2023-09-30")
    assert {r["due"] for r in rows} == {"2023-06-09", "2023-06-20", "2023-09-30"}
    assert "未能确定日期" in err
    assert main(["deadlines", "--store", "kb", "--from", "2023-13-01"]) == 2


def test_ics_export_is_valid_rfc5545(store, capsys, tmp_path):
    icalendar = pytest.importorskip("icalendar")
    assert main(["deadlines", "--store", "kb", "--out", str(tmp_path / "日历.ics")]) == 0
    calendar = icalendar.Calendar.from_ical((tmp_path / "日历.ics").read_bytes())
    events = [e for e in calendar.walk("VEVENT")]
    assert {str(e.decoded("dtstart")) for e in events} >= {"2023-09-30", "2023-12-31"}
    assert all(e.get("uid") and e.get("dtstamp") for e in events)
    text = (tmp_path / "日历.ics").read_bytes().decode("utf-8")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert any("市住建局" in str(e.get("description")) for e in events)


def test_markdown_and_xlsx_list_every_row(store, capsys, tmp_path):
    rows, _ = deadlines(capsys)
    assert main(["deadlines", "--store", "kb", "--out", str(tmp_path / "日历.xlsx")]) == 0
    sheet = load_workbook(tmp_path / "日历.xlsx").active
    assert sheet.max_row == len(rows) + 1 and sheet["A2"].value == "2023-06-09"
    capsys.readouterr()
    assert main(["deadlines", "--store", "kb"]) == 0
    out = capsys.readouterr().out
    assert "## 2023年9月" in out and "## 定期（按周期执行）" in out and "## 未能确定日期" in out


def test_ics_text_is_escaped_and_folded():
    passage = Passage(chunk_id="ab-00000", text="x", source="x.txt", title="标题,含;特殊\\字符",
                      heading_path=(), page=None, score=0.0)
    row = DeadlineRow("任务," * 40, ("市发改委",), "9月底前", "2023-09-30", None, "R3", "句子",
                      passage)
    text = deadlines_ics([row])
    assert "\\," in text and "\\;" in text and "\\\\" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "## 2023年9月" in deadlines_markdown([row])
    with pytest.raises(Exception, match="use .ics, .xlsx or .md"):
        export_deadlines([row], Path("日历.pdf"))
