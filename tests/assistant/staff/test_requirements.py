"""汇总: targets and their written forms, how a sentence is addressed (direct, imposed,
implicit — and when it is not), the table across stored documents (newest first, current
versions, repealed marked), `policyqa requirements` run in process, and the chat's routing."""

import json
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from assistant.cli.main import main
from assistant.core.settings import Settings
from assistant.core.types import Passage
from assistant.services import Services
from assistant.staff.addressee import DIRECT, IMPLICIT, IMPOSED, addressed
from assistant.staff.requirements import document_requirements, summary_target
from assistant.staff.targets import make_target


def mentions(target: str, text: str) -> list[str]:
    return [m.text for m in make_target(target).mentions(text)]


def test_a_family_brings_its_synonyms_and_keeps_look_alikes_out():
    assert mentions("企业", "各类企业、用人单位和生产经营单位") == [
        "各类企业", "用人单位", "生产经营单位"]
    assert mentions("医疗机构", "定点医院、乡镇卫生院和发热门诊") == [
        "定点医院", "乡镇卫生院", "发热门诊"]
    assert mentions("社区", "社区卫生服务中心和各社区") == ["各社区"]  # the first is a 医疗机构
    assert mentions("学校", "校外培训机构暂停线下活动") == []
    assert mentions("学校", "各地各校要做好开学准备") == ["各地各校"]


def test_bracketed_and_prefixed_forms_are_one_method():
    assert mentions("各县（市）", "各县（市、区）人民政府和县(市)级部门") == [
        "各县（市、区）", "县(市)"]
    assert mentions("乡镇", "各乡镇（街道）要") == ["各乡镇（街道）"]
    assert mentions("社区", "村（社区）要组织排查") == ["村（社区）"]


def test_a_government_body_is_its_stem_with_any_unit_suffix():
    assert mentions("交通运输部门", "市交通运输局、省交通运输厅和各级交通部门") == [
        "市交通运输局", "省交通运输厅", "各级交通部门"]
    # a level the user names keeps the other levels out, not 各级 forms
    assert mentions("市发改委", "市发展改革委、省发展和改革委员会、各级发改部门") == [
        "市发展改革委", "各级发改部门"]


@pytest.mark.parametrize("sentence, kind", [
    ("各类企业要严格落实安全生产主体责任。", DIRECT),
    ("由各社区负责本辖区返乡人员登记。", DIRECT),
    ("持续生产的企业和拟复工的企业都必须严格排查员工。", DIRECT),
    ("对因疫情不能返岗的劳动者，企业不得解除劳动合同。", DIRECT),
    ("开展隐患排查。（责任单位：各乡镇、市应急局）", DIRECT),
    ("市应急管理局要督促企业落实隐患整改。", IMPOSED),
    ("各地要指导和帮助企业落实防控物资。", IMPOSED),
])
def test_sentences_addressed_to_the_target(sentence, kind):
    target = "乡镇" if "乡镇" in sentence else "社区" if "社区" in sentence else "企业"
    hit = addressed(sentence, make_target(target))
    assert hit is not None and hit.kind == kind


@pytest.mark.parametrize("sentence", [
    "各地要支持企业开展技术改造。",  # a beneficiary
    "对符合条件的企业给予一次性补助。",
    "指导企业用好用足各项扶持政策。",  # guided to use a policy: benefits
    "企业可以向主管部门申请缓缴。",  # a permission
    "对受疫情影响较大的企业，各地工信部门要加强联系服务。",  # another subject
    "生产企业所在市州要服从统一调度。",
    "患者应到定点医院就诊。",  # the hospital as a place
])
def test_sentences_that_only_mention_the_target(sentence):
    target = "医疗机构" if "医院" in sentence else "企业"
    assert addressed(sentence, make_target(target)) is None


