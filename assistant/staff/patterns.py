"""What a requirement sentence in a Chinese policy document looks like: requirement verbs,
responsible units, time nodes and quantitative targets. Shared by the outline/draft forms, the
task breakdown (任务清单) and the comparison's field changes."""

from __future__ import annotations

import re

REQUIREMENT = re.compile(r"要|必须|确保|坚持|加快|推动|强化|加强|健全|完善|力争|推进|严格|落实")
TARGET = re.compile(r"(?:到20\d\d年|力争|目标|达到|提高到|不低于|突破|控制在).{0,40}\d|"
                    r"\d+(?:\.\d+)?\s*[%％].{0,6}以上")

_CJK = r"[\u4e00-\u9fff]"
# characters that never sit inside a unit's name (verbs and particles around it)
_NOT_IN_NAME = "要负牵对在将把于由是的做完及与向前底按每请报经为各个加"
_NAME_CHAR = rf"(?:XX|(?!会同)[^\W\d_A-Za-z{_NOT_IN_NAME}])"
_SUFFIX = (r"(?:领导小组办公室|办公室|指挥部|中心|政府|委员会|人民法院|检察院|支队|公司|党校|"
           r"部队|(?<![大格布结])局|委|办|厅|室|部(?!门)|院)")
_NAMED_UNIT = (rf"(?:市(?![级县场直])|县(?![域城市])|[甲乙丙丁][县区]|县级|国网|驻)"
               rf"{_NAME_CHAR}{{0,16}}{_SUFFIX}")
_GROUP_UNIT = (r"各县（市(?:、区)?）(?:人民政府|政府)?|市直(?:各|有关)?部门|各有关部门|各地各部门|"
               r"各地|各级(?:党委|政府|各部门)|各成员单位|各执法部门|各银行机构|各责任单位|"
               r"各?乡镇（街道）|各乡镇|(?:管理|有关|主管)单位|各级领导干部|各级防汛抗旱指挥部|[甲乙丙丁][县区](?:人民政府)?")
UNIT = re.compile(rf"{_GROUP_UNIT}|{_NAMED_UNIT}")
ASSIGNED = re.compile(r"(?:责任单位|牵头单位)[:：]\s*((?:[^（()）。；;\n]|（[^）\n]*）)+)")
ASSIGNED_DEADLINE = re.compile(r"时限[:：]\s*([^）)。；;\n]+)")
STRONG = re.compile(r"(?<![重主需纲])要(?![素求点件闻])|必须|确保|力争|负责(?!人)|牵头|应当|严禁|"
                    r"不得|一律")
# what a task does (a sentence without one of these verbs is no task)
ACTION = re.compile(STRONG.pattern + r"|推行|实施|开展|建立|完成|实现|建成|建设|处置|引进|培训|"
                    r"新增|举办|召开|组建|储备|制定|出台|公布|设立|培育|清理|推进|推动|打造|"
                    r"提升|加快|加强|健全|完善|落实|部署|配备|发布|压缩|提高|组织")
_LIST_SEP = re.compile(r"[、，,](?![^（(]*[）)])")  # not the 、 of 各县（市、区）
# a sentence that requires something of someone (汇总): STRONG, and 应/须/务必/严格/督促 …
OBLIGATION = re.compile(STRONG.pattern + r"|应(?![对急用变收届邀聘运有该缴付纳享得])|须(?!知)|"
                        r"务必|严格|督促|禁止|不准|杜绝|一律|做好|落实|坚持|加强|抓好|切实|方可")
