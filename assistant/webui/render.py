"""What the web page shows, as escaped Markdown/HTML strings (no Gradio import here).

Document text is untrusted: a file may contain `<script>` or Markdown link syntax. Every piece
of it goes through `md_escape` (chat messages) or `html.escape` (source cards) before it is
placed in markup; the only tags in the output are the ones written here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from assistant.core.dates import chinese_date
from assistant.core.sources import source_line, status_note, version_note
from assistant.core.text import bigram_set, overlap, split_sentences
from assistant.core.types import Answer, Citation, Passage

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$>-])")
_MARKER = re.compile(r"\\\[(\d+)\\\]")
_MARKERS = re.compile(r"\[\d+\]")
_FUZZY_MIN = 0.5  # bigram overlap for highlighting a sentence an LLM paraphrased

BACKEND_LABELS = {
    "extractive": "摘录（无模型，逐句引用原文）",
    "local": "本地模型",
    "openai": "远程模型（OpenAI 兼容接口）",
}
STATUS_LABELS = {"ingested": "已导入", "unchanged": "未变化", "skipped": "已跳过"}


def md_escape(text: str) -> str:
    """Text shown literally by a Markdown renderer; `[n]` citation markers stay readable."""
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return _MARKER.sub(r"[\1]", escaped)


def answer_markdown(answer: Answer, text: str | None = None) -> str:
    """A chat message: the (partial) answer text, then its sources once it is complete."""
    body = md_escape(answer.text if text is None else text)
    if text is not None or not answer.citations:
        return body
    lines = [f"[{c.n}] {md_escape(source_line(c.passage))}" for c in answer.citations]
    notes = [f"注：{md_escape(n)}" for n in answer.notes]
    return body + "\n\n**来源**\n\n" + "  \n".join(lines + notes)


def backend_label(backend: str) -> str:
    return "回答方式：" + BACKEND_LABELS.get(backend, backend)


# --- the sources panel ------------------------------------------------------------------------
def cited_sentences(passage_text: str, answer_text: str) -> set[str]:
    """Sentences of the passage that the answer quotes (or, failing that, best paraphrases)."""
    plain = _MARKERS.sub("", answer_text)
    sentences = [s for s in split_sentences(passage_text) if len(s) >= 4]
    exact = {s for s in sentences if s in plain}
    if exact or not sentences:
        return exact
    answer_grams = bigram_set(plain)
    scored = [(overlap(bigram_set(s), answer_grams), s) for s in sentences]
    best_score, best = max(scored)
    return {best} if best_score >= _FUZZY_MIN else set()


def highlight(text: str, marked: set[str]) -> str:
    """The passage as HTML with each marked sentence wrapped in <mark>."""
    out, pos = [], 0
    spans = sorted((text.find(s), s) for s in marked if s and text.find(s) >= 0)
    for start, sentence in spans:
        if start < pos:
            continue
        out += [html.escape(text[pos:start]), "<mark>", html.escape(sentence), "</mark>"]
        pos = start + len(sentence)
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def source_card(citation: Citation, answer_text: str, context: Sequence[Passage]) -> str:
    p = citation.passage
    details = "，".join(x for x in (p.doc_no, chinese_date(p.date)) if x)
    where = " · ".join(x for x in (p.heading, f"第{p.page}页" if p.page else "") if x)
    title = f"《{p.title}》" if p.title else p.source
    cited = cited_sentences(p.text, answer_text)
    marked = highlight(p.text, cited)
    return (
        f'<div class="pq-card" id="pq-source-{citation.n}">'
        f'<div class="pq-card-title"><span class="pq-n">[{citation.n}]</span> '
        f"{html.escape(title)}{html.escape(f'（{details}）' if details else '')}"
        f"{html.escape(status_note(p) + version_note(p))}</div>"
        f'<div class="pq-card-where">{html.escape(where or "（无章节标题）")}'
        f"{open_link(p, first_in(p.text, cited))}</div>"
        f'<div class="pq-card-text">{marked}</div>'
        f"{_context_block(p, context)}</div>")


def first_in(text: str, sentences: set[str]) -> str:
    """The sentence of a set that comes first in the text ("" for none)."""
    placed = sorted((text.find(s), s) for s in sentences if s and text.find(s) >= 0)
    return placed[0][1] if placed else ""


def open_link(passage: Passage, sentence: str) -> str:
    """查看原文: the page (PDF) or the document's text (docx/txt/md) at this passage; the page's
    script sends the chunk id and the cited sentence to the viewer, which finds the sentence's
    page (the card's 第N页 is where the chunk starts)."""
    return (f' <span class="pq-open" role="button" tabindex="0" '
            f'data-pq-open="{html.escape(passage.chunk_id)}" '
            f'data-pq-quote="{html.escape(sentence)}">查看原文</span>')


def _context_block(passage: Passage, context: Sequence[Passage]) -> str:
    if len(context) <= 1:
        return ""
    parts = []
    for neighbour in context:
        body = html.escape(neighbour.text).replace("\n", "<br>")
        cls = "pq-ctx-here" if neighbour.chunk_id == passage.chunk_id else "pq-ctx"
        parts.append(f'<div class="{cls}">{body}</div>')
    return ('<details class="pq-context"><summary>查看上下文（前后段落）</summary>'
            + "".join(parts) + "</details>")


def sources_panel(cards: Iterable[str], note: str = "") -> str:
    cards = list(cards)
    if not cards:
        text = html.escape(note or "提问后，这里显示回答引用的原文段落。")
        return f'<div class="pq-sources pq-empty">{text}</div>'
    return '<div class="pq-sources">' + "".join(cards) + "</div>"


# --- tables -----------------------------------------------------------------------------------
def retrieval_rows(passages: Sequence[Passage], excerpt: int = 120) -> list[list[object]]:
    """命中测试: rank, fused score, BM25 rank/score, dense rank/score, title, heading, text."""
    return [[rank, round(p.score, 4), _num(p.bm25_rank), _score(p.bm25_score),
             _num(p.dense_rank), _score(p.dense_score), p.title, p.heading,
             _excerpt(p.text, excerpt)]
            for rank, p in enumerate(passages, 1)]


RETRIEVAL_HEADERS = ["排名", "融合分", "BM25 排名", "BM25 分", "向量排名", "向量分",
                     "文件", "章节", "段落摘录"]
DOC_HEADERS = ["标题", "类型", "文号", "日期", "段数", "文件"]
REPORT_HEADERS = ["文件", "结果", "原因", "段数", "标题"]


def _num(value: int | None) -> object:
    return "—" if value is None else value


def _score(value: float | None) -> object:
    return "—" if value is None else round(value, 4)


def _excerpt(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"