LETTER = """致全市餐饮企业的一封信
各餐饮企业：
为做好疫情防控工作，现提出如下倡议：
一、严格落实进店测温、扫码登记制度。
二、每日对就餐区域消毒不少于两次，并做好记录。
三、员工必须佩戴口罩上岗。
市场监管部门将加强巡查，对违规经营的依法查处。"""


def passages_of(text: str, title: str) -> list[Passage]:
    return [Passage(chunk_id="ab-00000", text=text, source="x.txt", title=title,
                    heading_path=(), page=None, score=0.0)]


def test_a_letter_to_the_target_addresses_its_requirements_to_it():
    rows = document_requirements(passages_of(LETTER, "致全市餐饮企业的一封信"), make_target("企业"))
    texts = [r.requirement for r in rows]
    assert any("进店测温" in t for t in texts) and any("佩戴口罩" in t for t in texts)
    assert all(r.kind == IMPLICIT for r in rows if "消毒" in r.requirement)
    assert not any("依法查处" in t for t in texts)  # the 市场监管部门's duty, not the addressees'


def test_the_sentences_after_a_direct_one_continue_its_subject():
    text = ("企业要落实主体责任，建立员工健康台账。要每日对员工测温。"
            "市人社局要加强用工指导。要及时发布岗位信息。")
    rows = document_requirements(passages_of(text, "关于复工复产的通知"), make_target("企业"))
    kinds = {r.requirement: r.kind for r in rows}
    assert kinds["要每日对员工测温。"] == IMPLICIT
    assert "要及时发布岗位信息。" not in kinds  # after another subject


# --- across stored documents ------------------------------------------------------------------
CURRENT = """关于做好2024年安全生产工作的通知
各县（市、区）人民政府，市直各部门：
一、压实企业主体责任
各类企业要严格落实安全生产主体责任，3月底前完成隐患自查。
企业主要负责人必须每季度组织一次安全检查。
二、加强监管
市应急管理局要督促企业落实隐患整改，年底前完成全覆盖检查。
各县（市、区）要支持企业开展技术改造，对符合条件的企业给予资金补助。
市交通运输局要加强道路运输安全监管，5月31日前完成客运站排查。
各乡镇（街道）要在6月底前完成辖区内企业摸排。
XX市人民政府办公室
2024年3月1日"""
OLDER = CURRENT.replace("2024", "2023").replace("3月底前完成隐患自查", "4月底前完成隐患自查")
REPEALED = """XX市企业用工管理办法
第一条 用人单位应当依法签订劳动合同。
第二条 本办法自2020年1月1日起施行。
XX市人力资源和社会保障局
2019年12月1日"""


