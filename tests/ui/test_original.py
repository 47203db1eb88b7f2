"""原文定位: a stored PDF keeps its original, a citation opens on its page with the sentence
highlighted (text layer or OCR boxes), a text document opens at the passage; the source card's
查看原文 link carries what the viewer needs."""

import base64
import io
import re

import pytest
from PIL import Image

from assistant.core.settings import Settings
from assistant.core.types import Citation
from assistant.services import Services
from assistant.webui.original import open_original
from assistant.webui.pdfpage import HIGHLIGHT, render_citation
from assistant.webui.render import source_card
from tests.ui.conftest import (
    NOTICE_NAME,
    PDF_NAME,
    PDF_SENTENCE,
    PDF_SENTENCE_PAGE,
    make_pdf,
)


@pytest.fixture
def pdf_services(tmp_path):
    services = Services(Settings(store={"path": tmp_path / "kb"}, embedding={"mode": "hash"}))
    path = make_pdf(tmp_path / PDF_NAME)
    assert services.ingest([path]).count("ingested") == 1
    services.pdf_path = path  # type: ignore[attr-defined]
    return services


def cited_chunk(services: Services, sentence: str = PDF_SENTENCE):
    (record,) = services.kb.records().values()
    return next(p for p in services.kb.document_passages(record.doc_hash)
                if "".join(sentence.split()) in "".join(p.text.split()))


def page_image(view_html: str) -> Image.Image:
    data = re.search(r'src="data:image/png;base64,([^"]+)"', view_html).group(1)
    return Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")


def highlighted_rows(image: Image.Image) -> list[int]:
    """Rows of the image with a run of highlight-coloured pixels (amber over white)."""
    r, g, b = (255 + (c - 255) * HIGHLIGHT[3] // 255 for c in HIGHLIGHT[:3])
    width, height = image.size
    pixels = image.load()
    rows = []
    for y in range(0, height, 2):
        hits = sum(1 for x in range(0, width, 3)
                   if abs(pixels[x, y][0] - r) < 12 and abs(pixels[x, y][1] - g) < 12
                   and abs(pixels[x, y][2] - b) < 12)
        if hits > 20:
            rows.append(y)
    return rows


def test_a_stored_pdf_keeps_its_original_until_the_document_goes(pdf_services):
    (record,) = pdf_services.kb.records().values()
    original = pdf_services.kb.original_path(record.doc_hash)
    assert original.is_file() and original.read_bytes() == pdf_services.pdf_path.read_bytes()
    pdf_services.pdf_path.unlink()  # the source may move or go: the copy still renders
    view = open_original(pdf_services, cited_chunk(pdf_services).chunk_id, PDF_SENTENCE)
    assert 'data-found="true"' in view
    assert pdf_services.delete(str(pdf_services.pdf_path))
    assert not original.exists()


def test_a_pdf_citation_opens_on_its_page_with_the_sentence_highlighted(pdf_services):
    chunk = cited_chunk(pdf_services)
    view = open_original(pdf_services, chunk.chunk_id, PDF_SENTENCE)
    assert f'data-page="{PDF_SENTENCE_PAGE}"' in view and 'data-found="true"' in view
    assert f"第{PDF_SENTENCE_PAGE}页（共5页）" in view
    assert "关于加强城市排水防涝工作的实施方案" in view
    rows = highlighted_rows(page_image(view))
    assert rows, "no highlight on the page"
    # the sentence is the 4th item, printed on two lines 18 pt apart: the highlight covers both
    # (one line is ~15 pt high, three would be ~50), and nothing else on the page
    assert 24 < (rows[-1] - rows[0]) / 1.5 < 44
    top = rows[0] / page_image(view).size[1]
    assert 0.3 < top < 0.6  # the 4th of 8 items on the page (its white margins cropped)

    other = open_original(pdf_services, chunk.chunk_id, "不在这一页上的一句话，无从定位。")
    assert 'data-found="false"' in other and not highlighted_rows(page_image(other))


def test_a_scanned_page_is_highlighted_from_its_ocr_boxes(tmp_path):
    scan = tmp_path / "扫描件.pdf"
    Image.new("RGB", (1190, 1684), "white").save(scan, resolution=144)  # no text layer
    boxes = [[[72, 100, 300, 116, "第一部分　总体要求"],
              [72, 140, 400, 156, "各乡镇要在汛前完成堤防巡查，"],
              [72, 160, 330, 176, "并落实巡查责任人。"]]]
    view = render_citation(scan, "各乡镇要在汛前完成堤防巡查，并落实巡查责任人。", 1, boxes)
    assert view.found and view.page == 1
    rows = highlighted_rows(Image.open(io.BytesIO(view.png)).convert("RGB"))
    assert rows and 24 < (rows[-1] - rows[0]) / 1.5 < 44  # the two boxes' lines, not the title


def test_a_text_document_opens_at_the_passage_with_its_heading_path(services):
    (record,) = [r for r in services.kb.records().values()
                 if r.sources[0].endswith(NOTICE_NAME)]
    passage = next(p for p in services.kb.document_passages(record.doc_hash)
                   if "巡护队伍组建" in p.text)
    sentence = next(s for s in passage.text.split("\n") if "巡护队伍组建" in s)
    view = open_original(services, passage.chunk_id, sentence)
    assert 'data-kind="text"' in view and 'id="pq-here"' in view
    assert "二、落实防控责任" in view and f"<mark>{sentence}</mark>" in view
    assert "全市森林防火期为2024年11月1日" in view  # the rest of the document is there too


def test_bad_citations_are_refused_with_a_message(services):
    assert "引用编号无效" in open_original(services, "../../etc/passwd", "")
    assert "已不在知识库中" in open_original(services, "0" * 32 + "-00000", "")


def test_the_source_card_links_to_the_original(pdf_services):
    chunk = cited_chunk(pdf_services)
    card = source_card(Citation(1, chunk, 1), f"各区要……{PDF_SENTENCE}[1]", [])
    link = re.search(r'<span [^>]*class="pq-open"[^>]*>([^<]+)</span>', card)
    assert link and link.group(1) == "查看原文"
    assert f'data-pq-open="{chunk.chunk_id}"' in link.group(0)
    assert PDF_SENTENCE in link.group(0)


def test_a_document_text_cannot_inject_markup(tmp_path):
    services = Services(Settings(store={"path": tmp_path / "kb"}, embedding={"mode": "hash"}))
    path = tmp_path / "通知.txt"
    path.write_text("关于活动安排的通知\n各单位要按时参加。<script>alert(1)</script>\n", "utf-8")
    services.ingest([path])
    (record,) = services.kb.records().values()
    chunk = services.kb.document_passages(record.doc_hash)[0]
    view = open_original(services, chunk.chunk_id, "<img src=x onerror=alert(1)>")
    assert "<script>" not in view and "&lt;script&gt;" in view and "<img src=x" not in view


def test_a_copy_left_by_a_crash_is_purged_at_the_next_write(pdf_services, tmp_path):
    stray = pdf_services.kb.original_path("f" * 32)
    stray.write_bytes(b"%PDF-1.4 half written")
    note = tmp_path / "通知.txt"
    note.write_text("关于活动安排的通知\n各单位要按时参加。\n", "utf-8")
    pdf_services.ingest([note])
    assert not stray.exists()
    (record,) = [r for r in pdf_services.kb.records().values() if r.title.startswith("关于加强")]
    assert pdf_services.kb.original_path(record.doc_hash).is_file()
