"""原文定位 speed: click 查看原文 → page image shown, for a 50-page PDF, in headless Chromium.

    .venv/bin/python bench/bench_original.py [--pages 50] [--runs 5] [--shot original.png]

A fictional 50-page text PDF is written (reportlab, as tests/ui/conftest.py makes it) with the
cited sentence on page 37, ingested into a fresh store (hash embedder) and served; each run asks
the question, clicks the card's 查看原文 and waits until the page image has loaded. The table
has the browser time (click → image complete) and the server-side render time alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.settings import Settings  # noqa: E402
from assistant.services import Services  # noqa: E402
from assistant.webui.original import open_original  # noqa: E402
from tests.ui.conftest import PDF_NAME, PDF_SENTENCE, free_port, make_pdf  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
QUESTION = "各区要在什么时候前完成易涝点改造？"


def server_side(services: Services, runs: int) -> list[float]:
    (record,) = services.kb.records().values()
    chunk = next(p for p in services.kb.document_passages(record.doc_hash)
                 if "".join(PDF_SENTENCE.split()) in "".join(p.text.split()))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        view = open_original(services, chunk.chunk_id, PDF_SENTENCE)
        times.append(time.perf_counter() - start)
        assert 'data-found="true"' in view
    return times


def in_browser(services: Services, runs: int, shot: Path | None) -> list[float]:
    from playwright.sync_api import sync_playwright

    import ui

    app, url = ui.start(services, server_port=free_port())
    times = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            for _ in range(runs):
                page.goto(url)
                box = page.locator("#pq-question textarea")
                box.fill(QUESTION)
                box.press("Enter")
                link = page.locator("#pq-sources .pq-open").first
                link.wait_for(state="visible", timeout=20_000)
                start = time.perf_counter()
                link.click()
                page.wait_for_function("(() => { const i = document.querySelector("
                                       "'#pq-original-view img.pq-page'); "
                                       "return i && i.complete && i.naturalWidth > 0; })()")
                times.append(time.perf_counter() - start)
            if shot:
                page.screenshot(path=str(shot))
            browser.close()
    finally:
        app.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shot", type=Path)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="policyqa-original-"))
    services = Services(Settings(store={"path": folder / "kb"}, embedding={"mode": "hash"}))
    pdf = make_pdf(folder / PDF_NAME, pages=args.pages, sentence_page=min(37, args.pages))
    services.ingest([pdf])
    render = server_side(services, args.runs)
    browser = in_browser(services, args.runs, args.shot)
    print("| PDF | runs | server render median (max) | click → image shown median (max) |")
    print("|---|---|---|---|")
    print(f"| {args.pages} pages, cited page {min(37, args.pages)} | {args.runs} | "
          f"{statistics.median(render):.2f} s ({max(render):.2f}) | "
          f"{statistics.median(browser):.2f} s ({max(browser):.2f}) |")


if __name__ == "__main__":
    main()
