"""Users, roles and knowledge bases on the served page, through a real Gradio server and the
real gradio_client: every endpoint checks the session's user on the server side."""

import json
import logging
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from assistant.answer.gate import REFUSAL
from assistant.core.settings import Settings
from assistant.services import Services
from tests.ui.conftest import SPEECH_NAME, free_port, write_corpus

PASSWORD = {"读者": "reader-pass-1", "编辑": "editor-pass-2", "管理员": "admin-pass-3"}
FLOOD_NAME = "关于做好汛期地质灾害防范工作的通知.txt"
FLOOD = """关于做好汛期地质灾害防范工作的通知

一、压实防范责任
各乡镇要在5月31日前完成地质灾害隐患点排查，自然资源部门负责牵头。

二、强化监测预警
每个隐患点要落实不少于2名群测群防员，汛期实行24小时值班。
"""
FLOOD_QUESTION = "每个隐患点要落实多少名群测群防员？"
SPEECH_QUESTION = "各县（市）要在什么时候前完成项目谋划？"
NEW_NAME = "关于开展农村厕所改造验收工作的通知.txt"
NEW = "关于开展农村厕所改造验收工作的通知\n\n验收工作由县农业农村局牵头，于12月15日前完成。\n"


class Clock:
    now = 2_000_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """default: the two conftest documents; 应急: the flood notice. 读者 reads default,
    编辑 edits 应急, 管理员 administers everything. Lockout: 5 failures → 300 s."""
    root = tmp_path_factory.mktemp("access")
    settings = Settings(store={"path": root / "kb"}, embedding={"mode": "hash"},
                        access={"max_failures": 5, "lockout_seconds": 300})
    services = Services(settings)
    services.ingest(write_corpus(root / "docs"))
    services.kb_registry.create("应急")
    (root / FLOOD_NAME).write_text(FLOOD, encoding="utf-8")
    services.for_kb("应急").ingest([root / FLOOD_NAME])
    services.users.add("读者", "reader", ["default"], PASSWORD["读者"])
    services.users.add("编辑", "editor", ["应急"], PASSWORD["编辑"])
    services.users.add("管理员", "admin", None, PASSWORD["管理员"])
    services.throttle.clock = clock = Clock()
    import ui

    app, url = ui.start(services, server_port=free_port())
    yield services, url, clock
    app.close()


def login(url: str, name: str) -> Client:
    return Client(url, auth=(name, PASSWORD[name]), verbose=False)


def records(services: Services, kb: str) -> dict:
    view = services.for_kb(kb)
    view.kb.ensure_bm25()
    return {r.title: r for r in view.kb.records().values()}


def audit_of(services: Services, user: str) -> list[dict]:
    return services.audit.entries(user=user)


def test_nothing_is_served_without_a_login(served):
    _, url, _ = served
    with pytest.raises(ValueError):
        Client(url, verbose=False)
    assert httpx.get(f"{url}/config").status_code == 401


def test_a_reader_cannot_ingest_delete_or_change_meta(served, tmp_path: Path):
    services, url, _ = served
    reader = login(url, "读者")
    before = records(services, "default")
    speech = next(s for r in before.values() for s in r.sources if s.endswith(SPEECH_NAME))
    upload = tmp_path / NEW_NAME
    upload.write_text(NEW, encoding="utf-8")

    with pytest.raises(AppError, match="权限不足.*读者.*不能修改知识库“default”"):
        reader.predict([handle_file(upload)], api_name="/ingest")
    with pytest.raises(AppError, match="权限不足"):
        reader.predict(speech, api_name="/delete_document")
    with pytest.raises(AppError, match="权限不足"):
        reader.predict(speech, "已废止", "", api_name="/set_meta")

    after = records(services, "default")
    assert after.keys() == before.keys()
    assert all(after[t].status == before[t].status for t in before)
    assert not (Path(services.settings.store.path) / "uploads" / NEW_NAME).exists()
    denied = [r["what"] for r in audit_of(services, "读者") if r["event"] == "denied"]
    assert denied == ["上传文件", "删除文件", "修改文件状态"]
    assert "10月底前完成项目谋划" in reader.predict(SPEECH_QUESTION, api_name="/chat")


