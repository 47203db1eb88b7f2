"""Fuzzing the loaders, the clean-up, heading detection and the chunker with hypothesis.

The promise: no exception other than our own IngestError, whatever the bytes; chunk offsets
always inside the text and `chunk.text == text[start:end]`. A CI run (60 examples per test,
derandomized) takes ~25 s; a longer, random run by hand:
    POLICYQA_FUZZ_EXAMPLES=1000 .venv/bin/pytest -q tests/reliability/test_fuzz.py
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.core.errors import IngestError
from assistant.core.text import split_sentences
from ingest.chunking import ChunkSizes, chunk_text
from ingest.clean import clean_fragment, clean_pages, clean_text, page_at
from ingest.headings import HeadingStack, detect_heading
from ingest.loaders.dispatch import load_document
from ingest.loaders.text import decode_text

EXAMPLES = int(os.environ.get("POLICYQA_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="POLICYQA_FUZZ_EXAMPLES" not in
                os.environ, suppress_health_check=[HealthCheck.too_slow], database=None)

# Text that looks like a policy document: headings, item markers, punctuation, page furniture,
# odd spaces and the characters that extractors produce, so the fuzzer reaches the clean-up's
# and the chunker's branches rather than only their fast paths.
PIECES = ["第一章 总则", "第十二条", "一、", "（二）", "3.", "①", "# ", "## 标题", "附件1",
          "各乡镇人民政府：", "为贯彻落实", "。", "，", "；", "！", "？", "：", "“", "”", "《",
          "》",
          "— 3 —", "第 2 页 共 5 页", "2024年3月1日", " ", "  ", "\n", "\n\n", "\t", "\u3000",
          "\u200b", "\ufeff", "⼀", "\r\n", "abc", "123", "|", "> ", "```", "\x0c"]
policy_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)),
                       max_size=60).map("".join)
sizes = st.builds(ChunkSizes, target=st.integers(50, 500), max=st.integers(100, 800),
                  min=st.integers(0, 300), overlap=st.integers(0, 120))


def _load(suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            doc = load_document(path, max_text_chars=200_000, ocr="off")
        except IngestError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
        assert doc.page_content.strip()
        starts = doc.metadata["page_starts"]
        assert starts == sorted(starts) and all(0 <= s <= len(doc.page_content) for s in starts)


@FUZZ
@given(st.binary(max_size=4096))
def test_decode_text_returns_text_or_our_error(data: bytes) -> None:
    try:
        text = decode_text(data)
    except IngestError:
        return
    assert isinstance(text, str)


@pytest.mark.parametrize("suffix", [".txt", ".md", ".pdf", ".docx"])
@FUZZ
@given(data=st.binary(max_size=4096))
def test_load_document_on_random_bytes(suffix: str, data: bytes) -> None:
    _load(suffix, data)


def _mutate(blob: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
    data = bytearray(blob[: max(1, len(blob) - cut)])
    for position, value in edits:
        data[position % len(data)] = value
    return bytes(data)


def _small_pdf() -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pageCompression=0)
    pdf.setFont("STSong-Light", 12)
    pdf.drawString(60, 780, "关于开展安全检查的通知")
    pdf.drawString(60, 760, "一、各县（市）要在5月底前完成自查。")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _small_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("安全检查", level=1)
    document.add_paragraph("各县（市）要在5月底前完成自查。")
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[1].cells[0].text = "项目", "检查"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _mutate_xml(blob: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
    """Damage word/document.xml inside an otherwise valid zip (reaches python-docx and lxml)."""
    source = zipfile.ZipFile(io.BytesIO(blob))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = _mutate(data, edits, cut)
            target.writestr(info.filename, data)
    return buffer.getvalue()


edits = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8)


@FUZZ
@given(edits=edits, cut=st.integers(0, 400))
def test_damaged_pdfs(edits: list[tuple[int, int]], cut: int) -> None:
    _load(".pdf", _mutate(PDF, edits, cut))


@FUZZ
@given(edits=edits, cut=st.integers(0, 300), inner=st.booleans())
def test_damaged_docx(edits: list[tuple[int, int]], cut: int, inner: bool) -> None:
    blob = _mutate_xml(DOCX, edits, cut) if inner else _mutate(DOCX, edits, cut)
    _load(".docx", blob)


@FUZZ
@given(policy_text)
def test_clean_and_headings_never_crash(raw: str) -> None:
    text = clean_text(raw)
    assert clean_text(raw, join_lines=False) is not None
    assert "\n" not in clean_fragment(raw)
    stack = HeadingStack()
    for line in text.splitlines():
        heading = detect_heading(line)
        if heading is not None:
            stack.push(heading)


@FUZZ
@given(st.lists(policy_text, min_size=1, max_size=4))
def test_page_starts_point_into_the_text(pages: list[str]) -> None:
    text, starts = clean_pages(pages)
    assert list(starts) == sorted(starts) and all(0 <= s <= len(text) for s in starts)
    for offset in range(0, len(text), 7):
        assert 1 <= page_at(starts, offset) <= max(len(pages), 1)


@FUZZ
@given(raw=policy_text, sizes=sizes)
def test_chunks_are_exact_spans_of_the_text(raw: str, sizes: ChunkSizes) -> None:
    text = clean_text(raw)
    for chunk in chunk_text(text, sizes):
        assert 0 <= chunk.start <= chunk.end <= len(text)
        assert chunk.text == text[chunk.start:chunk.end] and chunk.text.strip()
    for sentence in split_sentences(text):
        assert sentence in text


@FUZZ
@given(raw=st.text(max_size=3000), sizes=sizes)
def test_chunks_of_any_unicode_text(raw: str, sizes: ChunkSizes) -> None:
    for chunk in chunk_text(raw, sizes):
        assert 0 <= chunk.start <= chunk.end <= len(raw)
        assert chunk.text == raw[chunk.start:chunk.end]


PDF = _small_pdf()
DOCX = _small_docx()
