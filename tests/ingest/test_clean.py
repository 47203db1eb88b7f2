"""clean_text / clean_pages: what a reader of the cleaned text sees."""

import pytest

from ingest.clean import clean_fragment, clean_pages, clean_text, page_at

BODY = (
    "为贯彻落实市委十一届四次全会精神，进一步发挥县域优势，激发县域活力，提升县域实力，强化县域支撑，"
    "实现城区经济与县域经济双向发力，现就加快推动县域经济发展壮大提出如下意见。"
)


def wrap(text: str, width: int = 35) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


def test_kangxi_radicals_become_ordinary_characters_and_fullwidth_punctuation_stays() -> None:
    raw = "⼀、⼈民群众⽣活（试⾏）：“⼯作”，。"
    assert clean_text(raw) == "一、人民群众生活（试行）：“工作”，。"


def test_newlines_zero_width_and_indentation_are_normalised() -> None:
    raw = (
        "\u3000\u3000据悉，通知已于1月26日发布。  \r\n\r\n\r\n\r\n"
        "\u3000\u3000费予清说，市政\u200b府发布。\r"
    )
    assert clean_text(raw) == "据悉，通知已于1月26日发布。\n费予清说，市政府发布。"


@pytest.mark.parametrize(
    "furniture", ["— 1 —", "- 2 -", "－ 3 －", "第 3 页", "第3页 共10页", "3 / 10", "12", "—4—"]
)
def test_page_furniture_lines_are_dropped(furniture: str) -> None:
    assert clean_text(f"各单位要加强值守。\n{furniture}\n做好应急准备。") == (
        "各单位要加强值守。\n做好应急准备。"
    )


def test_spaces_between_chinese_and_digits_or_latin_are_removed() -> None:
    assert clean_text("自 2020 年 2 月 15 号起，对 COVID 19 患者免费救治。") == (
        "自2020年2月15号起，对COVID 19患者免费救治。"
    )


def test_spaces_next_to_chinese_punctuation_are_removed() -> None:
    raw = "关注 “ 内江市农民工服务中心 ” 微信公众号 ，点击菜单 。"
    assert clean_text(raw) == "关注“内江市农民工服务中心”微信公众号，点击菜单。"


def test_spaced_out_characters_are_closed_up() -> None:
    assert clean_text("县 域 经 济 发 展\n通 告") == "县域经济发展\n通告"
    raw = "## 第一章 总\u3000则\n第一条 为了保障权益。"
    assert clean_text(raw) == "## 第一章 总则\n第一条 为了保障权益。"


def test_flattened_document_is_split_into_paragraphs_and_headings() -> None:
    raw = (
        "国家税务总局南阳市税务局 局内各单位：现提出以下要求。 一、支持疫情防控物资供应 "
        "对生产、销售防控重点物资的企业，加快审核进度。 二、支持疾控医疗救治 "
        "对非营利性医疗机构提供的医疗服务免征增值税。     "
        "1、各承运单位车辆应随车携带通行证件。 \u3000\u30002、持证车辆不得搭载无关人员。 "
        "国家税务总局河南省税务局 2020年2月7日"
    )
    assert clean_text(raw).split("\n") == [
        "国家税务总局南阳市税务局",
        "局内各单位：现提出以下要求。",
        "一、支持疫情防控物资供应",
        "对生产、销售防控重点物资的企业，加快审核进度。",
        "二、支持疾控医疗救治",
        "对非营利性医疗机构提供的医疗服务免征增值税。",
        "1、各承运单位车辆应随车携带通行证件。",
        "2、持证车辆不得搭载无关人员。",
        "国家税务总局河南省税务局",
        "2020年2月7日",
    ]


def test_spaces_between_latin_words_and_digits_are_kept() -> None:
    assert clean_text("COVID 19 and SARS-CoV 2 test") == "COVID 19 and SARS-CoV 2 test"


def test_article_numbers_and_dates_keep_their_space() -> None:
    raw = (
        "1998年6月26日 第九届全国人民代表大会常务委员会第三次会议通过\n"
        "第一条 为保障权益，制定本法。 第二条 本法适用于全国。"
    )
    assert clean_text(raw).split("\n") == [
        "1998年6月26日 第九届全国人民代表大会常务委员会第三次会议通过",
        "第一条 为保障权益，制定本法。",
        "第二条 本法适用于全国。",
    ]


def test_paragraph_wrapped_over_many_lines_becomes_one_line() -> None:
    title = "关于加快推动县域经济发展壮大的实施意见"
    raw = "\n".join([title, "一、总体要求", *wrap(BODY), "二、保障措施", *wrap(BODY)])
    assert clean_text(raw).split("\n") == [title, "一、总体要求", BODY, "二、保障措施", BODY]