def test_an_editor_changes_only_the_knowledge_bases_granted(served, tmp_path: Path):
    services, url, _ = served
    editor = login(url, "编辑")
    upload = tmp_path / NEW_NAME
    upload.write_text(NEW, encoding="utf-8")
    report, message, _ = editor.predict([handle_file(upload)], api_name="/ingest")
    assert report["data"][0][:2] == [NEW_NAME, "已导入"]  # into 应急, the one granted
    assert "关于开展农村厕所改造验收工作的通知" in records(services, "应急")
    assert "关于开展农村厕所改造验收工作的通知" not in records(services, "default")

    default_speech = next(s for r in records(services, "default").values() for s in r.sources
                          if s.endswith(SPEECH_NAME))
    assert editor.predict(default_speech, api_name="/delete_document") == "知识库中没有这个文件。"
    with pytest.raises(AppError, match="权限不足.*编辑.*default"):
        editor.predict("default", api_name="/select_kb")
    speech = records(services, "default")["在全市重大项目建设推进会上的讲话"]
    assert default_speech in speech.sources

    stored = Path(services.for_kb("应急").kb.index_folder) / "uploads" / NEW_NAME
    assert editor.predict(str(stored), api_name="/delete_document").startswith("已删除")
    written = [(r["event"], r["kb"], Path(r.get("file", "")).name, r["result"])
               for r in audit_of(services, "编辑") if r["event"] in ("ingest", "delete")]
    assert written[0] == ("ingest", "应急", NEW_NAME, "已导入")
    assert written[-1] == ("delete", "应急", NEW_NAME, "ok")
    assert all(len(r["sha256"]) == 64 for r in audit_of(services, "编辑")
               if r["event"] in ("ingest", "delete"))


def test_two_knowledge_bases_never_see_each_other(served):
    services, url, _ = served
    reader, admin = login(url, "读者"), login(url, "管理员")
    assert REFUSAL in reader.predict(FLOOD_QUESTION, api_name="/chat")
    assert "2名群测群防员" in admin.predict(FLOOD_QUESTION, api_name="/chat")  # reads both
    assert "10月底前完成项目谋划" in admin.predict(SPEECH_QUESTION, api_name="/chat")

    probe = reader.predict("隐患点 群测群防员", 5, [], "全部类型", api_name="/retrieval_test")
    assert "地质灾害" not in json.dumps(probe, ensure_ascii=False)
    flood_source = next(s for r in records(services, "应急").values() for s in r.sources)
    _, message, _ = reader.predict(flood_source, "", api_name="/tasks")
    assert message == "当前知识库中没有这个文件，请从列表中选择。"
    with pytest.raises(AppError, match="权限不足"):
        reader.predict("应急", api_name="/select_kb")

    assert admin.predict("应急", api_name="/select_kb") == "当前知识库：应急"
    probe = admin.predict("隐患点 群测群防员", 5, [], "全部类型", api_name="/retrieval_test")
    assert {row[6] for row in probe["data"]} == {"关于做好汛期地质灾害防范工作的通知"}


def test_an_export_holds_only_what_the_user_may_read(served):
    _, url, _ = served
    reader = login(url, "读者")
    reader.submit(FLOOD_QUESTION, [], "qa", [], "全部类型", api_name="/chat_stream").result()
    reader.submit(SPEECH_QUESTION, [], "qa", [], "全部类型", api_name="/chat_stream").result()
    files, _ = reader.predict(api_name="/export_chat")  # a File update: paths on the server
    markdown = next(Path(f) for f in files["value"] if f.endswith(".md")).read_text("utf-8")
    assert "10月底前完成项目谋划" in markdown and "地质灾害" not in markdown.split("## 2.")[1]


