"""Dates as policy documents write them and as the code compares them.

One place for: recognising dates in text (2024年3月5日, 二〇二四年三月五日, 2024-03-05), reading a
user-given date (`parse_date`), the YYYYMMDD number used for ordering and range filters, the
Chinese form shown to users (2024年3月5日), and the date 今年/去年 count from (`parse_today`).
"""

from __future__ import annotations

import datetime as dt
import re

from assistant.core.errors import ConfigError

_ARABIC = r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日)?"
_CHINESE = (
    r"(?P<cy>[〇○零一二三四五六七八九]{4})\s*年\s*(?P<cm>[一二三四五六七八九十]{1,2})\s*月"
    r"(?:\s*(?P<cd>[一二三四五六七八九十]{1,3})\s*日)?"
)
_ISO = r"(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})"
DATE_RE = re.compile(f"(?:{_ARABIC}|{_CHINESE}|{_ISO})")
CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "○": 0}


def parse_date(s: str) -> str:
    """Normalise a user-given date: 2022-09-15, 2022-9-5, 2022年9月15日, 2022-09 or 2022."""
    s = s.strip()
    m = re.fullmatch(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?", s)
    m = m or re.fullmatch(r"(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})日)?)?", s)
    if m and (result := format_date(*m.groups())):
        return result
    raise ValueError(f"无法识别的日期：{s!r}（可用格式：2022-09-15、2022-09、2022、2022年9月15日）")


def format_date(year: str, month: str | None, day: str | None) -> str | None:
    """YYYY-MM-DD, YYYY-MM or YYYY; None for an impossible date."""
    try:
        d = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None
    ok = 1800 <= d.year <= 2199
    return d.isoformat()[: 4 + 3 * bool(month) + 3 * bool(day)] if ok else None


def full_day(date: str, end: bool) -> str:
    """A YYYY[-MM[-DD]] bound as a day: its first day, or (end) its last (2020-02 → 2020-02-29)."""
    import calendar

    parts = date.split("-")
    if len(parts) == 3:
        return date
    if len(parts) == 2:
        last = calendar.monthrange(int(parts[0]), int(parts[1]))[1]
        return f"{date}-{last:02d}" if end else f"{date}-01"
    return f"{date}-12-31" if end else f"{date}-01-01"


def cn_number(s: str) -> str:
    """二〇二二 -> 2022, 十五 -> 15, 二十一 -> 21 (as digit strings)."""
    if "十" not in s:
        return "".join(str(CN_DIGITS[c]) for c in s)
    tens, _, ones = s.partition("十")
    return str((CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0))


def match_date(m: re.Match[str]) -> str | None:
    """The date captured by a pattern built on DATE_RE's named groups."""
    if m.group("y"):
        return format_date(m.group("y"), m.group("m"), m.group("d"))
    if m.group("iy"):
        return format_date(m.group("iy"), m.group("im"), m.group("id"))
    day = m.group("cd")
    month = cn_number(m.group("cm"))
    return format_date(cn_number(m.group("cy")), month, cn_number(day) if day else None)


def date_number(date: str) -> int:
    """YYYY[-MM[-DD]] as an int YYYYMMDD for ordering and range filters (missing parts 0)."""
    if not date:
        return 0
    parts = [int(p) for p in date.split("-") if p.isdigit()] + [0, 0]
    return parts[0] * 10000 + parts[1] * 100 + parts[2]


def chinese_date(date: str) -> str:
    """2024-09-12 → 2024年9月12日 (2024-09 → 2024年9月, "" → "")."""
    parts = date.split("-") if date else []
    return "".join(f"{int(n)}{unit}" for n, unit in zip(parts, "年月日", strict=False))


def parse_today(value: str) -> dt.date:
    """Settings' retrieval.today, or the system date when it is empty."""
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"retrieval.today {value!r} is not a date: use YYYY-MM-DD or leave it "
                          f"empty for the system date") from None


# A session of the National People's Congress (or the CPPCC, which meets alongside it):
# 第十二届全国人民代表大会第五次会议, 十二届全国人大四次会议. Standing-committee sittings are not
# sessions (they meet every two months).
SESSION_RE = re.compile(
    r"第?(?P<term>[一二三四五六七八九十]{1,3}|\d{1,2})\s*届\s*全国(?:人民代表大会|人大|政协"
    r"(?:全国委员会)?|委员会)\s*第?(?P<n>[一二三四五六七八九十]{1,2}|\d{1,2})\s*次(?:全体)?会议")
_FIRST_REGULAR_TERM = (5, 1978)  # since the 5th NPC (1978) every term has lasted five years


def session_year(match: re.Match[str]) -> int | None:
    """The year a session matched by SESSION_RE met in: term T's n-th session is held
    1978 + 5·(T−5) + (n−1); None before 1978, whose terms were irregular."""
    term, n = (int(g) if g.isdigit() else int(cn_number(g)) for g in match.group("term", "n"))
    first_term, first_year = _FIRST_REGULAR_TERM
    if term < first_term or not 1 <= n <= 5:
        return None
    return first_year + 5 * (term - first_term) + n - 1
