"""Document metadata from cleaned text: title, type, 文号, issuer and date.

Heuristics over the opening lines (title, 文号, promulgation notes of laws) and the closing
lines (落款: issuing body, then date). A field the text does not state clearly stays empty.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.core.dates import DATE_RE, SESSION_RE, match_date, session_year
from assistant.core.types import DocMeta

_ORG_END = re.compile(
    r"(政府|办公[室厅]|指挥部|机制|[部局厅委办院署会组]|中心|党委|公司|集团|银行|学校|大学)"
    r"([（(][^（）()]{1,12}[）)])?$"
)
_PLACE_START = re.compile(r"^(中华人民共和国|中共|中国|国家|[\u4e00-\u9fff]{1,9}?[省市区县州旗])")
_PUNCT = re.compile(r"[。，；：！？、“”《》,;:!?@/.|]")
_SECTION_NO = re.compile(
    r"^(第[一二三四五六七八九十百零〇\d]+[编章节条部分]|[一二三四五六七八九十]+[、.．]"
    r"|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．])"
)
_SALUTATION = re.compile(r"^(同志们|各位(代表|领导|委员|来宾)|女士们)[^。]{0,20}[：:，,]")
_TITLE_WORDS = re.compile(
    r"关于|意见|通[知告]|公告|方案|办法|规定|条例|讲话|决定|报告|细则|措施|《.+》"
)
_DASH = "—―－\\-"
_SKIP_LINE = re.compile(r"^(内容概述|原标题[：:]?|.{2,30}文件)$")
_PART = r"(.{1,12}(编|篇|卷|总则|分则|附则))$"

_TYPE_BY_TITLE = (
    ("讲话", re.compile(r"(讲话|致辞|发言)(稿|提纲|摘要)?$")),
    ("意见", re.compile(r"意见$")),
    ("通知", re.compile(r"(通知|通告|公告|通报|公示)$")),
    ("方案", re.compile(r"(方案|规划|计划|措施|举措|纲要)$")),
    ("法规", re.compile(r"((?<!方)法|法典|条例|规定|办法|细则|解释|规则|修正案)$")),
    ("法规", re.compile(r"^(全国人民代表大会|最高人民(法|检察)院).*(决定|批复|决议|安排|解答)$")),
)
_TRAILING_PARENS = re.compile(r"(\s*[（(][^（）()]*[）)])+\s*$")
_LAW_ARTICLE = re.compile(r"^第一条", re.MULTILINE)
_NOTICE_CUE = re.compile(r"现将.{0,80}?通知如下|通知如下[：:]|特此(通知|通告|公告)")

_DOC_NO = re.compile(
    r"([A-Za-z\u4e00-\u9fff]{1,12})\s*[〔\[［【（(]\s*((?:19|20)\d{2})\s*[〕\]］】）)]"
    r"\s*第?\s*(\d{1,5})\s*号"
)
_ANNOUNCE_NO = re.compile(r"[\u4e00-\u9fff]{2,20}?(公告|令)\s*\d{4}\s*年第\s*\d{1,4}\s*号")
_DOC_NO_INLINE = re.compile(r"(?<![A-Za-z\u4e00-\u9fff])" + _DOC_NO.pattern)
_CITING = re.compile(r"根据|按照|依据|依照|参照|执行|贯彻|落实|转发|印发")

_CLOSING = re.compile(  # body name(s), date, then maybe a trailer such as （此件公开发布）
    rf"^(?P<org>.{{0,300}}?)\s*(?:{DATE_RE.pattern})\s*(印发|发布|公布|签发)?"
    r"(\s(?!\s*(起|施行|生效|实施|执行|通过|修|批准|第|会议)).*)?$"
)
_EVENT = re.compile(r"通过|公布|发布|修[正订改]|批准|印发|颁布|^\s*(第|中华人民共和国|国务院|最高)")
_IN_FORCE = re.compile(r"(施行|生效|实施|执行)[）)]?$")
_LABELLED_DATE = re.compile(rf"(公布|发布|成文|印发)(日期|时间)\s*[：:]\s*(?:{DATE_RE.pattern})")
_LAW_BODY = re.compile(
    r"(全国人民代表大会(?:常务委员会)?)第[^，。]{1,12}?次会议|(国务院)第\d+次常务会议"
    r"|中华人民共和国(国务院)令|((?:最高人民法院、)?最高人民(?:法|检察)院)(?:审判委员会|检察委员会|公告)"
    r"|(国务院)(?:发布|批准|公布)|《(国务院)关于"
)


def extract_metadata(text: str, filename: str) -> DocMeta:
    """Title, type, 文号, issuer and date of one cleaned document (one paragraph per line)."""
    if "<!--" in text:
        text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    title_at, title = _find_title(lines)
    title = title or Path(filename).stem
    closing_date, closing_issuer = _closing(lines, title_at)
    header_date, header_issuer = _promulgation(lines, title_at)
    speech_date, session = _speech_line(lines, title_at)
    return DocMeta(
        title=title,
        doc_type="讲话" if speech_date or session else _doc_type(title, lines, text),
        doc_no=_find_doc_no(lines),
        issuer=closing_issuer or header_issuer or _title_issuer(title),
        date=(closing_date or header_date or speech_date or _title_date(title) or session
              or _review_year(lines) or _filename_year(filename)),
    )


def _is_org(line: str, limit: int = 30) -> bool:
    """A short line naming a body (or several, space separated) and nothing else."""
    ok = len(line) <= limit and "关于" not in line and not _PUNCT.search(line)
    return ok and bool(_ORG_END.search(line))


def _is_date_line(line: str) -> bool:
    m = DATE_RE.search(line)
    return bool(m and not line[: m.start()].strip("（( ") and not line[m.end() :].strip("）) "))


def _find_title(lines: list[str]) -> tuple[int, str]:
    """(index, title) of the title line, or (-1, "") when no line looks like one."""
    for i, line in enumerate(lines[:40]):
        if line.startswith("# ") and not _SECTION_NO.match(line[2:].strip()):
            part = re.match(f"^# {_PART}", lines[i + 1]) if i + 1 < len(lines) else None
            return i, line[2:].strip() + (f" {part.group(1)}" if part else "")
        if "。" in line or len(line) > 80:
            break
    candidates = _title_candidates(lines)
    if not candidates:
        return -1, ""
    at = next((i for i in candidates if _TITLE_WORDS.search(lines[i])), candidates[0])
    return at, _complete_title(lines, at)


def _title_candidates(lines: list[str]) -> list[int]:
    """Indexes of title-like lines in the opening block, before the body starts."""
    found = []
    for i, line in enumerate(lines[:10]):
        if _SALUTATION.match(line) or line.endswith(("：", ":")) or len(line) > 60:
            break
        if "。" in line or _SECTION_NO.match(line) or line.startswith("#"):
            break
        skip = _is_org(line) or _is_date_line(line) or _SKIP_LINE.match(line)
        if not skip and not _is_doc_no(line) and len(line) >= 4:
            found.append(i)
    return found


def _complete_title(lines: list[str], at: int) -> str:
    """Add co-issuers written on the lines above and a wrapped second line below."""
    title = lines[at]
    nxt = lines[at + 1] if at + 1 < len(lines) else ""
    if len(nxt) <= 2 and not _PUNCT.search(nxt) and _TITLE_WORDS.search(title + nxt) \
            and not _TITLE_WORDS.search(title):
        title, nxt = title + nxt, ""  # "政府工作报" / "告": a title wrapped one character short
    if "关于" in title and _title_type(title) is None and len(nxt) <= 40 and "。" not in nxt:
        title += nxt if _title_type(nxt) else ""
    orgs: list[str] = []
    for line in reversed(lines[max(0, at - 8) : at]):
        if not _is_org(line):
            break
        orgs.insert(0, line)
    return " ".join(dict.fromkeys([*orgs, title])) if "关于" in title[:32] else title


def _title_type(title: str) -> str | None:
    core = re.sub(rf"\s+{_PART}", "", _TRAILING_PARENS.sub("", title).rstrip("》 "))
    return next((kind for kind, pattern in _TYPE_BY_TITLE if pattern.search(core)), None)


def _doc_type(title: str, lines: list[str], text: str) -> str:
    """From the title's ending first, then from cues in the text."""
    if kind := _title_type(title):
        return kind
    if any(_SALUTATION.match(line) for line in lines[:3]):
        return "讲话"
    if _LAW_ARTICLE.search(text):
        return "法规"
    return "通知" if _NOTICE_CUE.search(text) else "其他"


