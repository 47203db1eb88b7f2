"""Document- and time-aware retrieval over fictional 青川市 documents (tests/data/scope): three
annual reports whose targets differ by year, a 征求意见稿 and its 正式稿, a repealed measure and
the measure that repeals it, a speech."""

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from assistant.answer.chain import AnswerChain
from assistant.answer.gate import REFUSAL
from assistant.core.settings import Settings
from assistant.core.sources import source_line, sources_block
from assistant.core.types import DocRecord
from assistant.documents.library import set_meta
from assistant.documents.scope import resolve_years
from assistant.services import Services
from ingest.status import extract_status

SCOPE = Path(__file__).resolve().parents[2] / "data" / "scope"
TODAY = "2025-03-01"


def scope_services(folder: Path, files: list[str] | None = None, **retrieval) -> Services:
    docs = folder / "docs"
    docs.mkdir()
    for path in SCOPE.glob("*.txt"):
        if files is None or path.name in files:
            shutil.copy(path, docs / path.name)
    settings = Settings(store={"path": folder / "kb"}, embedding={"mode": "hash"},
                        retrieval={"today": TODAY, **retrieval})
    services = Services(settings)
    services.ingest([docs])
    return services


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    return scope_services(tmp_path_factory.mktemp("scope"))


class NoBackend:
    """An answer backend that must not be reached (the chain refuses first)."""

    name = "no-backend"

    def answer(self, question, passages):
        raise AssertionError(f"backend called for {question!r}")


def first_title(answer) -> str:
    return answer.citations[0].passage.title


@pytest.mark.parametrize(("year", "revenue", "growth"),
                         [(2022, "5%", "6.5%"), (2023, "6%", "5.5%"), (2024, "4.5%", "5%")])
def test_a_named_year_picks_that_years_report(services, year, revenue, growth):
    # plain hybrid search puts the next year's report first for 2022 and 2023: its 回顾 section
    # says "2022年，…一般公共预算收入增长3.9%"
    answer = services.ask(f"{year}年一般公共预算收入预期增长多少")
    assert not answer.refused
    assert first_title(answer) == f"青川市{year}年政府工作报告"
    assert answer.passages[0].title == f"青川市{year}年政府工作报告"
    assert f"一般公共预算收入增长{revenue}；" in answer.text.splitlines()[0]
    assert f"依据《青川市{year}年政府工作报告》" in " ".join(answer.notes)
    target = services.ask(f"{year}年的经济增长目标是多少")
    assert f"地区生产总值增长{growth}左右" in target.text.splitlines()[0]


def test_relative_years_count_from_the_configured_today(services):
    answer = services.ask("去年的城镇新增就业目标是多少")  # today is 2025-03-01
    assert first_title(answer) == "青川市2024年政府工作报告"
    assert "3.6万人" in answer.text.splitlines()[0]
    assert any("“去年”" in n and "2024年" in n for n in answer.notes)
    text, years, _ = resolve_years("前年和二〇二三年的目标，到2025年的任务", dt.date(2024, 6, 1))
    assert years == [2022, 2023]  # 到2025年 is a target year, not a document year
    assert text.startswith("2022年和2023年")


def test_relative_years_inside_a_document_count_from_its_date(services):
    answer = services.ask("2023年的经济增长目标是多少")
    assert "今年经济社会发展的主要预期目标" in answer.text
    assert "《青川市2023年政府工作报告》中的“今年”指2023年" in answer.notes


def test_a_year_with_no_stored_report_is_refused_before_any_backend(services):
    chain = AnswerChain(services.kb, services.settings, NoBackend(), services.tokenizer.terms,
                        catalog=services.catalog)
    answer = chain.ask("2026年政府工作报告中赤字率是多少")
    assert answer.refused
    assert answer.text.startswith(REFUSAL)
    assert "知识库中没有2026年的政府工作报告" in answer.text
    assert "2022年、2023年、2024年" in answer.text  # what is stored instead
    assert not answer.citations and not answer.passages
    this_year = chain.ask("今年政府工作报告的赤字率是多少")  # 2025: not stored either
    assert this_year.refused and "2025年的政府工作报告" in this_year.text


def test_an_unknown_doc_number_is_refused_and_a_known_one_restricts(services):
    chain = AnswerChain(services.kb, services.settings, NoBackend(), services.tokenizer.terms,
                        catalog=services.catalog)
    missing = chain.ask("青政发〔2025〕9号对小巨人企业奖励多少")
    assert missing.refused and "文号为青政发〔2025〕9号" in missing.text
    found = services.ask("青政发[2024]5号对小巨人企业奖励多少")
    assert {p.title for p in found.passages} == {"关于促进民营经济发展的若干措施"}
    assert "奖励50万元" in found.text