# words before a noun that make it an object, a beneficiary or a place, not a subject (the
# one-character prepositions guarded against the words they are part of: 经营, 同时, 使用 …)
BEFORE_OBJECT = re.compile(
    r"对(?![象比照称])|向|(?<![作成认行因])为(?![了止主准])|给|帮助|帮扶|扶持|支持|鼓励|协助|资助|服务(?![机中站业企对型窗平])|"
    r"推动|组织|引导|指导|督促|要求|监督|监管|协调|保障|(?<![达得做受遇看收])到(?!位)|(?<!参)与|"
    r"(?<!共)同(?![时级意步等样类期比])|按照|根据|针对|关于|做好|抓好|落实|推进|提升|加强|加大|动员|"
    r"发挥|告知|通过|(?<![可所予加])以(?![上下内外及便后前来为])|让|使(?!用)|将(?![于来])|把|"
    r"从(?![业事])|走访|联系|举办|召开|开展|实施|出台|印发|发放|减免|补贴|奖励|安排|核查|检查|排查|"
    r"聚焦|对接|了解|关心|关注|覆盖|惠及|涉及|坚持|允许|吸引|缓解|减轻|降低|减少|返还|退还|免收|"
    r"享受|进入|进驻|派驻|深入|入驻|(?<![存现所实正])在|(?<![关对由属位等基鉴])于|除|被|"
    r"经(?![营济费销过验常])|去(?![年除世向])|前往|送往|转诊|"
    r"(?<!原)因(?![此素])|统筹|调度|指挥|调查|回应|处理|建立|确定|分类|筛选|认定|评选|公布|"
    r"明确|配合|参照|属于|成为|联合|会同|责令|督导|纳入|列入")
RESPONSIBLE_VERB = re.compile(r"(?<![重主需纲])要(?![素求点件闻])|负责(?!人)|牵头|必须|应当|确保|"
                              r"配合")

# time nodes (时限), most specific first: deadline_in picks from the first tier that has one, the
# deadline calendar (deadlines.py) reads every one of them
_CN = "一二三四五六七八九十"
NUMBER = rf"(?:\d+|[{_CN}百两〇零]+)"  # 30, 三十, 两
_YEAR = r"(?:20\d\d|19\d\d)年"
_MD = rf"(?:\d{{1,2}}|[{_CN}]{{1,3}})月(?:(?:\d{{1,2}}|[{_CN}]{{1,3}})日)?"  # 3月, 3月5日, 三月五日
_HOUR = r"(?:(?:上午|中午|下午|晚上?)?\d{1,2}(?:时|点)(?:\d{1,2}分)?)?"
_MONTH = (rf"(?:{_YEAR}|明年|今年)?(?:每年)?{_MD}(?:底|末|中旬|上旬|下旬)?{_HOUR}"
          rf"(?:之?前|以前|为?止)"
          rf"|(?:(?:延长|顺延|推迟|延迟|延)[至到]|截止(?:到|至)?|(?<![截自从直日月])至|"
          rf"(?<![自从达直])到)"
          rf"(?:{_YEAR})?{_MD}(?:底|末)?{_HOUR}(?:之?前)?(?![起开])")
_PERIOD = r"(?:上半年|下半年|第?[一二三四1-4]季度)"
DEADLINES = (
    re.compile(_MONTH),
    re.compile(rf"(?:{_YEAR}|今年|本年度?)?年底前|(?:到|至)?(?:今年|本年)年底|{_YEAR[:-1]}年底(?:前)?|"
               rf"明年\d{{0,2}}月?(?:底)?前?|年内|(?:{_YEAR}|今年|本年)?{_PERIOD}(?:之?前|末|底|内)?"),
    re.compile(rf"(?<![日月])(?:到|至){_YEAR}(?:底)?(?![\d{_CN}]{{1,2}}月)|(?:力争|确保)(?:在)?[^，。；\d]{{0,4}}{_YEAR}(?![\d底])|"
               rf"{_YEAR}前(?![\d两三四五六七八九十])|今年|全年|汛前|主?汛期"),
    re.compile(rf"长期坚持|持续推进|每年第.季度|每月(?:\d{{1,2}}|[{_CN}]{{1,3}})日(?:之?前)?|"
               rf"每(?:周|星期)[{_CN[:6]}日天](?:[、和至]周?[{_CN[:6]}日天])*|"
               r"每(?:年|半年|季度|月|周|日|天)|按季度|次(?:日|月)[^，。；]{0,8}?(?:前|内)"),
)
# a span: 30日内, 三个月内, 5个工作日内, with what it counts from when the sentence says so
SPAN = re.compile(rf"(?:(?:自|从|在|于)?[^，。；]{{0,30}}?(?:之日起|之日|起|后|以后|之后)"
                  rf"[，,]?\s*)?"
                  rf"(?P<n>{NUMBER})\s*(?P<unit>个?工作日|个?小时|日|天|个?月|年|周)"
                  r"(?:内|以内|之内|止|为限)")
