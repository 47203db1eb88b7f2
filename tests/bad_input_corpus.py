"""The bad-input corpus (issue 6): every kind of file a cadre may hand us, built on the spot
with reportlab, Pillow, python-docx and raw bytes. Used by tests/reliability/test_bad_inputs.py
and bench/bad_inputs.py, so the table in the notes is what the test checks.
"""

from __future__ import annotations

import io
import os
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CID_FONT = "STSong-Light"  # reportlab's built-in Adobe CID font: text layer without embedding
MB = 1_000_000


@dataclass(frozen=True)
class Case:
    name: str  # what kind of bad input (a row of the table)
    file: str  # its path inside the corpus folder
    build: Callable[[Path], None]  # writes the file at the path it is given
    outcome: str  # ingested | linked | skipped | ocr (ingested with the ocr extra, else skipped)
    expect: str  # ingested/linked/ocr: a phrase search must find; skipped: a reason regex
    needs: str = ""  # "cjk-font" | "non-root": the case is left out where that is missing
    named: bool = False  # passed to ingest by name, next to the folder (paths outside it)


def notice(topic: str, phrase: str) -> str:
    return (f"关于{topic}的通知\n各乡镇人民政府，县直各部门：\n"
            f"一、{phrase}。\n二、各单位要加强组织领导，确保各项任务落实到位。\n")


def write_text(text: str, encoding: str) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(text.encode(encoding))


def write_bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


# --- text files ---------------------------------------------------------------------------


WORDS = ("经济 发展 改革 创新 服务 企业 项目 建设 管理 制度 推进 落实 加强 完善 提升 "
         "保障 农村 城市 人才 资金 土地 政策 市场 产业 数字 科技 教育 医疗 就业 安全").split()


def unpunctuated_text(chars: int, seed: int = 13) -> str:
    """`chars` characters of policy words with no punctuation and no line break, in an order
    that varies (so no two chunks are equal): the reported 240,000-character upload."""
    rng = random.Random(seed)
    words: list[str] = []
    size = 0
    while size < chars:
        words.append(rng.choice(WORDS))
        size += len(words[-1])
    return "".join(words)[:chars]