def test_the_newest_version_is_preferred_and_the_source_line_names_both(services):
    answer = services.ask("民营经济发展措施中贷款贴息比例是多少")  # plain search: the draft
    assert first_title(answer) == "关于促进民营经济发展的若干措施"
    assert "50%" in next(line for line in answer.text.splitlines() if "贴息比例" in line)
    line = source_line(answer.citations[0].passage)
    assert "（2024年版，另有2023年版）" in line
    older = services.ask("2023年民营经济发展措施中贴息比例是多少")
    assert {p.title for p in older.passages} == {"关于促进民营经济发展的若干措施（征求意见稿）"}
    assert "30%" in older.text


def test_a_title_mention_restricts_to_that_document(services):
    answer = services.ask("座谈会讲话中企业反映的问题要在多少个工作日内答复")
    assert {p.title for p in answer.passages} == {"在全市民营企业座谈会上的讲话"}
    assert "15个工作日内答复" in answer.text
    quoted = services.ask("《青川市老旧小区改造补助办法》规定每平方米补助多少元")
    assert {p.title for p in quoted.passages} == {"青川市老旧小区改造补助办法"}


def test_a_repealed_document_is_marked_next_to_its_citation(services):
    answer = services.ask("老旧小区改造每平方米补助多少元")
    lines = {c.passage.title: source_line(c.passage) for c in answer.citations}
    assert "（已废止）" in lines["青川市老旧小区改造补助办法"]
    assert "已废止" not in lines.get("青川市城镇老旧小区改造管理办法", "")
    assert "（已废止）" in sources_block(answer.citations)
    from assistant.webui.render import answer_markdown, source_card

    old = next(c for c in answer.citations if c.passage.title == "青川市老旧小区改造补助办法")
    assert "（已废止）" in source_card(old, answer.text, [])
    assert "已废止" in answer_markdown(answer)


def test_doc_scope_off_answers_from_plain_retrieval(tmp_path):
    services = scope_services(tmp_path, ["青川市2022年政府工作报告.txt",
                                         "青川市2023年政府工作报告.txt"], doc_scope=False)
    answer = services.ask("2026年政府工作报告中赤字率是多少")
    assert "知识库中没有" not in answer.text  # no scope refusal (the year gate may still refuse)
    found = services.chain().retrieve({"question": "政府工作报告中赤字率按多少安排"})
    versions = {p.title: p.versions for p in found.passages}  # versions are shown either way
    assert versions["青川市2023年政府工作报告"] == ("2023年", "2022年")
    assert versions["青川市2022年政府工作报告"] == ("2022年", "2023年")


def test_status_and_effective_date_read_from_the_text():
    text = (SCOPE / "青川市城镇老旧小区改造管理办法.txt").read_text(encoding="utf-8")
    info = extract_status(text, "2023-06-05")
    assert info == extract_status(text, "2023-06-05")
    assert (info.status, info.effective) == ("现行", "2023-07-01")
    assert info.repeals == ("青川市老旧小区改造补助办法",)
    repealed = extract_status("某某办法（已废止）\n第一条 ……", "")
    assert repealed.status == "已废止"
    on_issue = extract_status("通知\n本通知自印发之日起施行。", "2024-05-06")
    assert (on_issue.status, on_issue.effective) == ("现行", "2024-05-06")
    assert extract_status("通知\n请认真贯彻执行。", "2024-05-06").status == ""


def test_registry_records_without_status_fields_still_open():
    meta = {"doc_hash": "abc", "sources": '["/a.txt"]', "title": "旧记录", "extra": "{}"}
    record = DocRecord.from_metadata(meta)
    assert (record.status, record.effective) == ("", "")
    assert DocRecord.from_metadata(record.to_metadata()) == record


