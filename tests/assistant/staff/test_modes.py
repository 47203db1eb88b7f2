"""学习提纲 and 起草 without a model, and their .docx / Markdown export."""

import re
from pathlib import Path

from docx import Document

from assistant.cli.main import main
from assistant.core.types import SearchFilter
from assistant.export import export
from assistant.staff.forms import run_form

DATA = Path(__file__).resolve().parents[2] / "data"


def run_mode(services, form, topic, filters=SearchFilter()):
    return run_form(services.chain(form=form), services.kb, form, topic, filters)


def assert_every_point_cited(answer):
    by_n = {c.n: c.passage for c in answer.citations}
    for line in answer.text.split("讨论题")[0].splitlines():
        match = re.match(r"\s+\d+\. (.+?)(\[\d+\])", line)
        if match and "待" not in line:
            quote, n = match.group(1), int(match.group(2)[1:-1])
            assert quote in by_n[n].text, f"{quote!r} not in passage {n}"


def test_outline_of_a_whole_document_follows_its_parts(services):
    answer = run_mode(services, "outline", "", SearchFilter(sources=(services.source,)))
    text = answer.text
    assert text.startswith("《乡村振兴推进会讲话》学习提纲")
    assert "统一思想，充分认识做好乡村振兴工作的重要意义" in text
    assert "压实责任，确保各项任务落到实处" in text
    assert "讨论题" in text
    assert_every_point_cited(answer)
    assert "（一）发展乡村特色产业[" not in text  # headings are not quoted as requirements


def test_draft_cites_every_task_and_reads_units_and_deadlines(services):
    answer = run_mode(services, "draft", "特色产业 项目谋划 人居环境")
    text = answer.text
    for part in ("一、指导思想", "二、主要目标", "三、重点任务", "四、保障措施"):
        assert part in text
    assert_every_point_cited(answer)
    assert "时限：10月底前" in text
    assert re.search(r"责任单位：(各县（市）|市农业农村局)", text)


def test_off_topic_outline_is_refused(services):
    answer = run_mode(services, "outline", "城镇职工医保门诊报销比例")
    assert answer.refused


def test_export_docx_and_markdown_keep_sources(services, tmp_path):
    answer = run_mode(services, "draft", "特色产业 项目谋划")
    doc = Document(str(export(answer, tmp_path / "方案.docx")))
    paragraphs = [p.text for p in doc.paragraphs]
    assert any("三、重点任务" in p for p in paragraphs)
    assert "附：依据来源" in paragraphs
    assert any(p.startswith("[1] 《乡村振兴推进会讲话》") for p in paragraphs)
    md = export(answer, tmp_path / "方案.md").read_text("utf-8")
    assert "## 依据来源" in md and "[1] 《乡村振兴推进会讲话》" in md


def test_cli_outline_with_export(services, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("POLICYQA_EMBEDDING__MODE", "hash")
    out = tmp_path / "提纲.docx"
    code = main(["ask", "", "--mode", "outline", "--doc", services.source, "--store",
                 str(services.settings.store.path), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and "学习提纲" in printed and "来源：" in printed
    assert out.exists()
