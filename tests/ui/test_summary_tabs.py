"""The 汇总 and 日历 tabs' handlers over a real Services: rows, downloads, the status line."""

from pathlib import Path

from openpyxl import load_workbook

from assistant.webui.summary import make_calendar, make_summary


def test_summary_tab_lists_the_requirements_with_downloads(services):
    outcome = make_summary(services, "各县（市）")
    assert outcome.rows and "提出了" in outcome.message
    assert any("10月底前完成项目谋划" in row[2] for row in outcome.rows)
    assert any("11月15日前" in row[6] for row in outcome.rows)  # 时限 column
    xlsx = next(f for f in outcome.files if f.endswith(".xlsx"))
    assert load_workbook(xlsx).active.max_row == len(outcome.rows) + 1
    assert {Path(f).suffix for f in outcome.files} == {".xlsx", ".docx"}


def test_summary_tab_asks_for_a_target_and_says_when_nothing_is_found(services):
    assert "请输入" in make_summary(services, "  ").message
    nothing = make_summary(services, "无此单位")
    assert nothing.rows == [] and "没有找到" in nothing.message and nothing.files == []


def test_calendar_tab_groups_deadlines_by_month(services):
    outcome = make_calendar(services, "", "")
    assert "## 2024年10月" in outcome.markdown
    assert "2025年4月30日" not in outcome.markdown  # the end of a period (防火期), no deadline
    # the notice states no date of its own: its "11月15日前" is listed, without a date
    assert "## 未能确定日期" in outcome.markdown and "11月15日前" in outcome.markdown
    assert {Path(f).suffix for f in outcome.files} == {".ics", ".xlsx"}
    ranged = make_calendar(services, "2024-10", "2024-10")
    assert "10月底前" in ranged.markdown and "11月15日前" not in ranged.markdown
    assert "未能确定日期" in ranged.message
    assert "无法识别的日期" in make_calendar(services, "明天", "").message