def big_text(megabytes: int) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        block = ("各地要严格执行耕地保护制度。" * 20_000).encode()  # ~0.8 MB of UTF-8
        with open(path, "wb") as handle:
            for _ in range(megabytes * MB // len(block) + 1):
                handle.write(block)

    return build


def unreadable() -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.write_text(notice("权限测试", "本文件不可读取"), encoding="utf-8")
        path.chmod(0)

    return build


def symlink_loop() -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.parent.mkdir(exist_ok=True)
        os.symlink(path.parent.parent, path)  # a sub-folder's link back at the corpus folder

    return build


# --- PDF ----------------------------------------------------------------------------------


def _cid_canvas(target: Path | io.BytesIO, **options: object):  # noqa: ANN202
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    pdf = canvas.Canvas(target if isinstance(target, io.BytesIO) else str(target), **options)
    pdf.setFont(CID_FONT, 12)
    return pdf


def text_pdf(text: str, password: str | None = None) -> Callable[[Path], None]:
    """A PDF with a text layer; `password` encrypts it ("" = opens without asking)."""

    def build(path: Path) -> None:
        from reportlab.lib.pdfencrypt import StandardEncryption

        options = {}
        if password is not None:
            options["encrypt"] = StandardEncryption(password, ownerPassword="owner")
        pdf = _cid_canvas(path, **options)
        for row, line in enumerate(text.splitlines()):
            pdf.drawString(60, 780 - 20 * row, line)
        pdf.showPage()
        pdf.save()

    return build


def truncated_pdf(text: str) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        buffer = io.BytesIO()
        pdf = _cid_canvas(buffer)
        pdf.drawString(60, 780, text)
        pdf.showPage()
        pdf.save()
        data = buffer.getvalue()
        path.write_bytes(data[: len(data) * 6 // 10])  # a download cut short

    return build


def text_image(lines: list[str]):  # noqa: ANN201 - a PIL image
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(CJK_FONT), 44)
    # at least 1,120 px tall: RapidOCR scales a page up until its short side is 736 px at
    # render scale 2, and a thin strip scaled up that way costs 5x the OCR time
    image = Image.new("RGB", (1500, max(1120, 110 + 70 * len(lines))), "white")
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((60, 50 + 70 * row), line, fill="black", font=font)
    return image


def scanned_pdf(text: str, hidden_layer: str = "") -> Callable[[Path], None]:
    """A page that is a picture of `text`; with `hidden_layer`, an invisible text layer of
    that (garbage) text over it, as a PDF with a broken font map has."""

    def build(path: Path) -> None:
        from reportlab.lib.utils import ImageReader

        image = text_image(text.splitlines())
        width, height = image.width / 3, image.height / 3  # 216 dpi, like a scanner
        pdf = _cid_canvas(path, pagesize=(width, height))
        pdf.drawImage(ImageReader(image), 0, 0, width, height)
        if hidden_layer:
            layer = pdf.beginText(20, height - 30)
            layer.setTextRenderMode(3)  # invisible
            layer.setFont("Helvetica", 10)
            layer.textLines(hidden_layer)
            pdf.drawText(layer)
        pdf.showPage()
        pdf.save()

    return build


# --- docx ---------------------------------------------------------------------------------


def _docx_bytes(build: Callable[[object], None]) -> bytes:
    import docx

    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def tables_only_docx(rows: list[tuple[str, str]]) -> Callable[[Path], None]:
    def fill(document) -> None:  # noqa: ANN001
        table = document.add_table(rows=len(rows), cols=2)
        for row, values in zip(table.rows, rows, strict=True):
            row.cells[0].text, row.cells[1].text = values

    return write_bytes(_docx_bytes(fill))


def zip_bomb_docx(megabytes: int = 40) -> Callable[[Path], None]:
    """A real .docx plus a member of zeros that deflates ~1000:1."""

    def build(path: Path) -> None:
        inner = _docx_bytes(lambda doc: doc.add_paragraph("压缩炸弹"))  # type: ignore[attr-defined]
        with zipfile.ZipFile(io.BytesIO(inner)) as source, \
                zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
            for info in source.infolist():
                bomb.writestr(info, source.read(info))
            with bomb.open("word/media/image1.png", "w") as member:
                for _ in range(megabytes):
                    member.write(bytes(MB))

    return build


# --- the corpus ---------------------------------------------------------------------------

LONG_LINE = "各地区各部门要结合实际认真贯彻落实" * 300  # 5,100 characters, not a stop in sight
DUPLICATE = notice("重复文件测试", "同一份文件以两个名字保存只存储一次")
MOJIBAKE = "¹ØÓÚ¿ªÕ¹Å©´åÈË¾Ó»·¾³Õû ÖÎµÄÍ¨Öª ¸÷ÏçÕòÈËÃñÕþ¸®"  # GBK bytes read as Latin-1
SCAN = "关于开展秸秆禁烧工作的通知\n各乡镇要落实秸秆禁烧网格化监管责任"
GARBLED = "关于加强农村饮水安全的通知\n各乡镇要落实农村饮水工程管护责任"

OLE = b"\xd0\xcf\x11\xe0" + bytes(60)  # the header of an old Office file

CASES: list[Case] = [
    Case("UTF-8 text (baseline)", "通知-utf8.txt",
         write_text(notice("春耕生产", "做好春耕备耕物资储备"), "utf-8"),
         "ingested", "春耕备耕物资储备"),
    Case("GBK text", "通知-gbk.txt",
         write_text(notice("防汛抗旱", "汛期实行二十四小时值班制度"), "gbk"),
         "ingested", "二十四小时值班制度"),
    Case("GB18030 text (characters outside GBK)", "名单-gb18030.txt",
         write_text(notice("表彰先进", "王䶮同志获评优秀驻村第一书记"), "gb18030"),
         "ingested", "王䶮同志获评优秀驻村第一书记"),
    Case("UTF-16 text (with BOM)", "通知-utf16.txt",
         write_text(notice("森林防火", "进山路口设立防火检查站"), "utf-16"),
         "ingested", "进山路口设立防火检查站"),
    Case("UTF-16LE text (no BOM)", "通知-utf16le.txt",
         write_text(notice("安全生产", "开展燃气安全隐患排查"), "utf-16-le"),
         "ingested", "开展燃气安全隐患排查"),
    Case("Big5 text (mixed encodings in one folder)", "通知-big5.txt",
         write_text("關於校園安全的通知\n各鄉鎮人民政府：\n一、學校門口設置護學崗。\n", "big5"),
         "ingested", "學校門口設置護學崗"),
    Case("zero-byte file", "空文件.txt", write_bytes(b""), "skipped", "empty file"),
    Case("whitespace-only file", "空白.txt", write_bytes(" \n\t\r\n\u3000\n".encode()),
         "skipped", "no text in file"),
    Case("binary data named .txt", "图片.txt", write_bytes(bytes(range(256)) * 64),
         "skipped", "binary file"),
    Case("50 MB text file", "超大文件.txt", big_text(50), "skipped",
         r"file is 5\d\.\d MB, too large .*ingest\.max_text_mb"),
    Case("very long line, no punctuation", "无标点长行.txt",
         write_text("关于无标点文本的说明\n" + LONG_LINE, "utf-8"),
         "ingested", "结合实际认真贯彻落实"),
    Case("name with spaces, Chinese and ..", "关于..印发 通知 (2024).txt",
         write_text(notice("文件名测试", "奇怪文件名照样入库"), "utf-8"),
         "ingested", "奇怪文件名照样入库"),
    Case("same content, first name", "重复-一.txt", write_text(DUPLICATE, "utf-8"),
         "ingested", "两个名字保存只存储一次"),
    Case("same content, second name", "重复-二.txt", write_text(DUPLICATE, "utf-8"),
         "linked", "两个名字保存只存储一次"),
    Case("unreadable file (chmod 000)", "无权限.txt", unreadable(), "skipped",
         "cannot read file.*Permission denied", needs="non-root"),
    Case("symlink loop in a folder", "循环/回到上级", symlink_loop(), "walked", ""),
    Case("path that does not exist", "不存在/通知.txt", lambda path: None, "skipped",
         "no such file or directory", named=True),
    Case("corrupt PDF (truncated)", "截断.pdf", truncated_pdf("关于截断的通知"),
         "skipped", "not a readable PDF"),
    Case("encrypted PDF (password)", "加密.pdf",
         text_pdf(notice("保密", "机密内容不应入库"), password="secret"),
         "skipped", "encrypted PDF — remove the password"),
    Case("encrypted PDF (empty user password)", "加密-空密码.pdf",
         text_pdf(notice("耕地保护", "严禁耕地非农化"), password=""),
         "ingested", "严禁耕地非农化"),
    Case("scanned, image-only PDF", "扫描件.pdf", scanned_pdf(SCAN),
         "ocr", "秸秆禁烧网格化监管", needs="cjk-font"),
    Case("PDF text layer of garbage glyphs", "乱码.pdf",
         scanned_pdf(GARBLED, hidden_layer=MOJIBAKE), "ocr", "农村饮水工程管护",
         needs="cjk-font"),
    Case(".doc (old Word)", "旧文件.doc", write_bytes(OLE), "skipped", "请先转换为 docx/pdf"),
    Case(".wps", "文件.wps", write_bytes(OLE), "skipped", "请先转换为 docx/pdf"),
    Case(".ofd", "电子公文.ofd", write_bytes(b"PK\x03\x04" + bytes(60)),
         "skipped", "请先转换为 docx/pdf"),
    Case(".docx that is not a zip", "假文档.docx", write_bytes("这其实是纯文本".encode()),
         "skipped", r"not a zip file"),
    Case("zip-bomb .docx", "炸弹.docx", zip_bomb_docx(), "skipped", "zip bomb"),
    Case(".docx with only tables", "仅表格.docx",
         tables_only_docx([("项目", "补助标准"), ("危房改造", "每户三万五千元")]),
         "ingested", "每户三万五千元"),
]


def available(case: Case) -> str:
    """'' when the case can be built here, else why not."""
    if case.needs == "cjk-font" and not CJK_FONT.exists():
        return f"no CJK font at {CJK_FONT} to draw a scanned page (apt install fonts-wqy-microhei)"
    if case.needs == "non-root" and os.geteuid() == 0:
        return "running as root: chmod 000 does not stop root from reading the file"
    return ""


def build_corpus(folder: Path) -> list[Case]:
    """Write every case that can be built here into `folder`; return those cases."""
    folder.mkdir(parents=True, exist_ok=True)
    built = [case for case in CASES if not available(case)]
    for case in built:
        if not case.named:
            case.build(folder / case.file)
    return built


def ingest_paths(folder: Path, cases: list[Case]) -> list[Path]:
    """The folder, then the cases that are named explicitly (what a user would type)."""
    return [folder] + [folder / case.file for case in cases if case.named]