def test_short_title_at_top_stays_its_own_line() -> None:
    raw = "关于做好疫情防控工作的通知\n各区县人民政府，市政府各委办局："
    assert clean_text(raw) == raw


def test_line_broken_mid_sentence_is_joined() -> None:
    raw = "现将有关事项通知如下。\n各单位要严格落实疫情防控\n责任，确保措施到位。"
    assert clean_text(raw) == "现将有关事项通知如下。\n各单位要严格落实疫情防控责任，确保措施到位。"


@pytest.mark.parametrize(
    "heading",
    [
        "一、提升认识，正视问题，增强使命担当",
        "（一）产业发展是基础，必须着力壮大产业实力",
        "(二)城镇体系是载体",
        "1.加强组织领导",
        "2、压实工作责任",
        "（3）强化督导检查",
        "第三章 保障措施",
        "第十条 县级人民政府负责组织实施",
        "# 第一章 总则",
        "第一，这是贯彻落实总书记重要思想的具体体现",
        "一要坚持以理念引领开新路",
        "二是加大对小微企业的财税支持",
    ],
)
def test_heading_lines_neither_join_nor_absorb(heading: str) -> None:
    before = "全市上下要统一思想，形成合力，推动县域经济高质量发展"
    after = "县域经济既是老题目，也是新课题，过去的路子已经走不通"
    assert clean_text(f"{before}\n{heading}\n{after}") == f"{before}\n{heading}\n{after}"


def test_wrapped_numbered_item_is_joined_in_hard_wrapped_text() -> None:
    item = "1.发热人员经医疗机构检查认定为疑似人员的，应立即向属地住建部门、卫生防疫部门报告。"
    raw = "\n".join([*wrap(BODY, 28), *wrap(item, 28), *wrap(BODY, 28)])
    assert clean_text(raw).split("\n") == [BODY, item, BODY]


def test_closing_bracket_without_final_mark_does_not_end_a_wrapped_line() -> None:
    lines = ["根据《交通运输部关于切实保障疫情防控物资运输车辆顺畅通行的紧急通知》", "文件要求。"]
    raw = "\n".join([*wrap(BODY), *lines, *wrap(BODY)])
    assert clean_text(raw).split("\n") == [BODY, "".join(lines), BODY]


def test_cleaning_a_clean_text_changes_nothing() -> None:
    raw = "\n".join(["关于加快推动县域经济发展的实施意见", "一、总体要求", *wrap(BODY)])
    once = clean_text(raw)
    assert clean_text(once) == once


def test_clean_fragment_keeps_a_table_cell_on_one_line() -> None:
    assert clean_fragment(" 张三 李四\n2020 年 ") == "张三李四2020年"


def test_pages_rejoin_a_sentence_broken_by_the_page_break() -> None:
    first = "为贯彻落实市委全会精神，进一步发挥县域优势，激发县域活力，提升县域实力，强化县域支撑，"
    second = "实现城区经济与县域经济双向发力。"
    pages = [
        "\n".join(["一、总体要求", *wrap(BODY), *wrap(first), "— 1 —"]),
        "\n".join([*wrap(second), "二、保障措施", "市财政每年安排专项资金。", "— 2 —"]),
    ]
    text, starts = clean_pages(pages)
    assert text.split("\n") == [
        "一、总体要求", BODY, first + second, "二、保障措施", "市财政每年安排专项资金。"
    ]
    assert starts[0] == 0 and text[starts[1] :].startswith(second)
    assert page_at(starts, text.index(first)) == 1
    assert page_at(starts, text.index("市财政")) == 2


def test_pages_end_of_sentence_starts_a_new_line_and_empty_pages_keep_an_entry() -> None:
    text, starts = clean_pages(["第一页内容。", "", "— 3 —", "第四页内容。"])
    assert text == "第一页内容。\n第四页内容。"
    assert len(starts) == 4 and starts[0] == 0
    assert page_at(starts, text.index("第四页")) == 4
    assert page_at(starts, 0) == 1


def test_a_line_holding_only_a_zero_width_space_does_not_break_a_number_or_a_word() -> None:
    # web copies of reports put "\u200b" lines inside numbers ("74.4", then "万亿元")
    raw = ("国内生产总值达到74.4\n\u200b\n万亿元，增长6.7%。城镇新增\n\u200b\n就业1314万人。\n"
           "\u200b\n本着鼓励创新的原则，加强监管。")
    text = clean_text(raw)
    assert "达到74.4万亿元，增长6.7%" in text
    assert "城镇新增就业1314万人" in text
    assert "\u200b" not in text
    assert "就业1314万人。\n本着鼓励创新" in text  # a break after a full stop stays a break
