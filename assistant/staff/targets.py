"""Who a requirement may be addressed to: a target as a user names it (企业, 医疗机构, 各县（市）,
市发改委, 交通运输部门) and the ways documents write it.

The synonyms come from a method, not from a list of sentences:

- a target belongs to a **family** of head nouns (企业 → 企业/公司/用人单位/生产经营单位 …), and the
  family names the look-alikes that belong elsewhere (社区卫生服务中心 is a 医疗机构, 校外培训机构
  is not a 学校);
- a **government body** is a stem (交通运输, 发展改革 and its short forms 交通, 发改)
  followed by any unit suffix (部门, 主管部门, 局, 厅, 委, 委员会 …); a level the user names
  (市发改委) keeps out the other levels (省发展改革委) but not 各级/各地 forms;
- any other name is its own head;
- a **mention** is a head with the 各/全/有关/各类 prefixes and the modifiers written before it
  (复工复产的企业, 全市中小学校) and a bracketed suffix after it (各县（市、区）, 村（社区）).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.staff.patterns import BEFORE_OBJECT

PREFIXES = ("各类", "各级", "各地", "全市", "全省", "全区", "全县", "全国", "所有", "有关", "相关",
            "本市", "辖区内", "广大", "各", "全")
_PREFIX = re.compile(r"^(?:" + "|".join(PREFIXES) + r")+")
_BRACKETED = r"(?:[（(][^（）()\n]{1,10}[）)])?"
_LEVEL = "省市县区"


@dataclass(frozen=True)
class Family:
    name: str
    heads: tuple[str, ...]
    excluded: tuple[str, ...] = ()
    government: bool = False  # a level of government: its notices' salutations name it


FAMILIES = (
    Family("企业", ("企业", "公司", "用人单位", "生产经营单位", "经营单位", "经营主体", "市场主体",
                  "个体工商户", "餐饮单位", "经营者", "经营户"),
           ("金融机构", "银行", "保险公司", "证券公司")),
    Family("医疗机构", ("医疗机构", "医疗卫生机构", "医院", "卫生院", "诊所", "门诊部", "发热门诊",
                    "卫生室", "医养结合机构", "社区卫生服务中心", "社区卫生服务站", "医疗单位",
                    "医疗中心", "卫生服务中心"),
           ("卫生健康行政部门", "卫生健康部门", "卫生行政部门")),
    Family("学校", ("学校", "高校", "高等学校", "中小学校", "中小学", "幼儿园", "托幼机构", "院校",
                  "职业学校", "各校", "学校食堂"),
           ("校外培训机构", "中小学生", "高校毕业生", "学校周边", "教育部门", "教育行政部门")),
    Family("社区", ("村（社区）", "村(社区)", "社区（村）", "社区(村)", "城乡社区", "社区",
                  "居委会", "村委会", "居民委员会", "村民委员会", "网格员", "社区干部",
                  "社区工作者"),
           ("社区卫生", "社区医院", "社区医疗", "社区居民", "社区群众", "社区卫生防护中心")),
    Family("乡镇", ("乡镇（街道）", "乡镇(街道)", "乡镇人民政府", "乡镇政府", "乡镇", "乡（镇）",
                  "镇（街道）", "街道办事处", "街道"), government=True),
    Family("县（市、区）", ("县（市、区）", "县(市、区)", "县（市）", "县(市)", "县（区）",
                       "县（市区）", "县市区", "县（区、市）"), government=True),
    Family("养老机构", ("养老机构", "养老服务机构", "养老院", "敬老院", "福利院", "社会福利机构")),
    Family("金融机构", ("银行业金融机构", "金融机构", "银行", "保险机构"),
           ("人民银行", "中国人民银行")),  # the central bank is a government body
    Family("物业", ("物业服务企业", "物业企业", "物业公司", "物业服务机构", "物业")),
)

# stems of government bodies, each with the short forms documents use
STEMS = (
    ("交通运输", "交通"), ("卫生健康", "卫健"), ("发展改革", "发展和改革", "发改"),
    ("人力资源社会保障", "人力资源和社会保障", "人社"), ("市场监督管理", "市场监管"),
    ("工业和信息化", "经济和信息化", "工信", "经信"), ("住房和城乡建设", "住房城乡建设", "住建"),
    ("农业农村", "农业"), ("生态环境", "环保"), ("文化和旅游", "文化旅游", "文旅"),
    ("应急管理", "应急"), ("医疗保障", "医保"), ("疾病预防控制", "疾控"), ("自然资源",),
    ("教育",), ("公安",), ("民政",), ("财政",), ("商务",), ("税务",), ("司法",), ("统计",),
)
UNIT_SUFFIXES = ("行政主管部门", "主管部门", "行政部门", "部门", "机关", "系统", "委员会",
                 "局", "厅", "委", "部", "办")
_DEPARTMENT = re.compile(r"^(?:各级|各地|各|全市|全省|有关)?(?P<level>[省市县区])?(?P<stem>.+?)"
                         r"(?:" + "|".join(UNIT_SUFFIXES) + r")$")


@dataclass(frozen=True)
class Mention:
    start: int  # where the whole phrase starts (prefix and modifiers included)
    head: int  # where the head noun starts
    end: int
    text: str


@dataclass(frozen=True)
class Target:
    name: str  # as the user wrote it
    family: str  # the family or stem it was read as
    pattern: re.Pattern[str]
    excluded: re.Pattern[str] | None = None
    level: str = ""  # 市 of 市发改委: other levels written before the stem are not this target
    government: bool = False  # a government body or level (no document is addressed to it by
    # its salutation alone: every notice names the bodies that pass it on)

    def mentions(self, text: str) -> list[Mention]:
        """Every mention of the target in the text, left to right."""
        blocked = [m.span() for m in self.excluded.finditer(text)] if self.excluded else []
        found = []
        for match in self.pattern.finditer(text):
            start, end = match.span()
            if any(a < end and start < b for a, b in blocked) or self._other_level(text, start):
                continue
            found.append(Mention(phrase_start(text, start), start, end,
                                 text[phrase_start(text, start):end]))
        return found

    def _other_level(self, text: str, start: int) -> bool:
        before = text[max(0, start - 1):start]
        return bool(self.level and before and before in _LEVEL and before != self.level)


def make_target(name: str) -> Target:
    """The target a user names, read as a family member, a government body or itself."""
    core = core_name(name)
    for family in FAMILIES:
        if core == family.name or core in family.heads or name.strip() in family.heads:
            return _target(name, family.name, family.heads, family.excluded,
                           government=family.government)
    department = _DEPARTMENT.match(core) or _DEPARTMENT.match(name.strip())
    stems = _stems(department.group("stem")) if department else ()
    if department and stems:
        heads = tuple(s + u for s in stems for u in UNIT_SUFFIXES)
        level = department.group("level") or ""
        return _target(name, stems[0] + "部门", heads, level=level if level != "区" else "",
                       government=True)
    return _target(name, core, (core,), government=bool(_GOVERNMENT_NAME.search(core)))


def core_name(name: str) -> str:
    """The name without 各/全/有关 prefixes and spaces (各县（市） → 县（市））."""
    text = "".join(name.split())
    return _PREFIX.sub("", text) or text


def _stems(stem: str) -> tuple[str, ...]:
    for forms in STEMS:
        if stem in forms:
            return forms
    return ()


_GOVERNMENT_NAME = re.compile(r"(?:部门|机关|政府|委员会|[局厅委办]|部)$")


def _target(name: str, family: str, heads: tuple[str, ...], excluded: tuple[str, ...] = (),
            level: str = "", government: bool = False) -> Target:
    ordered = sorted(set(heads), key=len, reverse=True)  # the longest form wins
    pattern = re.compile("(?:" + "|".join(map(_loose, ordered)) + ")" + _BRACKETED)
    blocked = re.compile("|".join(map(_loose, excluded))) if excluded else None
    return Target(name.strip(), family, pattern, blocked, level, government)


def _loose(word: str) -> str:
    """A head as a pattern: full-width and ASCII brackets alike."""
    return re.escape(word).replace("（", "[（(]").replace("）", "[）)]").replace(
        r"\(", "[（(]").replace(r"\)", "[）)]")


# --- the phrase around a head -----------------------------------------------------------------
_BOUNDARY = re.compile(r"[\s，。；;：:！？、,.“”\"《》（）()【】]|要|由|和|及|是|的|期间|"
                       + BEFORE_OBJECT.pattern)
_MODIFIER_CHARS = 8
_PREFIX_BEFORE = re.compile("(?:" + "|".join(PREFIXES) + "|[省市县区州])+$")


def phrase_start(text: str, head: int) -> int:
    """Where the noun phrase ending in the head begins: back over modifiers (复工复产的, 各类,
    全市) up to a clause mark, a verb or a preposition."""
    start = max(0, head - _MODIFIER_CHARS)
    cuts = [m.end() for m in _BOUNDARY.finditer(text, start, head)]
    if cuts and cuts[-1] < head:
        return cuts[-1]
    if not cuts and start == 0:
        return 0  # the phrase opens the text: all of it is modifiers (定点医院)
    prefix = _PREFIX_BEFORE.search(text, start, head)
    return prefix.start() if prefix else head
