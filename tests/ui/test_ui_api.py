"""The served app through gradio_client: /chat, upload → ask → delete → refusal."""

from pathlib import Path

from gradio_client import Client, handle_file

from assistant.answer.gate import REFUSAL

QUESTION = "各县（市）要在什么时候前完成项目谋划？"
UPLOAD_NAME = "关于开展农村厕所改造验收工作的通知.txt"
UPLOAD = """关于开展农村厕所改造验收工作的通知

一、验收范围
2024年度全市新建和改造的农村户用卫生厕所均纳入验收范围。

二、组织方式
全市农村厕所改造验收工作由县农业农村局牵头，乡镇人民政府配合，于12月15日前完成验收并上报结果。
"""
UPLOAD_QUESTION = "农村厕所改造验收工作由哪个部门牵头？"


def test_chat_endpoint_answers_with_markers_and_sources(live_app):
    _, url = live_app
    reply = Client(url, verbose=False).predict(QUESTION, api_name="/chat")
    answer, _, sources = reply.partition("\n\n来源：")
    assert "10月底前完成项目谋划" in answer and "[1]" in answer
    assert "[1] 《在全市重大项目建设推进会上的讲话》" in sources


def test_chat_endpoint_keeps_no_memory_between_calls(live_app):
    _, url = live_app
    client = Client(url, verbose=False)
    question = "重点林区配备专职护林员不少于多少名？"
    alone = client.predict(question, api_name="/chat")
    client.predict(QUESTION, api_name="/chat")
    again = client.predict(question, api_name="/chat")
    assert again == alone
    assert "专职护林员不少于5名" in again and "《关于做好秋冬季森林防火工作的通知》" in again


def test_upload_then_ask_then_delete_then_refusal(live_app, tmp_path: Path):
    services, url = live_app
    client = Client(url, verbose=False)
    upload = tmp_path / UPLOAD_NAME
    upload.write_text(UPLOAD, encoding="utf-8")

    report, message, _ = client.predict([handle_file(upload)], api_name="/ingest")
    assert report["data"][0][:2] == [UPLOAD_NAME, "已导入"], report
    assert "已导入 1" in message
    stored = Path(services.settings.store.path) / "uploads" / UPLOAD_NAME
    assert stored.is_file()  # the Chinese name is kept, inside <store>/uploads/

    reply = client.predict(UPLOAD_QUESTION, api_name="/chat")
    assert "县农业农村局牵头" in reply and "[1]" in reply
    assert "《关于开展农村厕所改造验收工作的通知》" in reply

    deleted = client.predict(str(stored.resolve()), api_name="/delete_document")
    assert "已删除" in deleted and not stored.exists()
    assert REFUSAL in client.predict(UPLOAD_QUESTION, api_name="/chat")


def test_same_upload_twice_is_reported_unchanged(live_app, tmp_path: Path):
    services, url = live_app
    client = Client(url, verbose=False)
    upload = tmp_path / "重复上传测试.md"
    upload.write_text("# 重复上传测试\n\n本文件用于检验重复上传时的处理结果，内容保持不变。\n",
                      encoding="utf-8")
    client.predict([handle_file(upload)], api_name="/ingest")
    report, _, _ = client.predict([handle_file(upload)], api_name="/ingest")
    assert report["data"][0][1] == "未变化"
    stored = Path(services.settings.store.path) / "uploads" / upload.name
    client.predict(str(stored.resolve()), api_name="/delete_document")


def test_only_intended_endpoints_are_documented(live_app):
    _, url = live_app
    named = Client(url, verbose=False).view_api(return_format="dict")["named_endpoints"]
    assert set(named) == {"/chat", "/ingest", "/delete_document", "/tasks", "/compare",
                          "/select_kb", "/set_meta", "/requirements", "/deadlines"}


def test_summary_and_calendar_endpoints(live_app):
    _, url = live_app
    client = Client(url, verbose=False)
    table, message, _ = client.predict("各县（市）", [], False, api_name="/requirements")
    assert "提出了" in message and any("10月底前完成项目谋划" in str(row) for row in table["data"])
    body, message, _ = client.predict("", "", [], api_name="/deadlines")
    assert "2024-10-31" in body and "项时限" in message


def test_a_cross_document_question_in_the_chat_is_answered_by_the_summary(live_app):
    _, url = live_app
    client = Client(url, verbose=False)
    reply = client.predict("各文件对各县（市）提出了哪些要求？", api_name="/chat")
    assert "10月底前完成项目谋划" in reply and "11月15日前完成林区巡护队伍组建" in reply
    assert "来源：" in reply