def test_a_private_handler_checks_the_role_too(served):
    """api_visibility="private" hides an endpoint; it does not protect it."""
    _, url, _ = served
    reader = login(url, "读者")
    config = httpx.get(f"{url}/config", cookies=reader.cookies).json()
    audit_table = next(c["id"] for c in config["components"]
                       if c.get("props", {}).get("label") == "审计日志（最近 200 条）")
    fn = next(d for d in config["dependencies"] if d["outputs"] == [audit_table]
              and d["targets"][0][1] == "click")
    session = "private-check"
    httpx.post(f"{url}/gradio_api/queue/join", cookies=reader.cookies, json={
        "data": [], "fn_index": fn["id"], "session_hash": session, "event_data": None,
        "trigger_id": fn["targets"][0][0]}).raise_for_status()
    with httpx.stream("GET", f"{url}/gradio_api/queue/data?session_hash={session}",
                      cookies=reader.cookies, timeout=30) as stream:
        done = next(json.loads(line[5:]) for line in stream.iter_lines()
                    if line.startswith("data:") and '"process_completed"' in line)
    assert done["success"] is False and "权限不足" in done["output"]["error"]


def test_five_wrong_passwords_lock_that_user_for_the_lockout(served):
    services, url, clock = served
    for _ in range(5):
        with pytest.raises(ValueError):
            Client(url, auth=("读者", "wrong-guess-0"), verbose=False)
    with pytest.raises(ValueError):  # locked: even the right password
        login(url, "读者")
    assert login(url, "编辑").predict(FLOOD_QUESTION, api_name="/chat")  # others log in
    logins = [r["result"] for r in audit_of(services, "读者") if r["event"] == "login"]
    assert logins[-6:] == ["failed"] * 5 + ["locked"]
    clock.now += 301
    assert "10月底前" in login(url, "读者").predict(SPEECH_QUESTION, api_name="/chat")


def test_a_password_never_reaches_logs_audit_or_feedback(served, caplog, capfd):
    services, url, _ = served
    caplog.set_level(logging.DEBUG)
    wrong = "typo-of-the-secret-9"
    with pytest.raises(ValueError):
        Client(url, auth=("管理员", wrong), verbose=False)
    admin = login(url, "管理员")
    admin.predict(SPEECH_QUESTION, api_name="/chat")
    from assistant.webui.chat import Chat
    from assistant.webui.files import Turn

    Chat(services).feedback([Turn("问", "答")], 1, True, "管理员")
    out, err = capfd.readouterr()
    store = Path(services.settings.store.path)
    texts = [caplog.text, out, err] + [p.read_bytes().decode("utf-8", "replace")
                                       for p in store.rglob("*") if p.is_file()]
    for secret in [*PASSWORD.values(), wrong]:
        assert not any(secret in text for text in texts), secret
    feedback = (store / "feedback.jsonl").read_text("utf-8").splitlines()
    assert json.loads(feedback[-1])["user"] == "管理员"
    assert {"failed", "ok"} <= {r["result"] for r in audit_of(services, "管理员")
                                if r["event"] == "login"}


def test_the_auth_shortcut_is_a_one_user_admin(tmp_path: Path):
    import ui

    settings = Settings(store={"path": tmp_path / "kb"}, embedding={"mode": "hash"},
                        ui={"auth": "staff:s3cret:x"})
    services = Services(settings)
    services.ingest(write_corpus(tmp_path / "docs"))
    app, url = ui.start(services, server_port=free_port())
    try:
        with pytest.raises(ValueError):
            Client(url, auth=("staff", "s3cret"), verbose=False)
        staff = Client(url, auth=("staff", "s3cret:x"), verbose=False)
        upload = tmp_path / NEW_NAME
        upload.write_text(NEW, encoding="utf-8")
        report, _, _ = staff.predict([handle_file(upload)], api_name="/ingest")
        assert report["data"][0][:2] == [NEW_NAME, "已导入"]
        assert services.users.users() == []  # nothing written to users.sqlite
    finally:
        app.close()


def test_every_handler_receives_the_session_to_check(services):
    """A handler without the request could not know who asks: each one takes it."""
    import inspect

    import gradio as gr

    import ui

    app = ui.build_app(services)
    unchecked = [f.name for f in app.fns.values()
                 if f.fn is not None  # a pure-JavaScript step (scrolling) runs no Python
                 and not any(p.annotation is gr.Request
                            for p in inspect.signature(f.fn).parameters.values())]
    assert unchecked == []
