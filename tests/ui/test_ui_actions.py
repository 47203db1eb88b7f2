"""The page's handlers in process, over a real Services: streaming, modes, escaping, files."""

import json
import re
import time
from pathlib import Path

import pytest
from bad_input_corpus import unpunctuated_text
from docx import Document

from assistant.answer.gate import REFUSAL
from assistant.core.errors import ConfigError
from assistant.core.settings import Settings
from assistant.core.types import SearchFilter
from assistant.services import Services
from assistant.webui.chat import Chat, make_filter
from assistant.webui.files import safe_name, save_uploads
from assistant.webui.library import Library
from assistant.webui.render import md_escape

QUESTION = "各县（市）要在什么时候前完成项目谋划？"
HOSTILE = """关于网络安全宣传周活动安排的通知

一、活动时间
网络安全宣传周活动于9月第三周举行，各单位要按时组织开展宣传活动。
<script>alert('x')</script>宣传材料由市委网信办统一印制[点此](javascript:alert(1))。
"""


@pytest.fixture(scope="module")
def actions(services) -> Chat:
    return Chat(services)


def run_chat(actions: Chat, question: str, form: str = "qa", turns=None,
             filters: SearchFilter = SearchFilter()):
    return list(actions.chat(question, [], turns or [], form, filters))


def test_chat_streams_sentences_and_fills_sources_with_the_first_chunk(actions):
    steps = run_chat(actions, QUESTION)
    assert len(steps) >= 2
    assert "pq-card" in steps[0].sources_html  # sources are there before the text is complete
    final = steps[-1]
    reply = final.messages[-1]["content"]
    assert "10月底前完成项目谋划" in reply and "[1]" in reply and "**来源**" in reply
    assert "<mark>" in final.sources_html and "10月底前完成项目谋划" in final.sources_html
    assert "《在全市重大项目建设推进会上的讲话》" in final.sources_html
    assert "查看上下文" in final.sources_html  # the card opens onto the neighbouring passages
    turn = final.turns[-1]
    assert turn.question == QUESTION and turn.sources[0].startswith("《在全市重大项目")


def test_outline_and_draft_are_built_from_the_document_and_cited(actions):
    for form, marker in (("outline", "学习提纲"), ("draft", "三、重点任务")):
        final = run_chat(actions, "项目谋划 项目开工建设 要素保障", form)[-1]
        reply = final.messages[-1]["content"]
        assert marker in reply and "[1]" in reply
        assert "pq-card" in final.sources_html and not final.turns[-1].refused


def test_chat_respects_the_type_filter(actions):
    only_notices = make_filter([], "通知")
    final = run_chat(actions, QUESTION, filters=only_notices)[-1]
    assert "10月底前完成项目谋划" not in final.messages[-1]["content"]
    assert "讲话" not in final.sources_html


def test_a_backend_that_streams_is_streamed(services):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    top = services.search(QUESTION, k=5)[0]
    sentence = next(s for s in top.text.split("。") if "10月底前" in s)
    streaming = Services(services.settings.model_copy(update={
        "llm": services.settings.llm.model_copy(update={"mode": "openai"})}),
        embeddings=services.embeddings)
    streaming.use_chat_model("openai", FakeListChatModel(responses=[f"{sentence}。[1]"]))
    chat = Chat(streaming)
    steps = list(chat.chat(QUESTION, [], [], "qa", SearchFilter()))
    shown = [s.messages[-1]["content"] for s in steps]
    assert len(shown[0]) < len(shown[1]) < len(shown[-1])
    assert "10月底前" in shown[-1] and "[1]" in shown[-1]


def test_document_text_is_escaped_never_injected(services, actions, tmp_path: Path):
    path = tmp_path / "网络安全宣传周.txt"
    path.write_text(HOSTILE, encoding="utf-8")
    services.ingest([path])
    try:
        final = run_chat(actions, "网络安全宣传周宣传材料由哪个单位印制？")[-1]
        reply, cards = final.messages[-1]["content"], final.sources_html
        assert "市委网信办" in reply
        assert "<script" not in reply and "](javascript" not in reply  # shown as text
        assert "<script" not in cards and "href" not in cards
        assert "&lt;script&gt;" in cards and "&lt;script&gt;" in reply
    finally:
        services.delete(str(path.resolve()))
    assert REFUSAL in run_chat(actions, "网络安全宣传周宣传材料由哪个单位印制？")[-1].messages[-1][
        "content"]


def test_md_escape_keeps_citation_markers():
    escaped = md_escape("要求：**加快**推进[1]\n# 标题[2]")
    assert escaped == "要求：\\*\\*加快\\*\\*推进[1]\n\\# 标题[2]"


def test_feedback_is_appended_as_json_lines(services, actions):
    final = run_chat(actions, QUESTION)[-1]
    assert "已记录" in actions.feedback(final.turns, 1, True)
    assert actions.feedback(final.turns, 1, "") == ""  # a like taken back is not a vote
    log = Path(services.settings.store.path) / "feedback.jsonl"
    record = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    assert record["rating"] == "up" and record["question"] == QUESTION
    assert "10月底前" in record["answer"] and record["sources"][0].startswith("《")
    assert "time" in record and not {"settings", "api_key"} & set(record)