def _is_doc_no(line: str) -> bool:
    """The line is a 文号 and nothing else (brackets around it allowed)."""
    if len(line) > 44 or not line.endswith(("号", "）", ")")):
        return False
    core = line.strip("（）() ")
    return bool(_DOC_NO.fullmatch(core) or _ANNOUNCE_NO.fullmatch(core))


def _doc_no_in(line: str, standalone: bool) -> str:
    """The 文号 this line states, brackets normalised to 〔〕, or ""."""
    if standalone and _is_doc_no(line):
        core = line.strip("（）() ")
        m = _DOC_NO.fullmatch(core)
        return f"{m.group(1)}〔{m.group(2)}〕{m.group(3)}号" if m else core
    for m in [] if standalone else _DOC_NO_INLINE.finditer(line):
        if "》" not in line[max(0, m.start() - 2) : m.start()] and not _CITING.match(m.group(1)):
            return f"{m.group(1)}〔{m.group(2)}〕{m.group(3)}号"
    return ""


def _find_doc_no(lines: list[str]) -> str:
    """A 文号 line near the top, else a non-citation 文号 there, else a 文号 line anywhere."""
    opening = lines[:15]
    found = next((n for line in opening if (n := _doc_no_in(line, True))), "")
    found = found or next((n for line in opening if (n := _doc_no_in(line, False))), "")
    for prev, line in zip(lines[14:], lines[15:], strict=False):
        found = found or ("" if prev.endswith("》") else _doc_no_in(line, True))
    return found


