"""时限 → dates: every time node of a sentence (the task rules' DEADLINES and SPAN patterns),
resolved against the document's own date and 施行日期, or left without a date when the text
does not fix one. Never a guess.

The readings, in the order they are tried (README "时限日历" lists them with examples):

- R8 recurring (每日/每周/每月/每季度/每年3月31日前, 次日12时前, 次月十五日内): no date; the
  rule text.
- R1 a full date (2020年12月31日前, 延长至2020年5月31日, 至2020年6月30日): that date.
- R2 year and month (2020年6月底前): the month's last day.
- R3 month (and day) without a year (3月5日前, 9月底前, 今年2月底前): the document's year; the
  next year when that date falls before the document's date (明年: the year after).
- R4 a period of the year (年底前, 年内, 上半年, 一季度 …): its last day, in the year named or the
  document's year.
- R5 a year (2025年前, 到2025年, 至2020年底, 力争/确保2020年): that year's 12-31.
- R6 a span counted from the document (自本办法发布之日起60日内; 施行 when the sentence says 施行):
  calendar days; months to the same day of the month (clamped to the month's end); years as 12
  months; working days Monday–Friday, without a holiday calendar.
- R7 a span counted from another event (受理申请之日起5个工作日内, 疫情解除后三个月内), or with no
  base at all (2小时内): no date.
- R9 vague (汛前, 开学前, 今年): no date.
- Not a deadline at all: a date 截至 ("as of", 截至2019年底全市已有…) or the end of a period
  (防火期为11月1日至次年4月30日).
- R10 anything relative to a document whose date (or 施行日期) is not known: no date. So is a span
  counted from 发布/公布 in a law that records revisions: its date is the latest revision's, not
  the first promulgation the span counts from.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from assistant.core.dates import cn_number
from assistant.staff.patterns import DEADLINES, SPAN

_RECURRING = re.compile(r"每(?:年|半年|季度|季|月|旬|周|星期|日|天)|次(?:日|月|年)")
_FULL = re.compile(r"(?P<y>(?:19|20)\d\d)年(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})月"
                   r"(?:(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})日|(?P<end>底|末))?")
_MONTH_DAY = re.compile(r"(?P<rel>今年|明年|本年)?(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})月"
                        r"(?:(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})日|(?P<end>底|末|下旬))?")
_PERIODS = (("上半年", (6, 30)), ("下半年", (12, 31)), ("一季度", (3, 31)), ("1季度", (3, 31)),
            ("二季度", (6, 30)), ("2季度", (6, 30)), ("三季度", (9, 30)), ("3季度", (9, 30)),
            ("四季度", (12, 31)), ("4季度", (12, 31)), ("年底", (12, 31)), ("年内", (12, 31)),
            ("年末", (12, 31)))
_YEAR = re.compile(r"((?:19|20)\d\d)年")
_FROM_DOCUMENT = re.compile(r"本(?:法|条例|办法|规定|细则|通知|意见|决定|方案|公告|通告|措施|规则|"
                            r"实施意见|政策)|(?:政策|文件)(?:发布|出台|印发)|^(?:自|从)?(?:发布|印发|"
                            r"公布|下发)之日")
_IN_FORCE = re.compile(r"施行|实施|生效")
_SPAN_UNITS = {"工作日": "wd", "个工作日": "wd", "日": "d", "天": "d", "个月": "m", "月": "m",
               "年": "y", "周": "w"}
# 截至2019年底，全市已有…: as of a date, no deadline (截止 is one)
_AS_OF = re.compile(r"截至?\s*$")
_VAGUE = ("今年", "全年", "汛前", "汛期", "主汛期", "长期坚持", "持续推进")


@dataclass(frozen=True)
class DocDates:
    """What a document's own dates allow: its date and 施行日期 (YYYY[-MM[-DD]] or ""), whether
    its text records revisions, and whether its 施行日期 is written out (自2008年1月1日起施行)."""

    issued: str = ""
    effective: str = ""
    revised: bool = False
    effective_stated: bool = True


@dataclass(frozen=True)
class TimeNode:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Due:
    date: str | None  # YYYY-MM-DD, or None when the text does not fix one
    recurring: str | None  # the rule of a recurring deadline (每月, 每年3月31日前 …)
    rule: str  # R1 … R10: which reading gave it


def time_nodes(sentence: str) -> list[TimeNode]:
    """Every time node of the sentence, left to right; of overlapping ones the longest."""
    found = [(m.start(), m.end()) for p in (*DEADLINES, SPAN) for m in p.finditer(sentence)
             if not _AS_OF.search(sentence, 0, m.start())]
    found.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    nodes: list[TimeNode] = []
    for start, end in found:
        if nodes and start < nodes[-1].end:
            if end - start > nodes[-1].end - nodes[-1].start:
                nodes[-1] = TimeNode(sentence[start:end], start, end)
            continue
        nodes.append(TimeNode(sentence[start:end], start, end))
    return _joined_recurring(sentence, nodes)


def _joined_recurring(sentence: str, nodes: list[TimeNode]) -> list[TimeNode]:
    """每年 next to 3月31日前 is one node (每年3月31日前); a bare 每周 takes the words it rules
    (每周二、周五) up to the clause's end."""
    out: list[TimeNode] = []
    for node in nodes:
        if out and _RECURRING.fullmatch(out[-1].text) and node.start - out[-1].end <= 1:
            out[-1] = TimeNode(sentence[out[-1].start:node.end], out[-1].start, node.end)
            continue
        if _RECURRING.fullmatch(node.text):
            tail = re.match(r"[^，。；,;]{0,8}", sentence[node.end:])
            end = node.end + (len(tail.group(0)) if tail else 0)
            node = TimeNode(sentence[node.start:end], node.start, end)
        out.append(node)
    return out


