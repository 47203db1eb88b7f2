"""How a clause of a Chinese policy sentence reads, for 汇总: its enumerator (一是, 3., （二）),
the verbs that govern a noun before it (督促企业, 支持受疫情影响的企业), and whether it starts
with a subject of its own (a body, residents, an actor before 要/应) — the sentence is then not
the previous subject's."""

from __future__ import annotations

import re

from assistant.staff.patterns import BEFORE_OBJECT, OBLIGATION, UNIT

CLAUSE_MARK = re.compile(r"[，,；;：:]")
ENUMERATOR = re.compile(r"^\s*(?:[一二三四五六七八九十]+[是要、]|第[一二三四五六七八九十]+[，,、]|"
                        r"[（(][一二三四五六七八九十\d]+[）)]|\d+\s*[.、．)）]|[、-])\s*")
LEAD_VERB = re.compile(r"由|请|" + BEFORE_OBJECT.pattern)
_QUOTED_TITLE = re.compile(r"《[^《》]{1,80}》")

# a clause that starts with someone else as its subject: a body (its name may hold verbs:
# 市场监管部门), or people named before any verb (学生, 居民, 患者 …)
_BODY = re.compile(r"^[^，。；：]{0,16}?(?:厅|局|委员会|委|办公室|政府|部门|部|机关|指挥部|"
                   r"领导小组|工作组|党委|党组)(?=要|应|须|将|必须|负责|牵头|会同|联合|按照|根据|"
                   r"对|在|于|和|、|及|与|等|，|可|已|均|都|也|还|不得|严禁|严格|加强|做好|下发|"
                   r"印发|发布|出台|制定|明确|召开|部署)")
_PEOPLE = re.compile(
    r"^(?P<before>[^，。；：]{0,16}?)(?:学生|家长|居民|群众|患者|公民|个人|旅客|市民|村民|游客|"
    r"病人|消费者|纳税人|缴费人|参保人|各地|各级|我们)们?(?=要|应|须|将|必须|负责|按照|根据|对|"
    r"在|于|和|、|及|与|等|，|可|已|均|都|也|还|不得|严禁|严格|加强|做好)")
_BY_SOMEONE = re.compile(r"^由[^，。；]{1,16}?(?:负责|牵头|组织|安排|承担|统筹)")
_ADVERBIAL = re.compile(r"^(?:对|在|按|根据|针对|为|凡|如|若|一旦|对于|经|结合|通过|围绕|以|从|自)")


def masked(sentence: str) -> str:
    """The sentence with quoted titles blanked out (《关于切实做好…的通知》 requires nothing), the
    same length so positions still hold."""
    return _QUOTED_TITLE.sub(lambda m: "《" + "□" * (len(m.group(0)) - 2) + "》", sentence)


def verb_chain(lead: str) -> list[str]:
    """The verbs (and prepositions) that govern a mention: the last one in its clause and those
    joined to it by 和/、/及 ("指导和帮助企业", "支持、指导、督促…场所"). Verbs inside a relative
    clause ("符合上岗要求的企业") govern nothing: before a 的, the chain starts at the first verb
    ("支持受疫情影响的企业")."""
    found = list(LEAD_VERB.finditer(lead))
    if not found:
        return []
    relative = lead.rfind("的")
    if relative > found[-1].start():
        return _joined(lead, found[:1] + found[1:], forward=True)
    return _joined(lead, found, forward=False)


def _joined(lead: str, found: list[re.Match[str]], forward: bool) -> list[str]:
    """The run of verbs joined only by 和/、/及/与, from the first match (forward) or back from
    the last one."""
    ordered = found if forward else list(reversed(found))
    chain = [ordered[0]]
    for match in ordered[1:]:
        left, right = (chain[-1], match) if forward else (match, chain[-1])
        if lead[left.end():right.start()].strip("和、及与并") != "":
            break
        chain.append(match)
    chain.sort(key=lambda m: m.start())
    return [m.group(0) for m in chain]


def lead_of(sentence: str, start: int) -> str:
    """The clause before a position, without its enumerator (一是, 3., （二）)."""
    cut = 0
    for match in CLAUSE_MARK.finditer(sentence, 0, start):
        cut = match.end()
    return ENUMERATOR.sub("", sentence[cut:start]).strip()


def has_subject(sentence: str) -> bool:
    """Some clause starts with a subject of its own (a body, residents, patients, 我们 …): the
    sentence is not the previous subject's."""
    for clause in CLAUSE_MARK.split(ENUMERATOR.sub("", sentence)):
        if other_subject(clause.strip()):
            return True
    return False


def other_subject(clause: str) -> bool:
    """The clause starts with someone as its subject: a body or residents named before any
    verb, or any noun phrase right before 要/应/必须 that is neither a time or place phrase
    (疫情期间要…) nor the target's own staff (教师要…, 员工须…)."""
    if not clause:
        return False
    if _BY_SOMEONE.match(clause):
        return True  # "由市卫健委负责…", "由各区负责接回…"
    if _ADVERBIAL.match(clause):
        return False
    unit = UNIT.match(clause)
    if _BODY.match(clause) or (unit and not OBLIGATION.match(clause)):
        return True
    found = _PEOPLE.match(clause)
    if found and not (LEAD_VERB.search(found.group("before"))
                      or OBLIGATION.search(found.group("before"))):
        return True
    modal = _NP_MODAL.match(clause)
    if not modal:
        return False
    phrase = re.sub(r"[（(][^（）()]*[）)]$", "", modal.group("np"))  # 社区（村）
    if not _ACTOR.search(phrase) or _STAFF.search(phrase) or ENUMERATOR.match(phrase):
        return False
    return not (LEAD_VERB.search(phrase) or OBLIGATION.search(phrase) or _SETTING.search(phrase))


_NP_MODAL = re.compile(r"^(?P<np>[^，。；：“”]{2,24}?)(?:要|应当|"
                       r"应(?![对急用变收届邀聘运有该缴付纳享得])|必须|须|负责|不得|严禁|务必|"
                       r"加强|做好|落实|严格|开展|建立|实行|组织)")
# a phrase of time, place, manner or degree before a modal, not a subject
_SETTING = re.compile(r"(?:时|后|後|前|期间|中|内|上|下|日|天|月|年|起|同时|方面|基础上|"
                      r"情况下|过程|阶段|之际|期)$|^(?:同时|切实|进一步|及时|立即|必要时|特别|"
                      r"尤其|还|也|都|均|并|更|一定|坚决|务必|全面|严格|重点|主要|首先|其次|此外|"
                      r"另外|原则上|一律|凡|"
                      r"如|若|一旦|每)")
# what an actor's name ends with (施工总承包单位, 污水处理厂, 家庭成员, 疑似人员 …)
_ACTOR = re.compile(r"(?:人员|单位|者|人|家属|成员|厂|公司|站|组|队|中心|协会|商会|机构|社区|"
                    r"村|街道|乡镇|学校|医院|企业|银行|部门|(?:^|[各、和])[市县区州])$")
# the target's own people: their duties in a document addressed to the target are its duties
_STAFF = re.compile(r"员工|职工|教师|教职|医务人员|医护人员|工作人员|从业人员|作业人员|经营人员|"
                    r"监督员|负责人|管理人员|安全员|值班人员|保洁人员|厨师|门卫|保安")