def _closing(lines: list[str], title_at: int) -> tuple[str, str]:
    """(date, issuer) from the 落款 near the end: body name(s), then the date."""
    for i in range(len(lines) - 1, max(title_at, len(lines) - 10), -1):
        m = _CLOSING.match(lines[i])
        prefix = m.group("org").strip() if m else ""
        org = _closing_org(prefix) if m else None
        date = match_date(m) if m and org is not None else None
        if date and org is not None:  # names on the lines above only if the line has no text
            above = lines[max(title_at + 1, i - 8) : i] if org == prefix else []
            return date, _closing_issuer(above, org)
    return "", ""


def _closing_org(text: str) -> str | None:
    """What precedes a closing date: "" (nothing), a body name, or None (not a 落款)."""
    tail = re.split(r"[。！？；]", text)[-1].strip()
    for candidate in (text, tail, tail.rpartition(" ")[2]):
        if not candidate or _is_org(candidate, 60) or _PLACE_START.match(candidate):
            return candidate
    return None


def _closing_issuer(above: list[str], same_line: str) -> str:
    """Join the body names on the date line and on the short lines just above it."""
    pieces = [same_line] if same_line else []
    for line in reversed(above):
        if len(line) > 30 or _PUNCT.search(line) or _SECTION_NO.match(line):
            break
        if not _ORG_END.search(line) and not _PLACE_START.match(line):
            break
        pieces.insert(0, line)
    issuer = ""
    for piece in pieces:  # a piece that does not end a body name was wrapped mid-name
        issuer += (" " if issuer and _ORG_END.search(issuer) else "") + piece
    issuer = re.sub(r"\s+", " ", issuer)
    return issuer if len(issuer) >= 3 and _is_org(issuer, limit=120) else ""


