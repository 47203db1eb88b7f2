"""A colleague logs in through the page's own login form and works in one knowledge base."""

import pytest

from tests.ui.test_ui_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at "
                       "/usr/bin/chromium (apt-get install -y chromium fonts-wqy-microhei)"),
]
PASSWORD = "editor-pass-2"


def test_login_then_switch_knowledge_base(fresh_services, port: int):
    from playwright.sync_api import sync_playwright

    import ui

    fresh_services.kb_registry.create("应急")
    fresh_services.users.add("编辑", "editor", ["default", "应急"], PASSWORD)
    app, url = ui.start(fresh_services, server_port=port)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page.goto(url)
            page.locator("input[type=password]").wait_for(state="visible", timeout=10_000)
            page.locator("input[type=text]").fill("编辑")
            page.locator("input[type=password]").fill(PASSWORD)
            page.locator("input[type=password]").press("Enter")
            page.locator("#pq-question textarea").wait_for(state="visible", timeout=15_000)
            page.wait_for_function("document.querySelector('#pq-user').innerText"
                                   ".includes('编辑（编辑：default、应急）')")
            tabs = [t.inner_text() for t in page.get_by_role("tab").all()]
            assert "知识库" in tabs and "管理" not in tabs  # not an admin

            page.get_by_role("tab", name="知识库").click()
            documents = page.locator("#pq-documents")
            page.wait_for_function("document.querySelector('#pq-documents').innerText"
                                   ".includes('森林防火')")
            page.locator("#pq-kb input").click()
            page.get_by_role("option", name="应急").click()
            page.wait_for_function("!document.querySelector('#pq-documents').innerText"
                                   ".includes('森林防火')", timeout=10_000)
            assert "森林防火" not in documents.inner_text()
            browser.close()
    finally:
        app.close()
