"""Document metadata: what a user filters and cites by (title, type, 文号, issuer, date).

All samples are fictional, written in the shapes the real corpora have: a speech that opens
with 同志们：, 红头 documents with 文号 and 落款, Markdown laws with promulgation lines, and
flattened web notices that the cleaner splits at the spaces between CJK text.
"""

import re

import pytest

from assistant.core.dates import parse_date
from assistant.core.types import DocMeta
from ingest.metadata import extract_metadata

SPEECH = """同志们：
今天我们召开全市县域经济发展工作座谈会，主要任务是总结交流、安排部署。下面，我讲三点意见。
一、提升认识，正视问题，增强使命担当
截至2021年底，XX市61%的地区生产总值、95%的土地面积和68%的人口在县域。
2021年3月5日，市政府召开常务会议，专题研究县域经济发展。
二、突出重点，精准发力，推动县域经济提质增效
第一，抓产业。要坚持工业强县不动摇。
同志们，县域经济发展意义重大、任务繁重，让我们埋头苦干，开创县域经济发展新局面！
"""

OPINION = """XX市人民政府关于加快推动县域经济发展壮大的实施意见
X政〔2022〕12号
各县（市、区）人民政府，市人民政府各部门：
为贯彻落实省委、省政府决策部署，加快推动县域经济发展壮大，现提出如下实施意见。
一、总体要求
截至2021年底，全市县域生产总值达到2900亿元，占全市的61%。
二、重点任务
（一）壮大主导产业。每个县（市）培育1至2个主导产业。
（二）强化要素保障。根据《XX省人民政府关于支持县域经济发展的意见》（X政〔2020〕5号），落实用地指标。
三、保障措施
各县（市、区）要建立工作台账，每季度报送进展情况。
XX市人民政府
二〇二二年九月十五日
"""

NOTICE = """# XX市人民政府办公室关于做好2022年秋冬季安全生产工作的通知

XX政办〔2022〕35号

各县（市、区）人民政府，市政府各部门：

为切实做好今冬明春安全生产工作，经市政府同意，现将有关事项通知如下：

# 一、压实安全生产责任

各地要严格落实“党政同责、一岗双责”。

# 二、开展隐患排查整治

2022年10月底前完成第一轮排查。

特此通知。

XX市人民政府办公室

2022年9月15日
"""

LAW = """# 中华人民共和国XX法

（2020年5月28日第十三届全国人民代表大会第三次会议通过）

## 第一章 总则

第一条 为了规范XX活动，保护当事人的合法权益，制定本法。

第二条 本法自2021年1月1日起施行。
"""

REGULATION = """# XX管理条例

2004年10月13日 国务院第66次常务会议通过

2004年10月20日 中华人民共和国国务院令第999号公布

2004年12月1日 施行

<!-- INFO END -->

第一条 为了加强XX管理，制定本条例。

第二条 本条例自2004年12月1日起施行。
"""

FLAT_NOTICE = (
    "XX市交通运输局关于疫情防控期间恢复城乡客运的通告 为做好疫情防控工作，保障群众出行，"
    "经研究决定，现将有关事项通告如下： 一、自2020年2月12日起恢复城乡客运班线。 "
    "二、乘客须佩戴口罩、配合测温。 特此通告。 XX市交通运输局 2020年2月10日"
)

FLAT_ORG_FIRST = (
    "XX市税务局 各区县税务局，局内各单位：为坚决贯彻落实疫情防控决策部署，现就落实税收支持政策"
    "提出以下要求。 一、加快退税审核进度。 二、优化纳税服务。 XX省税务局 2020年2月7日"
)

FLAT_JOINT = (
    "XX市财政局 XX市税务局关于支持小微企业复工复产有关税费政策的公告 为支持小微企业复工复产，"
    "现就有关政策公告如下： 一、减半征收房产税。 二、本公告自2020年1月1日起实施。 "
    "XX市财政局 XX市税务局 2020年2月6日"
)


def split_like_cleaner(text: str) -> str:
    """What the cleaner does to a flattened web page: a line break at each CJK-CJK space."""
    return re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "\n", text)


def test_speech_without_title_line_takes_file_stem_and_is_a_speech():
    meta = extract_metadata(SPEECH, "全市县域经济发展工作座谈会讲话.txt")

    assert meta == DocMeta(title="全市县域经济发展工作座谈会讲话", doc_type="讲话")


