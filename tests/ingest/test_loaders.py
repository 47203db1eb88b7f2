"""Loaders on real files built in tmp_path: encodings, PDF (reportlab), docx, folder walks."""

import os
from pathlib import Path

import docx
import pytest
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from assistant.core.errors import IngestError
from ingest.clean import page_at
from ingest.loaders.dispatch import SUPPORTED_SUFFIXES, iter_source_files, load_document

TEXT = "关于做好疫情防控工作的通知\n各区县人民政府：\n一、严格落实属地责任。\n二、加强物资保障。"
PARAGRAPH = (
    "为贯彻落实市委十一届四次全会精神，进一步发挥县域优势，激发县域活力，提升县域实力，强化县域支撑，"
    "实现城区经济与县域经济双向发力，现就加快推动县域经济发展壮大提出如下意见。"
)
BROKEN_HEAD = "各县市区要把发展县域经济摆在全局工作的突出位置，主要负责同志要亲自抓、负总责，"
BROKEN_TAIL = "确保各项任务落到实处。"
CONVERT = "请先转换为 docx/pdf"
PAGE2_SENTENCE = "市财政每年安排专项资金支持县域产业园区建设。"


def wrap(text: str, width: int = 35) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be"]
)
def test_text_files_in_common_chinese_encodings_are_read(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, "通知.txt", TEXT.encode(encoding))
    doc = load_document(path)
    assert doc.page_content == TEXT
    assert doc.metadata == {"source": str(path), "format": "txt", "page_starts": []}


def test_gb18030_only_characters_survive(tmp_path: Path) -> None:
    text = "姓名：王䶮，籍贯：𠀾村。"  # not encodable in GBK
    path = write(tmp_path, "名单.txt", text.encode("gb18030"))
    assert load_document(path).page_content == text


def test_big5_traditional_chinese_is_detected(tmp_path: Path) -> None:
    text = "關於做好疫情防控工作的通知。各區縣人民政府，市政府各委辦局：請嚴格落實屬地責任。"
    assert load_document(write(tmp_path, "繁體.txt", text.encode("big5"))).page_content == text


def test_binary_file_named_txt_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "image.txt", bytes(range(256)) * 8)
    with pytest.raises(IngestError, match="binary"):
        load_document(path)


@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t \xe3\x80\x80\n"])
def test_empty_or_blank_file_is_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(IngestError, match="empty|no text"):
        load_document(write(tmp_path, "blank.txt", data))


def test_text_file_too_large_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", TEXT.encode() * 100)
    with pytest.raises(IngestError, match="ingest.max_text_mb"):
        load_document(path, max_text_chars=100)


def test_extracted_text_above_the_limit_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "long.txt", (PARAGRAPH * 5).encode())
    with pytest.raises(IngestError, match=r"extracted text is .* MB, above the limit"):
        load_document(path, max_text_chars=len(PARAGRAPH) * 4)


def test_markdown_keeps_headings_and_drops_html_comments(tmp_path: Path) -> None:
    lines = ["# 中华人民共和国某某法", "", "<!-- INFO END -->", "", "## 第一章 总则", ""]
    lines += wrap(PARAGRAPH)
    path = write(tmp_path, "law.md", "\n".join(lines).encode())
    doc = load_document(path)
    assert doc.page_content.split("\n") == ["# 中华人民共和国某某法", "## 第一章 总则", PARAGRAPH]
    assert doc.metadata["format"] == "md"


@pytest.mark.parametrize("suffix", [".doc", ".wps", ".ofd"])
def test_formats_to_convert_first_are_refused_with_advice(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path, f"old{suffix}", b"\xd0\xcf\x11\xe0 whatever")
    with pytest.raises(IngestError, match=r"convert to \.docx or \.pdf"):
        load_document(path)