_MEASURE = r"(?:公里|千瓦|[个家项名场条人次户元亩座处台艘件套所天时分])"
_QUANTITY = re.compile(rf"\d+(?:\.\d+)?\s*(?:[%％]|[万亿千百]?{_MEASURE}"
                       r"|[万亿千百]?[^\d，。；、]{0,3}?(?:以上|以内|以下))")
_TARGET_WORD = re.compile(r"达到|不少于|不低于|不超过|突破|超过|以上|以内|以下|压缩到|提高到|"
                          r"压减|新建|控制在|降至|缩短到|扩大到|至少|新增|力争|全年|每年|累计|建成")


_SUBJECT_CHARS = 4
_AFTER_GROUP = re.compile(r"要|负责|牵头|配合|会同|分别|共同|联合")
_BEFORE_GROUP = ("由", "会同", "联合")
_NOT_RESPONSIBLE = ("报", "向", "在", "对", "给", "到", "经")


def responsible_units(sentence: str) -> list[str]:
    """Who is to do what a sentence requires: a 责任单位 list, or the units that are its
    subject, follow 由/会同, or come right before 要/负责/牵头 (with the units listed with them)."""
    assigned = assigned_units(sentence)
    if assigned:
        return assigned
    verb = RESPONSIBLE_VERB.search(sentence)
    verb_at = verb.start() if verb else _SUBJECT_CHARS  # no 要/负责: only a leading subject
    units: list[str] = []
    for group in _unit_groups(sentence):
        start, end = group[0][0], group[-1][1]
        before = sentence[max(0, start - 2):start]
        if before.endswith(_NOT_RESPONSIBLE) and not before.endswith(_BEFORE_GROUP):
            continue
        if start < verb_at or _AFTER_GROUP.match(sentence, end) or before.endswith(_BEFORE_GROUP):
            units += [sentence[a:b] for a, b in group]
    return list(dict.fromkeys(units))


def _unit_groups(sentence: str) -> list[list[tuple[int, int]]]:
    """Unit mentions, those joined by 、/和/及/与 kept together."""
    groups: list[list[tuple[int, int]]] = []
    for span in (m.span() for m in UNIT.finditer(sentence)):
        if groups and sentence[groups[-1][-1][1]:span[0]] in ("、", "和", "及", "与"):
            groups[-1].append(span)
        else:
            groups.append([span])
    return groups


def assigned_units(text: str) -> list[str]:
    """Units listed after 责任单位：/牵头单位：, in order."""
    found: list[str] = []
    for match in ASSIGNED.finditer(text):
        found += [u.strip() for u in _LIST_SEP.split(match.group(1)) if u.strip()]
    return list(dict.fromkeys(found))


def deadline_in(sentence: str) -> str:
    """The most specific time nodes of a sentence (up to two: 9月底前、年底前), in order."""
    assigned = ASSIGNED_DEADLINE.search(sentence)
    if assigned:
        return assigned.group(1).strip()
    specific = sorted((m.start(), m.group(0)) for p in DEADLINES[:2] for m in p.finditer(sentence))
    tiers = [[text for _, text in specific]]
    tiers += [[m.group(0) for m in p.finditer(sentence)] for p in (*DEADLINES[2:], SPAN)]
    for found in tiers:
        if found:
            return "、".join(list(dict.fromkeys(found))[:2])
    return ""


def target_in(sentence: str, limit: int = 2) -> str:
    """The clauses that state a quantity to reach (不少于50项, 达到80%以上)."""
    clauses = [c.strip() for c in re.split(r"[，,；;。：]", sentence)]
    picked = [c for c in clauses if _QUANTITY.search(_without_dates(c)) and _TARGET_WORD.search(c)]
    return "；".join(picked[:limit])


def _without_dates(clause: str) -> str:
    for pattern in DEADLINES[:2]:
        clause = pattern.sub("", clause)
    return re.sub(r"20\d\d年", "", clause)