def test_export_writes_markdown_and_docx_with_sources(actions):
    final = run_chat(actions, QUESTION)[-1]
    md_path, docx_path = actions.export(final.turns)
    markdown = Path(md_path).read_text(encoding="utf-8")
    assert QUESTION in markdown and "**来源**" in markdown
    assert "- 《在全市重大项目建设推进会上的讲话》" in markdown
    text = "\n".join(p.text for p in Document(docx_path).paragraphs)
    assert QUESTION in text and "10月底前完成项目谋划" in text and "来源" in text
    assert "《在全市重大项目建设推进会上的讲话》" in text


def test_retrieval_test_shows_both_rankings(services):
    rows = Library(services).retrieval_test("项目谋划储备", 5, SearchFilter())
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    top = rows[0]
    assert top[6] == "在全市重大项目建设推进会上的讲话"
    assert isinstance(top[2], int) and isinstance(top[4], int)  # BM25 and dense ranks
    assert rows[0][1] >= rows[-1][1]


def test_upload_names_never_escape_the_uploads_folder(tmp_path: Path):
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\..\\关于《通知》.DOCX") == "关于《通知》.docx"
    assert safe_name("..") == "upload"
    big = tmp_path / "大文件.pdf"
    big.write_bytes(b"0" * 2048)
    odd = tmp_path / "脚本.exe"
    odd.write_bytes(b"MZ")
    saved = save_uploads([big, odd], tmp_path / "uploads", max_mb=0.001)
    assert saved.paths == []
    assert [name for name, _ in saved.rejected] == ["大文件.pdf", "脚本.exe"]
    assert "MB" in saved.rejected[0][1]


def test_launch_options_bind_locally_without_share_or_cdn_fonts(services):
    import ui

    options = ui.launch_options(services.settings)
    assert (options["server_name"], options["server_port"]) == ("127.0.0.1", 7860)
    assert options["share"] is False and "auth" not in options
    assert options["show_error"] is False  # internal error text never reaches a caller
    assert all("googleapis" not in s for s in options["theme"]._stylesheets)


def test_an_upload_of_too_many_files_is_refused_before_anything_is_stored(services,
                                                                          tmp_path: Path):
    from types import SimpleNamespace

    ui = services.settings.ui.model_copy(update={"max_files": 2})
    store = services.settings.store.model_copy(update={"path": tmp_path / "kb"})
    ingested: list = []
    stand_in = SimpleNamespace(settings=services.settings.model_copy(
        update={"ui": ui, "store": store}), ingest=lambda paths, progress: ingested.append(paths))
    files = []
    for i in range(3):
        files.append(tmp_path / f"通知{i}.txt")
        files[-1].write_text("关于做好防汛工作的通知", encoding="utf-8")
    (outcome,) = Library(stand_in).ingest([str(f) for f in files])
    assert "一次最多上传 2 个文件（本次 3 个）" in outcome.message and "分批" in outcome.message
    assert outcome.rows == [] and ingested == []
    assert not (tmp_path / "kb" / "uploads").exists()


def test_max_files_setting_rejects_nonsense(monkeypatch):
    from assistant.core.settings import load_settings

    monkeypatch.setenv("POLICYQA_UI__MAX_FILES", "0")
    with pytest.raises(ConfigError, match="ui.max_files"):
        load_settings()


def test_an_upload_never_writes_through_a_link_out_of_the_uploads_folder(tmp_path: Path):
    outside = tmp_path / "outside.txt"
    outside.write_text("原有内容", encoding="utf-8")
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "通知.txt").symlink_to(outside)
    upload = tmp_path / "incoming" / "通知.txt"
    upload.parent.mkdir()
    upload.write_text("上传的内容", encoding="utf-8")
    saved = save_uploads([upload], uploads)
    assert saved.paths == [] and saved.rejected[0][0] == "通知.txt"
    assert outside.read_text(encoding="utf-8") == "原有内容"


def test_an_upload_report_streams_chunk_progress_while_a_long_file_embeds(tmp_path: Path):
    from vectorstore.embeddings.hashing import HashEmbeddings

    class Slow(HashEmbeddings):
        def embed_documents(self, texts):
            time.sleep(0.02)
            return super().embed_documents(texts)

    settings = Settings(store={"path": tmp_path / "kb"}, embedding={"mode": "hash"})
    long_file = tmp_path / "无标点长文.txt"
    long_file.write_text(unpunctuated_text(240_000), encoding="utf-8")
    steps = list(Library(Services(settings, embeddings=Slow())).ingest([str(long_file)]))
    running, final = [s.message for s in steps[:-1]], steps[-1]
    chunks = final.rows[0][3]
    assert final.rows[0][:2] == ["无标点长文.txt", "已导入"] and chunks >= 200
    assert any(re.search(rf"段落 [1-9][\d,]*/{chunks:,}", m) for m in running), running
    assert any(f"无标点长文.txt：{chunks:,} 段，预计" in m for m in running)
    assert "已导入 1" in final.message