@pytest.fixture
def store(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("POLICYQA_EMBEDDING__MODE", "hash")
    monkeypatch.chdir(tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    files = {"关于做好2024年安全生产工作的通知.txt": CURRENT,
             "关于做好2023年安全生产工作的通知.txt": OLDER, "XX市企业用工管理办法.txt": REPEALED,
             "致全市餐饮企业的一封信.txt": LETTER}
    for name, text in files.items():
        (docs / name).write_text(text, encoding="utf-8")
    assert main(["ingest", "docs", "--store", "kb", "--no-progress"]) == 0
    assert main(["meta", str(docs / "XX市企业用工管理办法.txt"), "--status", "已废止",
                 "--store", "kb"]) == 0
    capsys.readouterr()
    return docs


def requirements(capsys, target, *extra):
    code = main(["requirements", target, "--store", "kb", "--json", *extra])
    out, err = capsys.readouterr()
    assert code == 0
    return json.loads(out), err


def test_requirements_json_contract_and_order(store, capsys):
    rows, err = requirements(capsys, "企业")
    assert "个文件对“企业”提出了" in err
    for row in rows:
        assert set(row) >= {"source", "title", "date", "requirement", "unit", "due_text", "quote"}
    titles = list(dict.fromkeys(r["title"] for r in rows))
    assert titles[0] == "关于做好2024年安全生产工作的通知"  # newest first
    assert "关于做好2023年安全生产工作的通知" not in titles  # an older version
    first = [r for r in rows if "隐患自查" in r["requirement"]][0]
    assert first["due_text"] == "3月底前" and first["kind"] == "direct"
    assert any(r["kind"] == "imposed" and "市应急管理局" in r["unit"] for r in rows)
    assert not any("技术改造" in r["requirement"] for r in rows)  # 支持企业: a beneficiary
    repealed = [r for r in rows if r["title"] == "XX市企业用工管理办法"]
    assert repealed and all(r["status"] == "已废止" for r in repealed)


def test_every_quote_is_verbatim(store, capsys):
    """quote is the cited passage, a substring of its document ignoring whitespace."""
    texts = {str(p.resolve()): "".join(p.read_text(encoding="utf-8").split())
             for p in store.iterdir()}
    for target in ("企业", "乡镇", "各县（市）", "交通运输部门", "市应急管理局"):
        rows, _ = requirements(capsys, target, "--all-versions")
        assert rows, target
        for row in rows:
            quote = "".join(row["quote"].split())
            assert quote in texts[row["source"]], (target, row["quote"])
            assert "".join(row["requirement"].split()) in quote


def test_all_versions_and_filters(store, capsys):
    rows, _ = requirements(capsys, "企业", "--all-versions")
    assert "关于做好2023年安全生产工作的通知" in {r["title"] for r in rows}
    rows, _ = requirements(capsys, "企业", "--since", "2024")
    assert {r["title"] for r in rows} == {"关于做好2024年安全生产工作的通知"}
    rows, _ = requirements(capsys, "乡镇")
    assert [r["due_text"] for r in rows] == ["6月底前"]


def test_exports(store, capsys, tmp_path):
    assert main(["requirements", "企业", "--store", "kb", "--out",
                 str(tmp_path / "汇总.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "## 《关于做好2024年安全生产工作的通知》" in out and "（已废止）" in out
    sheet = load_workbook(tmp_path / "汇总.xlsx").active
    assert sheet["C1"].value == "要求（原文）" and sheet.max_row > 3
    assert main(["requirements", "企业", "--store", "kb", "--out",
                 str(tmp_path / "汇总.docx")]) == 0
    body = "\n".join(p.text for p in Document(str(tmp_path / "汇总.docx")).paragraphs)
    assert "附：依据来源" in body


def test_cross_document_questions_route_to_the_summary(store, capsys, tmp_path):
    assert summary_target("各文件对企业提出了哪些要求？") == "企业"
    assert summary_target("所有文件对乡镇有哪些要求") == "乡镇"
    assert summary_target("企业要在什么时候前完成隐患自查？") == ""
    services = Services(Settings(store={"path": tmp_path / "kb"}, embedding={"mode": "hash"}))
    from assistant.webui.chat import Chat

    (answer,) = list(Chat(services).partials("各文件对企业提出了哪些要求？", [], "qa",
                                              make_filter()))
    assert answer.backend == "汇总" and "各类企业要严格落实安全生产主体责任" in answer.text
    assert answer.citations and "[1]" in answer.text
    qa = services.ask("各文件对企业提出了哪些要求？")  # the chain itself (eval) is unchanged
    assert qa.backend != "汇总"


def make_filter():
    from assistant.webui.chat import make_filter as chat_filter

    return chat_filter([], None)


def test_an_unknown_target_is_its_own_name(store, capsys):
    rows, err = requirements(capsys, "餐饮企业")
    assert rows and all("餐饮企业" in r["target"] or r["kind"] == "implicit" for r in rows)
    rows, err = requirements(capsys, "无此单位")
    assert rows == [] and "没有找到" in err


def test_requirements_without_a_store_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["requirements", "企业", "--store", str(Path("none"))]) == 1
    assert "policyqa ingest" in capsys.readouterr().err
