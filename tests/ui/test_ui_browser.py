"""A person's walk through the page in headless Chromium on a 1366×768 laptop screen."""

import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
QUESTION = "各县（市）要在什么时候前完成项目谋划？"
DOCX_TITLE = "关于加强城市社区养老服务的实施意见"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at "
                       "/usr/bin/chromium (apt-get install -y chromium fonts-wqy-microhei)"),
]


def make_docx(path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.add_heading(DOCX_TITLE, level=1)
    doc.add_paragraph("一、总体要求")
    doc.add_paragraph("到2025年底，全市每个街道至少建成1个综合养老服务中心。")
    doc.add_paragraph("二、重点任务")
    doc.add_paragraph("（一）完善社区养老服务设施。新建住宅小区要按每百户不低于20平方米配建养老服务用房。")
    doc.save(str(path))
    return path


@pytest.fixture
def page_on_app(fresh_services, port: int):
    """(page, url, timings, problems, services) with the app started after the browser is up."""
    from playwright.sync_api import sync_playwright

    import ui

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
        app, url = ui.start(fresh_services, server_port=port)
        ready = time.perf_counter()
        page.on("request", lambda r: _outside(r.url, url) and problems.append(f"fetch: {r.url}"))
        try:
            yield page, url, {"ready": ready}, problems, fresh_services
        finally:
            browser.close()
            app.close()


def _outside(request_url: str, app_url: str) -> bool:
    return not request_url.startswith((app_url, "data:", "blob:"))


def test_ask_read_sources_upload_docx(page_on_app, tmp_path: Path):
    page, url, timings, problems, _ = page_on_app
    page.goto(url, wait_until="commit")
    box = page.locator("#pq-question textarea")
    box.wait_for(state="visible", timeout=10_000)
    first_paint = time.perf_counter() - timings["ready"]

    box.fill(QUESTION)
    sent = time.perf_counter()
    box.press("Enter")
    mark = page.locator("#pq-sources .pq-card mark").first
    mark.wait_for(state="visible", timeout=10_000)
    sources_after = time.perf_counter() - sent
    reply = page.locator("#pq-chat .message.bot, #pq-chat [data-testid='bot']").last
    page.wait_for_function("document.querySelector('#pq-chat').innerText.includes('来源')")
    assert "[1]" in reply.inner_text() and "10月底前完成项目谋划" in reply.inner_text()
    marked = page.locator("#pq-sources .pq-card mark").all_inner_texts()
    assert any("10月底前完成项目谋划" in m for m in marked), marked
    card = page.locator("#pq-sources .pq-card").first
    assert "在全市重大项目建设推进会上的讲话" in card.inner_text()
    card.locator("summary").click()  # a source opens onto its surrounding text
    card.locator(".pq-ctx").first.wait_for(state="visible")

    shot = tmp_path / "chat.png"
    page.screenshot(path=str(shot))

    page.get_by_role("tab", name="知识库").click()
    page.locator("#pq-upload input[type=file]").set_input_files(
        str(make_docx(tmp_path / f"{DOCX_TITLE}.docx")))
    page.get_by_role("button", name="导入知识库").click()
    page.wait_for_function(f"document.querySelector('#pq-documents').innerText"
                           f".includes('{DOCX_TITLE}')", timeout=20_000)
    assert "意见" in page.locator("#pq-documents").inner_text()
    page.screenshot(path=str(tmp_path / "kb.png"))

    print(f"\nfirst paint after ready: {first_paint:.2f} s; "
          f"sources filled after send: {sources_after:.2f} s")
    assert problems == []  # timings are printed for the record, not asserted (machine noise)


def test_a_pdf_citation_opens_on_its_highlighted_page(page_on_app, tmp_path: Path):
    from tests.ui.conftest import PDF_NAME, PDF_SENTENCE_PAGE, make_pdf
    from tests.ui.test_original import highlighted_rows

    page, url, timings, problems, services = page_on_app
    services.ingest([make_pdf(tmp_path / PDF_NAME)])
    page.goto(url, wait_until="commit")
    box = page.locator("#pq-question textarea")
    box.wait_for(state="visible", timeout=10_000)
    box.fill("各区要在什么时候前完成易涝点改造？")
    box.press("Enter")
    link = page.locator("#pq-sources .pq-card", has_text="排水防涝").locator(".pq-open").first
    link.wait_for(state="visible", timeout=10_000)

    clicked = time.perf_counter()
    link.click()
    image = page.locator("#pq-original-view img.pq-page")
    image.wait_for(state="visible", timeout=10_000)
    page.wait_for_function("document.querySelector('#pq-original-view img.pq-page').complete")
    shown_after = time.perf_counter() - clicked
    head = page.locator("#pq-original-view .pq-original-head").inner_text()
    assert f"第{PDF_SENTENCE_PAGE}页（共5页）" in head
    viewer = page.locator("#pq-original-view .pq-original")
    assert viewer.get_attribute("data-found") == "true"

    import base64
    import io

    from PIL import Image

    src = image.get_attribute("src")
    png = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB")
    assert highlighted_rows(png), "the cited sentence is not highlighted on the page"
    page.screenshot(path=str(tmp_path / "original.png"))
    print(f"\npage image shown {shown_after:.2f} s after the click")
    assert problems == []