def resolve(node: TimeNode, sentence: str, dates: DocDates) -> Due:
    """The date a time node fixes, read by the rules above."""
    text = node.text
    context = sentence[max(0, node.start - 4):node.start]
    if _RECURRING.search(text) or _RECURRING.search(context[-2:]):
        return Due(None, _recurring_text(node, sentence), "R8")
    span = SPAN.fullmatch(text)
    if span:
        return _span(span, dates)
    if text in _VAGUE or text.endswith(("汛前", "汛期")):
        return Due(None, None, "R9")
    full = _FULL.search(text)
    if full:
        return Due(_full_date(full), None, "R1" if full.group("d") else "R2")
    month = _MONTH_DAY.search(text)
    if month:
        return _month_day(month, dates)
    return _year_or_period(text, dates)


def _recurring_text(node: TimeNode, sentence: str) -> str:
    before = sentence[max(0, node.start - 2):node.start]
    lead = before if _RECURRING.search(before) and not _RECURRING.search(node.text) else ""
    return (lead + node.text).strip("，,；; ")


def _full_date(match: re.Match[str]) -> str | None:
    year, month = int(match.group("y")), _number(match.group("m"))
    if match.group("d"):
        return _iso(year, month, _number(match.group("d")))
    return _iso(year, month, _month_end(year, month))


def _month_day(match: re.Match[str], dates: DocDates) -> Due:
    """R3: a month (and day) of the document's year; the next year when that date is before the
    document's date; unknown without the document's year and month."""
    issued = _date_parts(dates.issued)
    if issued is None or issued[1] is None:
        return Due(None, None, "R10")
    year = issued[0] + (1 if match.group("rel") == "明年" else 0)
    month = _number(match.group("m"))
    day = _number(match.group("d")) if match.group("d") else None
    if day is None:
        day = _month_end(year, month) if 1 <= month <= 12 else 0
    due = _iso(year, month, day)
    if due is None:
        return Due(None, None, "R3")
    if match.group("rel") is None and _before(due, issued):
        due = _iso(year + 1, month, min(day, _month_end(year + 1, month)))
    return Due(due, None, "R3")


def _year_or_period(text: str, dates: DocDates) -> Due:
    """R4 a period (年底, 上半年, 一季度 …) of the year named or the document's; R5 a year."""
    named = _YEAR.search(text)
    for word, (month, day) in _PERIODS:
        if word in text:
            year = int(named.group(1)) if named else _year_of(dates.issued, text)
            return Due(_iso(year, month, day) if year else None, None, "R4" if year else "R10")
    if named:
        return Due(_iso(int(named.group(1)), 12, 31), None, "R5")
    return Due(None, None, "R9")


def _year_of(issued: str, text: str) -> int:
    parts = _date_parts(issued)
    if parts is None:
        return 0
    return parts[0] + (1 if "明年" in text else 0)


def _span(match: re.Match[str], dates: DocDates) -> Due:
    """R6 from the document's date or 施行日期 when the sentence counts from the document; R7
    (no date) when it counts from anything else; R10 when the base is not known."""
    lead = match.group(0)[:match.start("n")]
    if not _FROM_DOCUMENT.search(lead):
        return Due(None, None, "R7")
    in_force = bool(_IN_FORCE.search(lead))
    base = dates.effective if in_force else dates.issued
    trusted = (dates.effective_stated or not dates.revised) if in_force else not dates.revised
    parts = _date_parts(base)
    if not trusted or parts is None or parts[1] is None or parts[2] is None:
        return Due(None, None, "R10")
    start = dt.date(*parts)  # type: ignore[arg-type]
    count = int(cn_number(match.group("n"))) if not match.group("n").isdigit() else int(
        match.group("n"))
    unit = _SPAN_UNITS.get(match.group("unit"))
    if unit is None:
        return Due(None, None, "R7")  # hours
    return Due(_add(start, count, unit).isoformat(), None, "R6")


def _add(start: dt.date, count: int, unit: str) -> dt.date:
    if unit == "d":
        return start + dt.timedelta(days=count)
    if unit == "w":
        return start + dt.timedelta(weeks=count)
    if unit == "wd":
        day = start
        while count > 0:
            day += dt.timedelta(days=1)
            if day.weekday() < 5:
                count -= 1
        return day
    months = count * (12 if unit == "y" else 1)
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return dt.date(year, month, min(start.day, _month_end(year, month)))


# --- small helpers ----------------------------------------------------------------------------
def _number(text: str) -> int:
    return int(text) if text.isdigit() else int(cn_number(text))


def _month_end(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1] if 1 <= month <= 12 else 0


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _date_parts(date: str) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) of YYYY[-MM[-DD]], missing parts None; None for ""."""
    parts = [int(p) for p in date.split("-") if p.isdigit()] if date else []
    if not parts:
        return None
    padded = parts + [None, None]  # type: ignore[list-item]
    return padded[0], padded[1], padded[2]  # type: ignore[return-value]


def _before(due: str, issued: tuple[int, int | None, int | None]) -> bool:
    year, month, day = issued
    stamp = (year, month or 0, day or 0)
    return tuple(int(p) for p in due.split("-")) < stamp


def sentence_dues(sentence: str, dates: DocDates) -> list[tuple[TimeNode, Due]]:
    """Every time node of a sentence with its reading."""
    return [(node, resolve(node, sentence, dates)) for node in time_nodes(sentence)]