# --- PDF ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cid_font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def draw_pages(path: Path, font: str, pages: list[list[str]], **options: object) -> Path:
    pdf = canvas.Canvas(str(path), **options)  # type: ignore[arg-type]
    for number, lines in enumerate(pages, start=1):
        pdf.setFont(font, 12)
        for row, line in enumerate(lines):
            pdf.drawString(60, 780 - 20 * row, line)
        pdf.drawCentredString(300, 40, f"— {number} —")
        pdf.showPage()
    pdf.save()
    return path


def test_pdf_paragraphs_footers_and_page_breaks(tmp_path: Path, cid_font: str) -> None:
    page1 = ["关于加快推动县域经济发展壮大的实施意见", "一、总体要求", *wrap(PARAGRAPH)]
    page1 += wrap(BROKEN_HEAD)
    page2 = [BROKEN_TAIL, "二、保障措施", PAGE2_SENTENCE]
    path = draw_pages(tmp_path / "意见.pdf", cid_font, [page1, page2])

    doc = load_document(path)

    text = doc.page_content
    assert text.split("\n") == [
        "关于加快推动县域经济发展壮大的实施意见",
        "一、总体要求",
        PARAGRAPH,
        BROKEN_HEAD + BROKEN_TAIL,
        "二、保障措施",
        PAGE2_SENTENCE,
    ]
    assert "—" not in text
    starts = doc.metadata["page_starts"]
    assert doc.metadata["format"] == "pdf" and len(starts) == 2 and starts[0] == 0
    assert page_at(starts, text.index(PAGE2_SENTENCE)) == 2
    assert page_at(starts, text.index(PARAGRAPH)) == 1


def test_pdf_without_text_layer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.rect(100, 100, 300, 500, fill=1)  # a "scanned image": marks, no text
    pdf.showPage()
    pdf.save()
    with pytest.raises(IngestError, match="扫描件，无文字层，需先OCR"):
        load_document(path, ocr="off")


def test_encrypted_pdf_is_refused_but_empty_password_opens(tmp_path: Path, cid_font: str) -> None:
    locked = draw_pages(
        tmp_path / "locked.pdf", cid_font, [[PAGE2_SENTENCE]], encrypt=StandardEncryption("pw")
    )
    with pytest.raises(IngestError, match="encrypted PDF — remove the password"):
        load_document(locked)
    opens = draw_pages(
        tmp_path / "open.pdf",
        cid_font,
        [[PAGE2_SENTENCE]],
        encrypt=StandardEncryption("", ownerPassword="owner"),
    )
    assert load_document(opens).page_content == PAGE2_SENTENCE


def test_file_that_is_not_a_pdf_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "fake.pdf", "<html>不是PDF</html>".encode())
    with pytest.raises(IngestError, match="not a readable PDF"):
        load_document(path)


# --- docx -----------------------------------------------------------------------------------


def test_docx_headings_paragraphs_and_tables_in_document_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("县域经济发展实施意见", level=0)
    document.add_heading("一、补助标准", level=1)
    document.add_paragraph("各县（市）按 2020 年下表执行：")
    table = document.add_table(rows=3, cols=3)
    rows = [("项目", "标准", "备注"), ("园区建设", "50万元", ""), ("技术改造", "30 万元", "一次性")]
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    single = document.add_table(rows=1, cols=2)
    single.rows[0].cells[0].text, single.rows[0].cells[1].text = "联系人：王某", "电话：12345"
    document.add_heading("二、保障措施", level=2)
    document.add_paragraph("市财政安排专项资金。")
    path = tmp_path / "意见.docx"
    document.save(str(path))

    doc = load_document(path)

    assert doc.page_content.split("\n") == [
        "# 县域经济发展实施意见",
        "# 一、补助标准",
        "各县（市）按2020年下表执行：",
        "项目：园区建设；标准：50万元",
        "项目：技术改造；标准：30万元；备注：一次性",
        "联系人：王某；电话：12345",
        "## 二、保障措施",
        "市财政安排专项资金。",
    ]
    assert doc.metadata == {"source": str(path), "format": "docx", "page_starts": []}


