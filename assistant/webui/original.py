"""查看原文: a citation opened on its original.

A PDF stored with its original (ingest keeps a hash-named copy) opens on the cited page, rendered
with the cited sentence highlighted (pdfpage.py); docx, txt and md — and PDFs stored before
originals were kept — open as the document's text, scrolled to the passage, its heading path
above it and the sentence marked. Everything from the document is escaped.
"""

from __future__ import annotations

import base64
import html
import logging
import re
from typing import TYPE_CHECKING

from assistant.core.text import split_sentences
from assistant.core.types import Passage, doc_hash_of

if TYPE_CHECKING:
    from assistant.services import Services

logger = logging.getLogger(__name__)

_CHUNK_ID = re.compile(r"^[0-9a-f]{8,64}-\d{5}$")
MAX_QUOTE = 600  # characters of a cited sentence the page sends


def open_original(services: Services, chunk_id: str, quote: str = "") -> str:
    """The viewer's HTML for one cited chunk (and the sentence the answer quotes from it)."""
    chunk_id, quote = (chunk_id or "").strip(), (quote or "")[:MAX_QUOTE]
    if not _CHUNK_ID.match(chunk_id):
        return _message("无法打开原文：引用编号无效。")
    found = services.kb.context(chunk_id, around=0)
    record = services.kb.records().get(doc_hash_of(chunk_id))
    if not found or record is None:
        return _message("无法打开原文：该文件已不在知识库中（可能已被删除或更新）。")
    passage = found[0]
    sentence = quote.strip() or _first_sentence(passage)
    original = services.kb.original_path(record.doc_hash)
    if record.extra.get("format") == "pdf" and original.is_file():
        try:
            return _pdf_view(passage, sentence, original)
        except Exception as exc:  # a file pdfium cannot render: show the text instead
            logger.warning("page view failed chunk=%s reason=%s", chunk_id, exc)
    note = ("（原件未随知识库保存：该PDF在启用原文定位之前导入，重新导入后可显示原页面。）"
            if record.extra.get("format") == "pdf" else "")
    return _text_view(services, passage, sentence, note)


def _first_sentence(passage: Passage) -> str:
    sentences = split_sentences(passage.text)
    return max(sentences[:3], key=len) if sentences else ""


def _head(passage: Passage, where: str) -> str:
    title = f"《{passage.title}》" if passage.title else passage.source
    parts = [title, *( [where] if where else []), passage.heading]
    return " · ".join(p for p in parts if p)


def _pdf_view(passage: Passage, sentence: str, original) -> str:  # noqa: ANN001
    from assistant.webui.pdfpage import load_ocr_boxes, render_citation

    view = render_citation(original, sentence, passage.page,
                           load_ocr_boxes(original.with_suffix(".ocr.json")))
    where = f"第{view.page}页（共{view.pages}页）"
    note = "" if view.found else "未能在页面上定位引文，显示该段所在页。"
    image = base64.b64encode(view.png).decode("ascii")
    return (f'<div class="pq-original" data-kind="pdf" data-page="{view.page}" '
            f'data-found="{str(view.found).lower()}">'
            f'<div class="pq-original-head">{html.escape(_head(passage, where))}</div>'
            f'<div class="pq-page-box"><img class="pq-page" alt="{html.escape(where)}" '
            f'src="data:image/png;base64,{image}">'
            f'<span id="pq-here" class="pq-here-anchor" style="top:{view.top_share:.1%}"></span>'
            f'</div>{_note(note)}</div>')


def _text_view(services: Services, passage: Passage, sentence: str, note: str) -> str:
    passages = services.kb.document_passages(passage.doc_hash) or [passage]
    parts, cursor = [], 0
    for other in passages:
        text = _unseen(other, cursor)
        cursor = max(cursor, other.end)
        if other.chunk_id == passage.chunk_id:
            parts.append(f'<div id="pq-here" class="pq-here"><div class="pq-here-path">'
                         f'{html.escape(passage.heading or "（无章节标题）")}</div>'
                         f"{_marked(text, sentence)}</div>")
        elif text.strip():
            parts.append(f'<div class="pq-para">{_lines(text)}</div>')
    return (f'<div class="pq-original" data-kind="text">'
            f'<div class="pq-original-head">{html.escape(_head(passage, ""))}</div>'
            f'{_note(note)}<div class="pq-doc">{"".join(parts)}</div></div>')


def _unseen(passage: Passage, cursor: int) -> str:
    """A chunk's text without the part the previous chunk already showed (chunk overlap)."""
    if passage.start < cursor and passage.end - passage.start == len(passage.text):
        return passage.text[cursor - passage.start:]
    return passage.text


def _marked(text: str, sentence: str) -> str:
    at = text.find(sentence) if sentence else -1
    if at < 0:
        return _lines(text)
    end = at + len(sentence)
    return f"{_lines(text[:at])}<mark>{_lines(sentence)}</mark>{_lines(text[end:])}"


def _lines(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _note(text: str) -> str:
    return f'<div class="pq-note">{html.escape(text)}</div>' if text else ""


def _message(text: str) -> str:
    return f'<div class="pq-original pq-empty">{html.escape(text)}</div>'
