"""A real Services on a tmp store (hash embedder), two small fictional documents, a live app."""

import socket
from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.services import Services

SPEECH_NAME = "在全市重大项目建设推进会上的讲话.txt"
SPEECH = """在全市重大项目建设推进会上的讲话
（2024年9月12日）

同志们：
今天召开这次会议，主要任务是总结前一阶段全市重大项目建设工作，部署下一阶段重点任务。

一、充分肯定前一阶段取得的成绩
今年以来，全市上下坚持把项目建设作为稳增长的主抓手。1至8月，全市新签约项目38个，总投资126亿元。
重大项目开工率达到85%，比去年同期提高12个百分点。

二、清醒认识当前存在的问题
一些地方项目储备不足，前期工作深度不够，要素保障还有短板。
个别项目推进缓慢，存在“签而不建、建而不快”的现象。

三、扎实做好下一阶段重点工作
（一）抓好项目谋划储备。各县（市）要在10月底前完成项目谋划，建立滚动项目储备库。
储备项目总投资不低于200亿元，其中产业项目占比不低于60%。
（二）加快项目开工建设。对已签约项目实行挂图作战，确保年底前开工率达到95%以上。
（三）强化要素保障。市自然资源局要优先保障重大项目用地，市财政局要统筹安排专项债券资金。

四、压实工作责任
各级领导干部要靠前指挥，实行“一个项目、一名领导、一套班子、一抓到底”的工作机制。
市委督查室要每月通报项目进展情况，对工作不力的单位进行约谈。
"""

NOTICE_NAME = "关于做好秋冬季森林防火工作的通知.md"
NOTICE = """# 关于做好秋冬季森林防火工作的通知

各县（市）人民政府，市直有关单位：

## 一、明确防火期

全市森林防火期为2024年11月1日至2025年4月30日。防火期内严禁野外用火。

## 二、落实防控责任

各县（市）要在11月15日前完成林区巡护队伍组建，每个重点林区配备专职护林员不少于5名。
市应急管理局负责统筹协调全市森林火灾应急处置工作。

## 三、加强宣传教育

要通过广播、短信、宣传车等多种形式，开展森林防火宣传进村入户活动。
"""


PDF_NAME = "关于加强城市排水防涝工作的实施方案.pdf"
PDF_SENTENCE = "各区要在7月15日前完成易涝点改造，并将整改台账报市水务局备案。"
PDF_SENTENCE_PAGE = 3


def make_pdf(path: Path, pages: int = 5, sentence_page: int = PDF_SENTENCE_PAGE) -> Path:
    """A text PDF (reportlab's built-in CID font, a real text layer) of `pages` pages; the
    sentence PDF_SENTENCE stands on page `sentence_page`, split over two printed lines."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(path))
    pdf.setFont("STSong-Light", 16)
    pdf.drawString(72, 790, "关于加强城市排水防涝工作的实施方案")
    for page in range(1, pages + 1):
        pdf.setFont("STSong-Light", 12)
        y = 750
        pdf.drawString(72, y, f"第{page}部分　重点任务")
        for item in range(1, 9):
            y -= 40
            if page == sentence_page and item == 4:
                pdf.drawString(72, y, PDF_SENTENCE[:21])  # a full line: clean-up rejoins it
                pdf.drawString(72, y - 18, PDF_SENTENCE[21:])
                continue
            pdf.drawString(72, y, f"（{item}）第{page}部分第{item}项：疏通雨水管网第{item}段，")
            pdf.drawString(72, y - 18, f"清理检查井{page * 10 + item}座，保持排水通畅。")
        pdf.showPage()
    pdf.save()
    return path


def write_corpus(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    speech = folder / SPEECH_NAME
    speech.write_text(SPEECH, encoding="utf-8")
    notice = folder / NOTICE_NAME
    notice.write_text(NOTICE, encoding="utf-8")
    return [speech, notice]


def make_services(root: Path) -> Services:
    settings = Settings(store={"path": root / "kb"}, embedding={"mode": "hash"})
    services = Services(settings)
    report = services.ingest(write_corpus(root / "docs"))
    assert report.count("ingested") == 2, report.summary()
    return services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fresh_services(tmp_path: Path) -> Services:
    """A store of its own for a test that changes it or times a cold start."""
    return make_services(tmp_path)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    return make_services(tmp_path_factory.mktemp("ui"))


@pytest.fixture(scope="module")
def live_app(services: Services):
    """The app served on a free local port: (services, url)."""
    import ui

    app, url = ui.start(services, server_port=free_port())
    yield services, url
    app.close()