def test_docx_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "report.docx", "这其实是纯文本".encode())
    with pytest.raises(IngestError, match=r"not a valid \.docx \(not a zip file\)"):
        load_document(path)


def test_zip_that_is_not_a_docx_is_refused(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(IngestError, match=r"not a valid \.docx"):
        load_document(path)


# --- folders --------------------------------------------------------------------------------


def test_iter_source_files_walks_sorted_skips_and_survives_symlink_loops(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    (root / "b" / "deep").mkdir(parents=True)
    (root / "a").mkdir()
    (root / ".git").mkdir()
    names = ["b/deep/3.pdf", "b/2.docx", "a/1.md", "0.txt", "表格.xlsx", "旧.doc", ".hidden.txt"]
    for name in names:
        (root / name).write_bytes(b"x")
    (root / ".git" / "config.txt").write_bytes(b"x")
    os.symlink(root, root / "b" / "loop")  # a folder containing itself
    missing = tmp_path / "nowhere.txt"

    found = list(iter_source_files([root, missing]))

    assert found == [
        (root / "0.txt", None),
        (root / "a" / "1.md", None),
        (root / "b" / "2.docx", None),
        (root / "b" / "deep" / "3.pdf", None),
        (root / "旧.doc", f"unsupported format .doc — convert to .docx or .pdf first / {CONVERT}"),
        (root / "表格.xlsx", "unsupported extension .xlsx / 不支持的文件类型"),
        (missing, "no such file or directory — check the path / 路径不存在"),
    ]


def test_iter_source_files_accepts_single_files(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", b"x")
    assert list(iter_source_files([path])) == [(path, None)]
    assert SUPPORTED_SUFFIXES == {".txt", ".md", ".pdf", ".docx"}


def test_a_folders_readme_is_skipped_unless_named(tmp_path):
    from ingest.loaders.dispatch import iter_source_files

    (tmp_path / "README.md").write_text("# 说明", encoding="utf-8")
    (tmp_path / "通知.txt").write_text("关于开展检查的通知", encoding="utf-8")
    walked = dict(iter_source_files([tmp_path]))
    assert walked[tmp_path / "通知.txt"] is None
    assert "README" in walked[tmp_path / "README.md"]
    assert dict(iter_source_files([tmp_path / "README.md"]))[tmp_path / "README.md"] is None


def test_without_the_ocr_extra_a_scan_is_refused_with_advice(tmp_path, monkeypatch) -> None:
    import ingest.loaders.pdf

    path = tmp_path / "scan.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.rect(100, 100, 300, 500, fill=1)
    pdf.showPage()
    pdf.save()
    monkeypatch.setattr(ingest.loaders.pdf, "_ocr_available", lambda: False)
    with pytest.raises(IngestError, match="扫描件，无文字层，需先OCR"):
        load_document(path, ocr="auto")
    monkeypatch.setattr(ingest.loaders.pdf, "_ocr_available", lambda: True)
    from ingest.loaders.ocr import OcrPage

    monkeypatch.setattr("ingest.loaders.ocr.ocr_pages",
                        lambda path, max_pages: [OcrPage(""), OcrPage("  ")])
    with pytest.raises(IngestError, match="需先OCR; OCR found no readable text either"):
        load_document(path, ocr="auto")


def test_garbage_glyphs_are_told_from_real_text() -> None:
    from ingest.loaders.pdf import GARBAGE_TEXT, NO_TEXT_LAYER, text_layer_problem

    assert text_layer_problem("¹ØÓÚ¿ªÕ¹Å©´åÈË¾Ó»·¾³ÕûÖÎµÄÍ¨Öª") == GARBAGE_TEXT
    assert text_layer_problem("\ue012\ue013\ue014政策") == GARBAGE_TEXT
    assert text_layer_problem("阿卜杜拉·买买提，气温25°C，面积3×4米，±5%。") == ""
    assert text_layer_problem(" \n ") == NO_TEXT_LAYER


def test_ocr_boxes_are_joined_in_reading_order() -> None:
    from ingest.loaders.ocr import reading_order

    boxes = [(52.0, 90.0, 400.0, "监管责任"), (10.0, 40.0, 10.0, "关于秸秆禁烧的通知"),
             (50.0, 88.0, 10.0, "各乡镇要落实"), (55.0, 86.0, 200.0, "网格化"),
             (100.0, 130.0, 10.0, "建设5G"), (101.0, 131.0, 90.0, "network")]
    assert reading_order(boxes) == ["关于秸秆禁烧的通知", "各乡镇要落实网格化监管责任",
                                    "建设5G network"]


def test_a_docx_above_the_unzipped_limit_is_refused_before_unpacking(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph(PARAGRAPH * 50)
    path = tmp_path / "大文件.docx"
    document.save(str(path))
    with pytest.raises(IngestError, match=r"unpacks to .* MB, above the limit of 0\.01 MB "
                       r"\(setting ingest\.max_docx_unzipped_mb\)"):
        load_document(path, max_unzipped_mb=0.01)
    assert PARAGRAPH in load_document(path).page_content


def test_a_zip_bomb_member_is_refused_by_its_ratio(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", bytes(12_000_000))
    with pytest.raises(IngestError, match=r"word/document\.xml is compressed .*:1 .* zip bomb"):
        load_document(path)


def test_an_unreadable_file_names_the_os_reason(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, "无权限.txt", TEXT.encode())

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(IngestError, match=r"cannot read file \(Permission denied\) — check its "
                       r"permissions"):
        load_document(path)


@pytest.mark.parametrize("data", [bytes(range(1, 32)) * 64, bytes(range(1, 256)) * 16])
def test_binary_without_nul_bytes_is_refused(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, "data.txt", data)
    with pytest.raises(IngestError, match="binary file, not text|cannot decode text"):
        load_document(path)


def test_a_damaged_docx_gets_a_one_line_reason(tmp_path: Path) -> None:
    """Found by tests/reliability/test_fuzz.py: lxml's message spans two lines."""
    import zipfile

    path = tmp_path / "坏.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<\x00Types/>")
    with pytest.raises(IngestError) as caught:
        load_document(path)
    assert str(caught.value).startswith("not a valid .docx (") and "\n" not in str(caught.value)


def blank_pages(path: Path, pages: int) -> Path:
    pdf = canvas.Canvas(str(path))
    for _ in range(pages):
        pdf.rect(100, 100, 300, 500, fill=1)  # a "scanned image": marks, no text
        pdf.showPage()
    pdf.save()
    return path


def test_a_long_scan_is_refused_before_ocr_naming_the_setting(tmp_path, monkeypatch) -> None:
    pytest.importorskip("pypdfium2")
    monkeypatch.setattr("ingest.loaders.pdf._ocr_available", lambda: True)
    path = blank_pages(tmp_path / "长扫描件.pdf", 3)
    with pytest.raises(IngestError, match=r"has 3 pages, above the OCR limit of 2 \(setting "
                       r"ingest\.ocr_max_pages\)"):
        load_document(path, ocr_max_pages=2)


def test_a_broken_ocr_install_is_a_reason_not_a_crash(tmp_path, monkeypatch) -> None:
    pytest.importorskip("pypdfium2")
    import ingest.loaders.ocr

    def broken() -> None:
        raise ImportError("libonnxruntime.so: cannot open shared object file")

    monkeypatch.setattr("ingest.loaders.pdf._ocr_available", lambda: True)
    monkeypatch.setattr(ingest.loaders.ocr, "_engine", broken)
    with pytest.raises(IngestError, match=r"OCR engine cannot start .* pip install -e '\.\[ocr\]'"):
        load_document(blank_pages(tmp_path / "scan.pdf", 1))