def test_dates_inside_body_sentences_are_not_the_document_date():
    """截至2021年底 and a dated sentence in the body say nothing about when the text was issued."""
    meta = extract_metadata(SPEECH, "speech.txt")

    assert meta.date == ""


def test_opinion_with_doc_no_closing_and_chinese_numeral_date():
    meta = extract_metadata(OPINION, "意见.txt")

    assert meta == DocMeta(
        title="XX市人民政府关于加快推动县域经济发展壮大的实施意见",
        doc_type="意见",
        doc_no="X政〔2022〕12号",
        issuer="XX市人民政府",
        date="2022-09-15",
    )


def test_cited_doc_no_in_the_body_is_not_taken_for_the_documents_own():
    without_own_no = OPINION.replace("X政〔2022〕12号\n", "")

    assert extract_metadata(without_own_no, "意见.txt").doc_no == ""


@pytest.mark.parametrize("zero", ["〇", "○", "零"])
def test_chinese_numeral_dates_with_any_zero_sign(zero):
    text = OPINION.replace("二〇二二年九月十五日", f"二{zero}二一年十二月二十一日")

    assert extract_metadata(text, "意见.txt").date == "2021-12-21"


def test_notice_from_docx_headings():
    meta = extract_metadata(NOTICE, "通知.docx")

    assert meta.title == "XX市人民政府办公室关于做好2022年秋冬季安全生产工作的通知"
    assert meta.doc_type == "通知"
    assert meta.doc_no == "XX政办〔2022〕35号"
    assert meta.issuer == "XX市人民政府办公室"
    assert meta.date == "2022-09-15"


def test_law_in_markdown_takes_its_adoption_date_not_its_commencement():
    meta = extract_metadata(LAW, "XX法.md")

    assert meta == DocMeta(
        title="中华人民共和国XX法",
        doc_type="法规",
        issuer="全国人民代表大会",
        date="2020-05-28",
    )


def test_regulation_dated_by_its_publication_line():
    meta = extract_metadata(REGULATION, "XX管理条例(2004-10-20).md")

    assert meta.title == "XX管理条例"
    assert (meta.doc_type, meta.issuer, meta.date) == ("法规", "国务院", "2004-10-20")


def test_document_without_metadata_gets_file_stem_and_empty_fields():
    text = "这是一段没有标题的说明文字，介绍了项目的背景。\n第二段继续说明有关情况。\n"

    assert extract_metadata(text, "/data/docs/项目说明.txt") == DocMeta(title="项目说明")


def test_flattened_web_notice_split_by_the_cleaner():
    meta = extract_metadata(split_like_cleaner(FLAT_NOTICE), "0013aa11eb73353a.txt")

    assert meta.title == "XX市交通运输局关于疫情防控期间恢复城乡客运的通告"
    assert (meta.doc_type, meta.issuer, meta.date) == ("通知", "XX市交通运输局", "2020-02-10")


def test_flattened_page_opening_with_a_body_name_is_not_titled_by_it():
    meta = extract_metadata(split_like_cleaner(FLAT_ORG_FIRST), "009783e26fda3445.txt")

    assert meta.title == "009783e26fda3445"
    assert (meta.issuer, meta.date) == ("XX省税务局", "2020-02-07")


def test_joint_issuers_split_onto_lines_stay_in_title_and_issuer():
    meta = extract_metadata(split_like_cleaner(FLAT_JOINT), "joint.txt")

    assert meta.title == "XX市财政局 XX市税务局关于支持小微企业复工复产有关税费政策的公告"
    assert (meta.doc_type, meta.issuer) == ("通知", "XX市财政局 XX市税务局")
    assert meta.date == "2020-02-06"


@pytest.mark.parametrize("trailer", ["", " （此件公开发布）", " 抄送：市委办公室。", " 【打印】"])
def test_closing_date_followed_by_page_trailer(trailer):
    text = (
        "关于暂停现场办理业务的通知\n各单位：\n即日起暂停现场办理。\n特此通知。\n"
        f"XX区政务服务中心\n2020年2月1日{trailer}\n"
    )

    meta = extract_metadata(text, "x.txt")

    assert (meta.issuer, meta.date) == ("XX区政务服务中心", "2020-02-01")


