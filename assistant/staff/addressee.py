"""Whether a requirement sentence is addressed to a target, and how (汇总).

- **direct**: the target is the sentence's subject ("各企业要…", "由各社区负责…", "企业不得…"),
  is listed as its 责任单位, or is the one the requirement is put to ("对企业员工提出要求");
- **imposed**: a body 督促/要求/指导/引导/监督 the target to do it ("工信部门要督促企业落实
  主体责任"): the target is the agent of the embedded obligation. 支持/帮助/鼓励/推动 the target,
  or 指导 it to use a policy, is not this: there the target benefits;
- **implicit**: the sentence names no subject, but the document, its section or the sentences
  before it address the target: a letter or guide to it (title, salutation "各企业：", "本指引
  适用于…学校", "对…医疗机构提出以下要求："), a heading or a lead-in naming it ("企业要做好以下
  工作：一是…"), or the sentences after "企业要…" until another subject appears (the reader in
  requirements.py carries that context).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.staff.clauses import (
    CLAUSE_MARK,
    ENUMERATOR,
    LEAD_VERB,
    lead_of,
    masked,
    other_subject,
    verb_chain,
)
from assistant.staff.patterns import (
    ACTION,
    OBLIGATION,
    STRONG,
    UNIT,
    assigned_units,
)
from assistant.staff.targets import Mention, Target

DIRECT, IMPOSED, IMPLICIT = "direct", "imposed", "implicit"
KIND_LABELS = {DIRECT: "直接", IMPOSED: "督促", IMPLICIT: "隐含"}

_IMPOSING = re.compile(r"督促|要求|指导|引导|监督|监管|责令|督导")
# these impose only a compliance duty (指导企业落实防控措施), not 复工/转产
_SOFT = ("指导", "引导")
_COMPLIANCE = re.compile(r"落实|防控|防疫|主体责任|方案|预案|整改|制度|消毒|排查|"
                         r"登记|检测|监测|隔离|规范|安全|卫生|防护|报告")
# 企业的…, 企业所在市州, 医院就诊时: the mention describes something else or a place
_MODIFIER_OF = re.compile(r"[）)]?(?:的|所在|所属|周边|附近|之间|内部的|就诊|就医|看病|"
                          r"住院|门口)")
_USES_POLICY = re.compile(r"^.{0,6}?(?:用好|用足|享受|申报|申请|争取|获得|利用|对接)")
_PUT_TO = re.compile(r"^[^，。；]{0,12}?(?:提出|发出)[^，。；]{0,8}?(?:要求|倡议|呼吁)|"
                     r"^[^，。；]{0,4}呼吁")
_OVERSEEN = re.compile(r"^[^，。；]{0,24}?的[^，。；]{0,8}?(?:监管|指导|监督|督促|督导|检查)")
_PURPOSE = ("为", "以", "通过", "按照", "根据")
_NEGATION = re.compile(r"不得|严禁|禁止|不要|不准|避免|防止")
_REPORTED = re.compile(r"^[^，。；]{0,10}?(?:表示|介绍|说|指出|称|透露|告诉|认为|"
                       r"提醒|解释|回应)[，,：:]")
_IMPOSES = re.compile(r"^(?:[^，。；]{0,4}?(?:有关|相关)?负责人)?"
                      r"(?:要求|督促|责令|指导|通知|部署)(?!书)")
_SPEECH = re.compile(r"表示|介绍|(?<![小解])说|指出|透露|告诉")
# what news reports of things done or under way say (了, 已, 目前, 日前 …)
_NARRATED = re.compile(r"了(?![解])|已经|已(?![有知])|目前|日前|近日|此前|先后|正在|截至|以来|"
                       r"记者|昨天|昨日")
_PREAMBLE = re.compile(r"^(?:为了?|根据|按照)[^。；]*(?:制定|通知如下|如下|特此|现就|现将)")
_PAST = re.compile(r"了(?![解])|已经|截至|截止目前|先后|此前")
_PERMISSION = re.compile(r"可(?!能|靠|控|行)|可以|鼓励|提倡|倡导")


@dataclass(frozen=True)
class Addressed:
    kind: str  # DIRECT, IMPOSED or IMPLICIT
    mention: str  # the target as written (for implicit: as the context wrote it)


def addressed(sentence: str, target: Target) -> Addressed | None:
    """Direct or imposed, read from the sentence alone; None when it does not address the
    target (or requires nothing of it)."""
    sentence = masked(sentence)
    mentions = target.mentions(sentence)
    if not mentions or _PREAMBLE.match(sentence):
        return None
    for unit in assigned_units(sentence):  # a unit that is the target, not one that names it
        named = [m for m in target.mentions(unit) if m.end >= len(unit.rstrip("）)")) - 1]
        if named:
            return Addressed(DIRECT, named[0].text)
    for mention in mentions:
        kind = _role(sentence, mention)
        if kind:
            return Addressed(kind, mention.text)
    return None


def _role(sentence: str, mention: Mention) -> str | None:
    # the clause before the head, modifiers included; bodies' names (金融监管局) hold no verbs
    lead = UNIT.sub(lambda m: "□" * len(m.group(0)), lead_of(sentence, mention.head))
    rest = sentence[mention.end:]
    if _REPORTED.match(rest) or _IMPOSES.match(rest):
        return None  # "市交通局表示，包车必须…" said; "卫生健康委要求各省…" requires of others
    verbs = verb_chain(lead)
    if verbs in (["与"], ["同"], ["和"]) and not verb_chain(lead[:lead.rfind(verbs[0])]):
        verbs = []  # "预检分诊与发热门诊，…应当…": joint subjects
    if verbs and verbs[-1] in ("对", "向"):
        if _PUT_TO.match(rest) and not _PAST.search(rest[:20]):
            return DIRECT  # 对企业员工提出要求, 向…企业呼吁
        return IMPOSED if _OVERSEEN.match(rest) else None  # 加强对医疗机构的监管
    imposing = [i for i, v in enumerate(verbs) if _IMPOSING.fullmatch(v)]
    if imposing:
        purpose = any(v in _PURPOSE for v in verbs[:imposing[0]])
        if purpose or _NEGATION.search(lead) or not rest.strip("，。；"):
            return None
        if all(verbs[i] in _SOFT for i in imposing) and not _COMPLIANCE.search(rest):
            return None
        return None if _MODIFIER_OF.match(rest) or _USES_POLICY.match(rest) else IMPOSED
    if verbs and verbs[-1] in ("由", "请"):
        return DIRECT if OBLIGATION.search(rest) or "负责" in rest else None
    if verbs or _MODIFIER_OF.match(rest):
        return None
    return DIRECT if _has_predicate(sentence, mention) else None


def _has_predicate(sentence: str, mention: Mention) -> bool:
    """The mention is followed by what it must do: an obligation in its own clause or in the
    next one before another subject ("企业复工复产前，必须…", "发热门诊，在诊疗流程上应当…"); or,
    at the start of a numbered item, any predicate that is not a permission."""
    clause_end = CLAUSE_MARK.search(sentence, mention.end)
    own = sentence[mention.end:clause_end.start() if clause_end else len(sentence)]
    verb = OBLIGATION.search(own)
    before = own[:verb.start()] if verb else own
    if "的" in before or _SPEECH.search(before):
        return False  # "…参与的联席会议负责…", "…等部门有关负责人均表示，…": not its predicate
    if verb and not STRONG.fullmatch(verb.group(0)) and (LEAD_VERB.search(before)
                                                         or _NARRATED.search(sentence)):
        return False  # "交通运输部门在做好…之外，还采取了…": a report, not a requirement
    if verb and not _PERMISSION.search(own[:verb.start()]):
        return True
    if _PAST.search(own) or _PERMISSION.match(own):
        return False
    lead = lead_of(sentence, mention.head)
    relative = "的" in lead and not re.search(r"[和、与及]", lead.rsplit("的", 1)[-1])
    topic = not own.strip() and (relative or sentence.lstrip().startswith(("对", "针对")))
    if clause_end and not topic:  # "对…暂时受困的企业，不得抽贷": a topic, the banks' duty
        after = CLAUSE_MARK.split(sentence[clause_end.end():], maxsplit=1)[0]
        verb = STRONG.search(after)
        if verb and verb.start() <= _NEXT_CLAUSE_LEAD and not other_subject(after):
            return True
    item = ENUMERATOR.match(sentence)
    if item is None:
        return False
    return mention.head - item.end() <= _ITEM_SUBJECT_CHARS and bool(ACTION.search(own))


_NEXT_CLAUSE_LEAD = 12  # "在诊疗流程上应当": an adverbial before the obligation of the next clause
_ITEM_SUBJECT_CHARS = 12


# --- implicit: who the context addresses ------------------------------------------------------
_SALUTATION = re.compile(r"^[^，。；：:\n]{2,80}[：:]\s*$")
_ADDRESSED_KIND = re.compile(r"指引|指南|须知|规范|倡议|提示|守则|手册|方案|注意事项|要求|"
                             r"告知书|一封信")
_LETTER = re.compile(r"^(?:致|告|给)")
_TITLE_LEAD = re.compile(r"^.*?关于(?:印发|发布|转发|下发)?|^.*?(?:印发|发布)")
_BENEFIT = re.compile(r"惠企|援企|助企|减免|补贴|纾困|稳岗|扶持政策|支持政策")
_REQUIRED_OF = re.compile(r"对(.{2,160}?)[，,]?(?:提出|作出|做出)(?:如下|以下|几点)"
                          r"(?:要求|倡议|意见|提示)")
_LIST_LEAD = re.compile(r"(?:以下|如下|下列|几点|措施|工作|要求)[^，。；]{0,8}[：:。]?\s*$")
def document_mention(title: str, head_lines: list[str], target: Target) -> str:
    """The target as a document addressed to it names it: a letter or a guide to it in the
    title (致…企业的一封信, 中小学校和托幼机构防控指引), its salutation ("各企业：",
    "…教体局、市直学校："), a scope sentence ("本指引适用于…") or "对…医疗机构…提出以下要求";
    "" when it is not one."""
    for line in [title, *head_lines]:
        found = _addressing(line, target, is_title=line is title)
        if found:
            return found
    return ""


def _addressing(line: str, target: Target, is_title: bool) -> str:
    mentions = target.mentions(line)
    if not mentions:
        return ""
    if target.government and not _REQUIRED_OF.search(line):
        return ""  # a notice's 主送 names the bodies that pass its requirements on
    if is_title:
        rest = _TITLE_LEAD.sub("", line)
        letter = _LETTER.match(rest)
        guide = _ADDRESSED_KIND.search(line, mentions[0].end)
        own = not verb_chain(lead_of(rest, max(0, rest.find(mentions[0].text))))
        return mentions[0].text if (letter or (guide and own)) and not _BENEFIT.search(
            line) else ""
    required = _REQUIRED_OF.search(line)
    if required and target.mentions(required.group(1)):
        return target.mentions(required.group(1))[0].text
    if _SALUTATION.match(line) or "适用于" in line or "适用范围" in line:
        return mentions[0].text
    return ""


def heading_topic(heading: str, target: Target) -> str:
    """The target a heading is about ("三、社区防控策略及措施", "（二）企业防控要求"): named at its
    start, governed by no verb; "" otherwise."""
    bare = ENUMERATOR.sub("", heading)
    for mention in target.mentions(bare):
        if _JOINT.match(bare[:mention.head]) or mention.start == 0 and mention.head == 0:
            return mention.text
    return ""


# what may stand before a heading's topic: a prefix, or another topic (街道（乡镇）和社区（村）)
_JOINT = re.compile(r"^(?:各|全|有关)?$|^[^，。；、\s]{1,10}[和及与、](?:各|全)?$")


def required_of(sentence: str, target: Target) -> str:
    """“现对…医疗机构…提出以下要求：” — the target the rest of the document is addressed to."""
    return _addressing(sentence, target, is_title=False) if _REQUIRED_OF.search(sentence) else ""


def is_requirement(sentence: str) -> bool:
    """Requires something: an obligation word not under 可/鼓励 (a permission), not narrated."""
    sentence = masked(sentence)
    verb = OBLIGATION.search(sentence)
    if verb is None or _PAST.search(sentence[:12]) or _PREAMBLE.match(sentence):
        return False
    if not STRONG.search(sentence) and _NARRATED.search(sentence):
        return False  # "我局为您整理了…", "市医保局…迅速落实…": reports, not requirements
    return not _PERMISSION.search(ENUMERATOR.sub("", sentence[:verb.start()]))


def is_permission(sentence: str) -> bool:
    """可…/鼓励… with nothing required before it: what the target may do."""
    sentence = masked(sentence)
    allowed = _PERMISSION.search(sentence)
    if allowed is None:
        return False
    return not OBLIGATION.search(sentence, 0, allowed.start())


def ends_list_lead(sentence: str, colon_only: bool = False) -> bool:
    """“…做好以下工作：” (or “…做好以下防控措施。” closing its line) — the numbered items after it
    continue the sentence's subject."""
    found = _LIST_LEAD.search(sentence)
    if found is None:
        return False
    return not colon_only or found.group(0).rstrip().endswith(("：", ":"))