def test_meta_command_sets_and_validates(tmp_path, monkeypatch, capsys):
    from assistant.cli.main import main

    services = scope_services(tmp_path, ["青川市2024年政府工作报告.txt"])
    store = str(tmp_path / "kb")
    source = str((tmp_path / "docs" / "青川市2024年政府工作报告.txt").resolve())
    monkeypatch.setenv("POLICYQA_EMBEDDING__MODE", "hash")
    before = services.kb.store.generation()
    assert main(["meta", source, "--status", "已修订", "--effective", "2024-02-01",
                 "--store", store]) == 0
    assert "已修订" in capsys.readouterr().out
    assert services.kb.store.generation() > before  # other processes see the change
    services.kb.ensure_bm25()
    record = services.kb.find_source(source)
    assert (record.status, record.effective) == ("已修订", "2024-02-01")
    assert main(["list", "--json", "--store", store]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "已修订"
    assert main(["meta", source, "--effective", "2024-13-45", "--store", store]) == 2
    assert "--effective '2024-13-45' is not a date" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["meta", source, "--status", "作废", "--store", store])
    assert exc.value.code == 2
    assert "invalid choice: '作废'" in capsys.readouterr().err
    assert main(["search", "2026年政府工作报告中赤字率", "--store", store]) == 0
    out = capsys.readouterr()
    assert "知识库中没有2026年的政府工作报告" in out.err and "没有检索到段落" in out.out
    assert main(["search", "政府工作报告中赤字率", "--store", store]) == 0
    assert "青川市2024年政府工作报告（已修订） > " in capsys.readouterr().out


def record(doc_hash, title, date="", **extra):
    return DocRecord(doc_hash=doc_hash, sources=(f"/d/{doc_hash}.txt",), title=title, date=date,
                     extra=extra)


def test_catalog_groups_versions_but_not_reposts_or_generic_mentions():
    from assistant.documents.catalog import Catalog
    from assistant.documents.scope import scope_for

    catalog = Catalog([
        record("a", "关于促进民营经济发展的若干措施（征求意见稿）", "2023-08-20"),
        record("b", "关于促进民营经济发展的若干措施", "2024-02-18"),
        record("c", "财政部关于疫情防控有关税收政策的公告", "2020-02-06"),
        record("d", "财政部关于疫情防控有关税收政策的公告", "2020-02-06"),  # the same, reposted
        record("e", "财政部、农业农村部联合发布通知要求：加快资金拨付", "2020-02-10"),
    ])
    assert [v.doc_hash for v in catalog.versions("a")] == ["b", "a"]
    assert catalog.older_versions() == {"a"}
    assert [v.doc_hash for v in catalog.versions("c")] == ["c"]
    today = dt.date(2025, 3, 1)
    vague = scope_for("国家发展改革委等三部近日发布通知强调了什么", catalog, today)
    assert not vague.restrict and not vague.prefer  # 发布通知 alone names no document
    assert not scope_for("德阳市如何办理《通行证》", catalog, today).unknown_titles
    named = scope_for("民营经济发展措施的贴息比例", catalog, today)
    assert named.restrict == {"a", "b"} and named.demote == {"a"}


def test_a_named_undated_document_is_not_refused_for_a_year():
    from assistant.documents.catalog import Catalog
    from assistant.documents.scope import scope_for

    catalog = Catalog([record("s", "在全市民营企业座谈会上的讲话"),
                       record("r", "青川市2024年政府工作报告", "2024-01-15")])
    today = dt.date(2025, 3, 1)
    speech = scope_for("2023年座谈会讲话提到了什么", catalog, today)
    assert not speech.missing and speech.restrict == {"s"}  # its year is unknown, not "another"
    report = scope_for("2023年政府工作报告提出了什么目标", catalog, today)
    assert report.missing == "知识库中没有2023年的政府工作报告（已收录：2024年）"


def test_eval_marks_the_missing_year_refused_and_counts_doc_hit_at_1(services, tmp_path):
    from assistant.core.types import SearchFilter
    from assistant.evaluation import run_eval

    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in [
        {"id": "a", "question": "2022年财政赤字率按多少安排", "docid": "青川市2022年政府工作报告"},
        {"id": "m", "question": "2026年政府工作报告中赤字率是多少", "unanswerable": True},
    ]), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    metrics = run_eval(services.chain(), qa, out, SearchFilter())
    rows = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert rows["m"]["refused"] is True and "2026年" in rows["m"]["answer"]
    assert rows["a"]["refused"] is False
    assert metrics["doc_hit@1"] == 1.0 and metrics["refusal_rate(unanswerable)"] == 1.0


def test_the_catalog_is_reused_until_the_registry_changes(tmp_path):
    services = scope_services(tmp_path, ["青川市2024年政府工作报告.txt"])
    first = services.catalog()
    assert services.catalog() is first  # not rebuilt per question
    source = next(iter(services.kb.records().values())).sources[0]
    set_meta(services.kb, source, "已废止", None)
    changed = services.catalog()
    assert changed is not first
    assert [d.status for d in changed.docs.values()] == ["已废止"]