def test_titled_speech_dated_under_its_title_and_salutation_not_a_title():
    text = "在全市安全生产工作会议上的讲话\n（2022年9月15日）\n同志们：\n今天召开会议，部署工作。\n"

    meta = extract_metadata(text, "讲话稿.txt")

    assert (meta.title, meta.doc_type, meta.date) == (
        "在全市安全生产工作会议上的讲话",
        "讲话",
        "2022-09-15",
    )


@pytest.mark.parametrize(
    ("title", "doc_type"),
    [
        ("XX市人民政府关于印发XX市优化营商环境实施方案的通知", "通知"),
        ("XX市优化营商环境三年行动计划（2022—2024年）", "方案"),
        ("关于支持中小企业发展的若干措施", "方案"),
        ("XX市城市管理条例", "法规"),
        ("XX市政府信息公开实施细则（试行）", "法规"),
        ("关于进一步加强耕地保护的指导意见（征求意见稿）", "意见"),
        ("在全市经济工作会议上的讲话（摘要）", "讲话"),
        ("XX区应对疫情指挥部通告（第8号）", "通知"),
        ("XX市统计年鉴", "其他"),
    ],
)
def test_doc_type_follows_the_title_ending(title, doc_type):
    text = f"{title}\n正文第一段，说明有关情况。\n"

    assert extract_metadata(text, "x.txt").doc_type == doc_type


def test_doc_type_from_text_cues_when_the_title_says_nothing():
    articles = "第一条 为了规范管理，制定本规定。\n第二条 本规定自发布之日起施行。\n"
    notice = "为做好有关工作，现将有关事项通知如下：\n一、提高认识。\n"

    assert extract_metadata(articles, "a.txt").doc_type == "法规"
    assert extract_metadata(notice, "b.txt").doc_type == "通知"


@pytest.mark.parametrize(
    "written",
    ["X政〔2022〕12号", "X政[2022]12号", "X政（2022）12号", "X政(2022)12号", "（X政［2022］12号）"],
)
def test_doc_no_brackets_are_normalised(written):
    text = f"XX市人民政府关于加强XX工作的通知\n{written}\n各县（市、区）人民政府：\n正文。\n"

    assert extract_metadata(text, "x.txt").doc_no == "X政〔2022〕12号"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2022-09-15", "2022-09-15"),
        ("2022-9-5", "2022-09-05"),
        ("2022年9月15日", "2022-09-15"),
        (" 2022 ", "2022"),
        ("2022-09", "2022-09"),
        ("2022年9月", "2022-09"),
    ],
)
def test_parse_date_normalises_filter_values(given, expected):
    assert parse_date(given) == expected


@pytest.mark.parametrize("given", ["", "明年", "22-9-5", "2022-13-01", "2022-02-30", "2022/9/5x"])
def test_parse_date_rejects_anything_else(given):
    with pytest.raises(ValueError, match="无法识别的日期"):
        parse_date(given)


# --- a report's year, read from its content ------------------------------------------------------
REPORT_BODY = """各位代表：
现在，我代表市人民政府，向大会报告政府工作，请予审议。
一、{review}工作回顾
过去一年，全市经济运行稳中有进。
二、今年工作安排
今年发展的主要预期目标是：地区生产总值增长5.5%左右。
"""


def test_a_report_whose_year_is_only_in_its_date_line_is_dated_by_it() -> None:
    text = "政府工作报\n告\n——2031年3月5日在第十五届全国人民代表大会第四次会议上\n" + \
        REPORT_BODY.format(review="过去一年")
    meta = extract_metadata(text, "报告.txt")
    assert meta.title == "政府工作报告"  # a title wrapped one character short is joined
    assert meta.date == "2031-03-05"
    assert meta.doc_type == "讲话"


def test_a_report_given_at_a_session_without_a_date_takes_the_sessions_year() -> None:
    text = "政府工作报告\n——在第十五届全国人民代表大会第二次会议上\n" + \
        REPORT_BODY.format(review="过去一年")
    assert extract_metadata(text, "报告.txt").date == "2029"  # 15th NPC: 2028, second session


def test_a_report_reviewing_a_year_is_of_the_year_after() -> None:
    meta = extract_metadata(REPORT_BODY.format(review="2030年"), "报告.txt")
    assert meta.date == "2031"


def test_the_file_name_dates_a_report_that_says_nothing_else() -> None:
    body = REPORT_BODY.format(review="过去五年")
    assert extract_metadata(body, "2032年政府工作报告.txt").date == "2032"
    assert extract_metadata(body, "3fa2019c0d.txt").date == ""  # digits inside a hash are no year
