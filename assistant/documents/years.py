"""What the years in a question mean.

- A year written next to a document (“2013年政府工作报告中”, “2013年的报告说”) is that document's
  year, and 今年/去年 in the same question are the document's words, not counted from today.
- A session of the National People's Congress (十二届全国人大四次会议) is the year it met.
- A year a question asks about is the year of the document that planned it, unless the question
  asks what happened in that year (增长了, 实际, 完成, 年末): the report of year N reviews N−1
  and plans N, so what was achieved in N is told by the document of N+1. The question's own
  grammar says which: the perfective particle 了 (jieba's `ul`) or a word of outcome, with no
  word of plan (要, 拟, 计划, 预期, 目标, 安排 …) beside it.
"""

from __future__ import annotations

import re

from assistant.core.dates import SESSION_RE, session_year
from assistant.documents.places import tagged

_DOC_WORDS = r"报告|讲话|通知|意见|方案|规划|决定|办法|文件|纲要|要点"
_ANCHORED = re.compile(rf"(?<!\d)((?:19|20)\d{{2}})\s*年度?(?:的)?[\u4e00-\u9fff]{{0,8}}?"
                       rf"(?:{_DOC_WORDS})")
_PLAN_WORDS = ("要", "拟", "将", "计划", "预期", "目标", "安排", "力争", "打算", "预计")
_OUTCOME_WORDS = ("实际", "完成", "实现")
_AFTER_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}\s*年(末|底)")


def anchored_years(text: str) -> list[int]:
    """Years written as a document's year: 2013年政府工作报告, 2013年的报告."""
    return list(dict.fromkeys(int(m.group(1)) for m in _ANCHORED.finditer(text)))


def sessions(text: str) -> list[tuple[str, int]]:
    """(phrase, year) for each NPC/CPPCC session the text names."""
    found = []
    for match in SESSION_RE.finditer(text):
        year = session_year(match)
        if year:
            found.append((match.group(0), year))
    return found


def asks_outcome(question: str) -> bool:
    """True when the question asks what happened in its year rather than what was planned."""
    words = tagged(question)
    if any(w in _PLAN_WORDS or w.endswith(("目标", "预期", "计划")) for w, _ in words):
        return False
    if _AFTER_YEAR.search(question):
        return True  # 2016年末: a state at the year's end
    return any(f == "ul" or w in _OUTCOME_WORDS for w, f in words)