def _promulgation(lines: list[str], title_at: int) -> tuple[str, str]:
    """(date, bodies) of the latest promulgation note between the title and the body."""
    dated = []
    for line in lines[title_at + 1 : title_at + 16]:
        if line.startswith("##") or _SALUTATION.match(line) or _SECTION_NO.match(line.lstrip("# ")):
            break
        if dates := _promulgation_dates(line):
            dated.append((max(dates), line))
    if not dated:
        return "", ""
    date, line = max(dated)
    bodies = [next(g for g in m.groups() if g) for m in _LAW_BODY.finditer(line)]
    return date, " ".join(dict.fromkeys(bodies))


def _promulgation_dates(line: str) -> list[str]:
    """Dates of 通过/公布/修正… events stated by a header line; never 施行 dates."""
    single = _LABELLED_DATE.search(line) or (_is_date_line(line) and DATE_RE.search(line))
    if single:
        return [d for d in [match_date(single)] if d]
    if "。" in line or not re.match(rf"^[（(]?\s*(根据)?\s*(?:{DATE_RE.pattern})", line):
        return []
    matches = list(DATE_RE.finditer(line))
    dates = []
    for k, m in enumerate(matches):
        event = line[m.end() : matches[k + 1].start() if k + 1 < len(matches) else len(line)]
        date = match_date(m)
        if date and _EVENT.search(event) and not _IN_FORCE.search(event.strip()):
            dates.append(date)
    return dates


_SPEECH_LINE = re.compile(rf"^[{_DASH}（(\s]*(?:(?:{DATE_RE.pattern})\s*[,，]?\s*)?"
                          r"在(?P<at>.{2,60}?)上(?:的(?:讲话|报告|发言))?[）)]?$")
_REVIEW = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]\s*)?((?:19|20)\d{2})\s*年\s*"
                     r"(?:工作)?回顾")
_FILE_YEAR = re.compile(r"(?<![0-9A-Za-z])((?:19|20)\d{2})(?:年|(?![0-9A-Za-z]))")


def _speech_line(lines: list[str], title_at: int) -> tuple[str, str]:
    """(date, session year) of the line under a speech's or report's title that says where it
    was given: "——2017年3月5日在第十二届全国人民代表大会第五次会议上"."""
    for line in lines[max(title_at, 0) + 1 : max(title_at, 0) + 6]:
        m = _SPEECH_LINE.match(line)
        if not m:
            continue
        session = SESSION_RE.search(m.group("at"))
        year = session_year(session) if session else None
        return (match_date(m) or "") if m.group("y") or m.group("cy") or m.group("iy") else "", (
            str(year) if year else "")
    return "", ""


def _review_year(lines: list[str]) -> str:
    """A report whose part one is "2016年工作回顾" was given the year after: "2017"."""
    for line in lines[:40]:
        if m := _REVIEW.match(line.lstrip("# ")):
            return str(int(m.group(1)) + 1)
    return ""


def _filename_year(filename: str) -> str:
    """The one year a file name states (2018年政府工作报告.txt), the last resort for a date."""
    years = set(_FILE_YEAR.findall(Path(filename).stem))
    return years.pop() if len(years) == 1 else ""


def _title_issuer(title: str) -> str:
    prefix = title.partition("关于")[0].strip() if "关于" in title else ""
    return prefix if prefix and _is_org(prefix, limit=120) else ""


def _title_date(title: str) -> str:
    m = DATE_RE.search(title)
    if m:
        return match_date(m) or ""
    year = re.search(r"[（(]((?:19|20)\d{2})年?[）)]", title)
    return year.group(1) if year else ""
