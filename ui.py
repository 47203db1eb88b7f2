"""Gradio front end: `build_app(services) -> gr.Blocks`, `serve(services)` (policyqa serve).

Tabs — 对话, 知识库, 命中测试, 任务清单, 文件对比, 汇总, 日历, 管理 — over one Services object and
its views on the knowledge bases; a source card's 查看原文 opens the cited page (PDF) or the
document's text at the passage. Every handler first asks the Gate (assistant/webui/gate.py, via
`_session`/`_reader`/`_user` below) who the logged-in user is and whether they may do this in
this knowledge base; a new handler does the same. The page loads
nothing from outside the machine (system fonts, no analytics, no share link). This is the only
module that imports gradio: what the controls do lives in assistant/webui/ (chat, library,
tasks, compare), the markup in assistant/webui/render.py.
"""

import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant.access.audit import file_sha256  # noqa: E402
from assistant.access.users import Action, User  # noqa: E402
from assistant.core.errors import ConfigError, PolicyQAError  # noqa: E402
from assistant.core.types import DOC_TYPES  # noqa: E402
from assistant.services import Services  # noqa: E402
from assistant.staff.forms import FORM_TITLES  # noqa: E402
from assistant.webui import admin as admin_actions  # noqa: E402
from assistant.webui.admin import AUDIT_HEADERS, who_label  # noqa: E402
from assistant.webui.chat import ALL_TYPES, Chat, make_filter  # noqa: E402
from assistant.webui.files import MAX_UPLOAD_MB, UPLOAD_TYPES  # noqa: E402
from assistant.webui.gate import Gate, Session  # noqa: E402
from assistant.webui.library import Library  # noqa: E402
from assistant.webui.render import (  # noqa: E402
    DOC_HEADERS,
    REPORT_HEADERS,
    RETRIEVAL_HEADERS,
    backend_label,
    sources_panel,
)
from assistant.webui.serving import exposure_warning, login_options  # noqa: E402

PLACEHOLDER = "**请输入关于已收录政策文件的问题**\n\n回答逐句注明来源 [n]，右侧显示原文段落。"
logger = logging.getLogger(__name__)
CONCURRENCY = 4  # chats answered at once; writes to the knowledge base go one at a time
FORMS = [(title, form) for form, title in FORM_TITLES.items()]  # 问答, 学习提纲, 起草
CSS = """
.pq-header h2 {margin: 0}
.pq-sources {max-height: calc(100vh - 330px); min-height: 160px; overflow-y: auto}
.pq-empty {color: var(--body-text-color-subdued); padding: 8px}
.pq-card {border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 10px; margin-bottom: 8px; background: var(--background-fill-secondary)}
.pq-card-title {font-weight: 600}
.pq-n {color: var(--color-accent)}
.pq-card-where {font-size: .85em; color: var(--body-text-color-subdued)}
.pq-card-text {line-height: 1.65; margin-top: 4px}
.pq-card mark {background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px}
.pq-context summary {cursor: pointer; color: var(--color-accent); font-size: .9em}
.pq-ctx {color: var(--body-text-color-subdued); font-size: .9em; margin: 4px 0}
.pq-ctx-here {border-left: 3px solid var(--color-accent); padding-left: 6px; margin: 4px 0}
.pq-open {margin-left: 8px; white-space: nowrap; color: var(--color-accent); cursor: pointer;
  text-decoration: underline}
.pq-original {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px;
  margin-top: 8px; max-height: calc(100vh - 140px); overflow-y: auto}
.pq-original-head {font-weight: 600; margin-bottom: 6px}
.pq-page-box {position: relative}
.pq-page {width: 100%; height: auto; display: block; border: 1px solid var(--border-color-primary)}
.pq-here-anchor {position: absolute; left: 0; width: 1px; height: 1px}
.pq-here {border-left: 3px solid var(--color-accent); padding-left: 6px; margin: 6px 0}
.pq-here-path, .pq-para {font-size: .9em; color: var(--body-text-color-subdued); margin: 4px 0}
.pq-note {font-size: .85em; color: #b45309; margin: 4px 0}
"""
# a click on 查看原文 in the sources panel sends the chunk and the cited sentence to Python
OPEN_JS = """
const open = (event) => {
  const link = event.target.closest('[data-pq-open]');
  if (!link) return;
  event.preventDefault();
  trigger('click', {chunk: link.dataset.pqOpen, quote: link.dataset.pqQuote || ''});
};
element.addEventListener('click', open);
element.addEventListener('keydown', (event) => { if (event.key === 'Enter') open(event); });
"""
SCROLL_JS = """() => {
  const here = document.querySelector('#pq-original-view #pq-here');
  if (here) here.scrollIntoView({block: 'center'});
}"""


def make_theme() -> gr.themes.Base:
    """System CJK fonts only: nothing is fetched from a font CDN."""
    cjk = ["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei"]
    return gr.themes.Default(
        font=[gr.themes.Font(name) for name in cjk] + ["system-ui", "sans-serif"],
        font_mono=[gr.themes.Font("WenQuanYi Micro Hei Mono"), "ui-monospace", "monospace"])


@dataclass
class Page:
    """What the page's controls call: the services, the chat (one waiting line for the local
    model, one feedback log), and the gate every handler asks first."""

    services: Services
    chat: Chat
    gate: Gate


def build_app(services: Services, login_required: bool | None = None) -> gr.Blocks:
    """The page. Lists and choices are empty until the page loads: what a user sees comes
    from their own session (their knowledge bases), never from the page's configuration."""
    if login_required is None:
        login_required = services.users.login_required()
    page = Page(services, Chat(services), Gate(services, login_required))
    with gr.Blocks(title="政策问答助手", analytics_enabled=False, fill_width=True) as app:
        kb = gr.State("")  # the session's knowledge base ("" = the user's first one)
        with gr.Row(elem_classes="pq-header"):
            gr.Markdown("## 政策问答助手")
            kb_select = gr.Dropdown([], value=None, label="知识库", allow_custom_value=True,
                                    elem_id="pq-kb", scale=0, min_width=220, visible=False)
            with gr.Column(scale=0, min_width=160):
                who = gr.Markdown("", elem_id="pq-user")
                gr.Button("退出登录", link="/logout", size="sm", visible=login_required)
            gr.Markdown(backend_label(page.chat.backend_name), elem_id="pq-backend")
        with gr.Tabs():
            with gr.Tab("对话", id="chat"):
                chat = _chat_tab(page)
            with gr.Tab("知识库", id="kb"):
                library = _kb_tab(page, kb)
            with gr.Tab("命中测试", id="retrieval"):
                _retrieval_tab(page, chat, kb)
            with gr.Tab("任务清单", id="tasks") as tasks_tab:
                _tasks_tab(page, tasks_tab, kb)
            with gr.Tab("文件对比", id="compare") as compare_tab:
                _compare_tab(page, compare_tab, kb)
            with gr.Tab("汇总", id="summary") as summary_tab:
                _summary_tab(page, summary_tab, kb)
            with gr.Tab("日历", id="calendar") as calendar_tab:
                _calendar_tab(page, calendar_tab, kb)
            with gr.Tab("管理", id="admin", visible=False) as admin_tab:
                admin = _admin_tab(page)
        header = dict(kb=kb, kb_select=kb_select, who=who, admin_tab=admin_tab)
        _wire_refresh(app, page, header, chat, library, admin)

        def chat_api(question: str, request: gr.Request) -> str:
            """Answer one question (问答, no memory) from every knowledge base the user may
            read: Markdown answer, then 来源."""
            _, view = _reader(page, request)
            return page.chat.bound(view).api_chat(question)

        gr.api(chat_api, api_name="chat")
    return app


# --- the check every handler makes first --------------------------------------------------------
def _denied(exc: PolicyQAError) -> gr.Error:
    return gr.Error(str(exc), title="权限不足", print_exception=False)


def _session(page: Page, request: gr.Request | None, action: Action = "read", kb: str = "",
             what: str = "") -> Session:
    """Who is asking (Gradio's login session), allowed to do `action` in knowledge base `kb`
    (the session's; "" = their first). Every handler calls this, or _reader/_user, first: a
    refusal reaches the browser and gradio_client as gr.Error, and nothing is done."""
    try:
        return page.gate.session(getattr(request, "username", None), action, kb, what)
    except PolicyQAError as exc:
        raise _denied(exc) from None


def _reader(page: Page, request: gr.Request | None) -> tuple[User, Services]:
    """The user and a view searching every knowledge base they may read (the chat)."""
    try:
        return page.gate.reader(getattr(request, "username", None))
    except PolicyQAError as exc:
        raise _denied(exc) from None


def _user(page: Page, request: gr.Request | None, admin: str = "") -> User:
    """The logged-in user (for actions on no knowledge base); an admin when `admin` names
    what they are about to do."""
    try:
        name = getattr(request, "username", None)
        return page.gate.admin(name, admin) if admin else page.gate.user(name)
    except PolicyQAError as exc:
        raise _denied(exc) from None


def _chat_tab(page: Page) -> dict:
    turns = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            chatbot = gr.Chatbot(
                label="对话", height="calc(100vh - 330px)", min_height=260, latex_delimiters=[],
                placeholder=PLACEHOLDER, elem_id="pq-chat", buttons=["copy"])
            with gr.Row():
                question = gr.Textbox(show_label=False, placeholder="输入问题，按回车发送",
                                      scale=6, max_lines=4, elem_id="pq-question", autofocus=True)
                send = gr.Button("发送", variant="primary", scale=1, min_width=80)
            with gr.Row():
                new_chat = gr.Button("新对话", size="sm")
                export = gr.Button("导出 Word / Markdown", size="sm")
                status = gr.Markdown("", elem_id="pq-status")
            files = gr.File(label="导出文件", visible=False, file_count="multiple")
        with gr.Column(scale=2, min_width=340):
            form = gr.Radio(FORMS, value="qa", label="模式", elem_id="pq-mode")
            with gr.Accordion("检索范围（文件、类型）", open=False):
                docs = gr.Dropdown([], multiselect=True, value=[],
                                   label="只在这些文件中查找（不选 = 全部）",
                                   allow_custom_value=True)
                doc_type = gr.Dropdown([ALL_TYPES, *DOC_TYPES], value=ALL_TYPES, label="文件类型")
            sources = gr.HTML(sources_panel([]), label="来源", elem_id="pq-sources",
                              js_on_load=OPEN_JS)
            original = gr.HTML("", elem_id="pq-original-view")
    parts = dict(turns=turns, chatbot=chatbot, question=question, form=form, docs=docs,
                 doc_type=doc_type, sources=sources, status=status, files=files)
    _wire_chat(page, parts, send, new_chat, export)
    _wire_original(page, sources, original)
    return parts


def _wire_original(page: Page, sources: gr.HTML, original: gr.HTML) -> None:
    """查看原文 on a source card: the page with the sentence highlighted, or the text at it."""
    from assistant.webui.original import open_original

    def on_open(evt: gr.EventData, request: gr.Request):
        _, view = _reader(page, request)  # only a knowledge base the user may read
        data = getattr(evt, "_data", None) or {}
        return open_original(view, str(data.get("chunk", "")), str(data.get("quote", "")))

    sources.click(on_open, None, original, api_visibility="private",
                  show_progress="hidden").then(None, None, None, js=SCROLL_JS)


def _examples(questions: list[str]) -> list[Any]:
    """Example questions as Chatbot example messages ({text, display_text} dicts)."""
    return [{"text": q, "display_text": q} for q in questions]


def _wire_chat(page: Page, c: dict, send, new_chat, export) -> None:
    def on_chat(question, messages, turns, form, docs, doc_type, request: gr.Request):
        _, view = _reader(page, request)  # every knowledge base the user may read
        chat = page.chat.bound(view)
        for step in chat.chat(question, messages, turns, form, make_filter(docs, doc_type)):
            yield step.messages, step.turns, step.sources_html, ""

    def on_example(evt: gr.SelectData, request: gr.Request):
        _user(page, request)
        return evt.value["text"] if isinstance(evt.value, dict) else str(evt.value)

    def on_like(turns, data: gr.LikeData, request: gr.Request):
        user = _user(page, request)
        return page.chat.feedback(turns, data.index, data.liked, user.name)

    def on_clear(request: gr.Request):
        _user(page, request)
        return [], sources_panel([])

    def on_new_chat(request: gr.Request):
        _user(page, request)
        return [], [], sources_panel([]), "", gr.File(value=None, visible=False)

    def on_export(turns, request: gr.Request):
        _user(page, request)  # the session's own turns, from knowledge bases it may read
        paths = page.chat.export(turns)
        return gr.File(value=paths or None, visible=bool(paths)), (
            "" if paths else "还没有可导出的对话。")

    inputs = [c["question"], c["chatbot"], c["turns"], c["form"], c["docs"], c["doc_type"]]
    outputs = [c["chatbot"], c["turns"], c["sources"], c["question"]]
    ask = dict(fn=on_chat, inputs=inputs, outputs=outputs, api_visibility="private",
               show_progress="minimal")
    # callable by a client (bench/bench_sessions.py streams it), absent from the API page
    send.click(**ask | dict(api_name="chat_stream", api_visibility="undocumented"))
    c["question"].submit(**ask)
    private = dict(api_visibility="private")
    c["chatbot"].example_select(on_example, None, c["question"], **private).then(**ask)
    c["chatbot"].like(on_like, [c["turns"]], c["status"], **private)
    c["chatbot"].clear(on_clear, None, [c["turns"], c["sources"]],
                       **private)  # the chat's own 清空 button: forget the turns too
    new_chat.click(on_new_chat, None,
                   [c["chatbot"], c["turns"], c["sources"], c["status"], c["files"]], **private)
    export.click(on_export, [c["turns"]], [c["files"], c["status"]], api_name="export_chat",
                 api_visibility="undocumented")


def _kb_tab(page: Page, kb: gr.State) -> dict:
    types = "、".join(t.lstrip(".") for t in UPLOAD_TYPES)
    max_files = page.services.settings.ui.max_files
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=340):
            upload = gr.File(label=f"上传文件（{types}，可多选，一次最多 "
                             f"{max_files} 个，每个不超过 {MAX_UPLOAD_MB} MB）",
                             file_count="multiple", file_types=list(UPLOAD_TYPES),
                             elem_id="pq-upload", height=140)
            ingest = gr.Button("导入知识库", variant="primary")
            ingest_status = gr.Markdown("")
            report = gr.Dataframe(headers=REPORT_HEADERS, label="导入结果", wrap=True,
                                  interactive=False, max_height=260,
                                  column_widths=["34%", "12%", "24%", "10%", "20%"])
        with gr.Column(scale=3, min_width=420):
            documents = gr.Dataframe([], headers=DOC_HEADERS,
                                     label="已收录文件", wrap=True, interactive=False,
                                     max_height=380, elem_id="pq-documents",
                                     column_widths=["32%", "9%", "17%", "13%", "8%", "21%"])
            with gr.Row():
                victim = gr.Dropdown([], label="文件", scale=3, allow_custom_value=True)
                delete = gr.Button("删除", variant="stop", scale=1, min_width=80)
            with gr.Row():
                status = gr.Dropdown(["现行", "已修订", "已废止", "未知"], value=None,
                                     label="政策状态", scale=2)
                effective = gr.Textbox(label="施行日期（YYYY-MM-DD，可不填）", scale=2)
                set_meta = gr.Button("保存状态", scale=1, min_width=80)
            delete_status = gr.Markdown("")

    def on_ingest(files, kb_name, request: gr.Request):
        session = _session(page, request, "write", kb_name, "上传文件")
        library = Library(session.services)
        outcome = None
        for outcome in library.ingest(files):  # streamed while it runs
            yield outcome.rows, outcome.message, gr.skip()
        if outcome is not None:
            for row in outcome.rows:
                session.record("ingest", file=str(library.uploads / str(row[0])),
                               result=str(row[1]))
            yield outcome.rows, outcome.message, None  # done: clear the upload box

    def on_delete(source, kb_name, request: gr.Request):
        session = _session(page, request, "write", kb_name, "删除文件")
        digest = file_sha256(source) if source else ""
        message = Library(session.services).delete(source)
        session.record("delete", file=source or "", sha256=digest,
                       result="ok" if message.startswith("已删除") else message)
        return message

    def on_meta(source, new_status, date, kb_name, request: gr.Request):
        session = _session(page, request, "write", kb_name, "修改文件状态")
        message = Library(session.services).set_meta(source, new_status, date)
        session.record("meta", f"状态={new_status or '不变'} 施行日期={date or '不变'}",
                       file=source or "", result="ok" if message.startswith("已保存") else message)
        return message

    write: dict[str, Any] = dict(concurrency_limit=1, concurrency_id="kb-write")
    ingested = ingest.click(on_ingest, [upload, kb], [report, ingest_status, upload],
                            api_name="ingest", **write)
    deleted = delete.click(on_delete, [victim, kb], [delete_status], api_name="delete_document",
                           **write)
    changed = set_meta.click(on_meta, [victim, status, effective, kb], [delete_status],
                             api_name="set_meta", **write)
    return dict(documents=documents, victim=victim, events=[ingested, deleted, changed])


def _retrieval_tab(page: Page, chat: dict, kb: gr.State) -> None:
    with gr.Row():
        query = gr.Textbox(label="检索词或问题", scale=5, elem_id="pq-probe")
        k = gr.Slider(1, 20, value=page.services.settings.retrieval.k, step=1,
                      label="返回段落数", scale=2)
        run = gr.Button("检索", variant="primary", scale=1, min_width=80)
    gr.Markdown("融合排名由 BM25（关键词）与向量（语义）两路排名按倒数排名融合得出；"
                "“—”表示该路未检索到此段落。检索当前知识库，文件与类型范围与对话页的设置相同。")
    table = gr.Dataframe(headers=RETRIEVAL_HEADERS, wrap=True, interactive=False,
                         max_height=480, column_widths=["6%", "7%", "7%", "7%", "7%", "7%",
                                                        "14%", "15%", "30%"])

    def on_probe(text, n, docs, doc_type, kb_name, request: gr.Request):
        session = _session(page, request, "read", kb_name)
        return Library(session.services).retrieval_test(text, n, make_filter(docs, doc_type))

    probe: dict[str, Any] = dict(fn=on_probe, inputs=[query, k, chat["docs"], chat["doc_type"],
                                                      kb], outputs=table)
    # callable by a script (api_name), absent from the API page
    run.click(**probe, api_name="retrieval_test", api_visibility="undocumented")
    query.submit(**probe, api_visibility="private")


def _compare_tab(page: Page, tab: gr.Tab, kb: gr.State) -> None:
    """Two documents (or two versions) side by side: 新增/删除/修改, both passages cited."""
    from assistant.webui.compare import compare_export, compare_view

    with gr.Row():
        # choices come with the session; the handlers check what a script sends
        doc_a = gr.Dropdown([], label="A：原文件（旧版本/上一年度）", scale=3,
                            allow_custom_value=True)
        doc_b = gr.Dropdown([], label="B：新文件（新版本/本年度）", scale=3,
                            allow_custom_value=True)
        run = gr.Button("对比", variant="primary", scale=1, min_width=80)
        export = gr.Button("导出 .docx", scale=1, min_width=80)
    download = gr.File(label="导出文件", visible=False)
    result = gr.Markdown("", elem_id="pq-compare")

    def on_compare(a, b, kb_name, request: gr.Request):
        return compare_view(_session(page, request, "read", kb_name).services, a, b)

    def on_export(a, b, kb_name, request: gr.Request):
        path, message = compare_export(_session(page, request, "read", kb_name).services, a, b)
        return gr.File(value=path, visible=bool(path)), message if not path else gr.skip()

    def on_select(kb_name, request: gr.Request):
        choices = Library(_session(page, request, "read", kb_name).services).document_choices()
        return [gr.Dropdown(choices=choices)] * 2

    run.click(on_compare, [doc_a, doc_b, kb], result, api_name="compare")
    export.click(on_export, [doc_a, doc_b, kb], [download, result], api_visibility="private")
    tab.select(on_select, kb, [doc_a, doc_b], show_progress="hidden", api_visibility="private")


def _tasks_tab(page: Page, tab: gr.Tab, kb: gr.State) -> None:
    """任务清单: every task of one document (or section) with 责任单位/时限, cited; .xlsx/.docx."""
    from assistant.staff.tasks.export import TASK_HEADERS
    from assistant.webui.tasks import make_task_list

    with gr.Row():
        doc = gr.Dropdown([], label="文件", scale=3, elem_id="pq-tasks-doc",
                          allow_custom_value=True)
        section = gr.Textbox(label="只看某一部分（标题中的文字，可不填）", scale=2,
                             placeholder="如：重点任务、保障措施")
        run = gr.Button("生成任务清单", variant="primary", scale=1, min_width=120)
    status = gr.Markdown("")
    table = gr.Dataframe(headers=list(TASK_HEADERS), wrap=True, interactive=False,
                         max_height=520, elem_id="pq-tasks",
                         column_widths=["6%", "36%", "16%", "10%", "32%"])
    files = gr.File(label="下载（Excel / Word）", file_count="multiple", visible=False)

    def on_run(source, part, kb_name, request: gr.Request):
        outcome = make_task_list(_session(page, request, "read", kb_name).services, source, part)
        return outcome.rows, outcome.message, gr.File(value=outcome.files or None,
                                                      visible=bool(outcome.files))

    def on_select(kb_name, request: gr.Request):
        choices = Library(_session(page, request, "read", kb_name).services).document_choices()
        return gr.Dropdown(choices=choices)

    run.click(on_run, [doc, section, kb], [table, status, files], api_name="tasks")
    tab.select(on_select, kb, doc, api_visibility="private", show_progress="hidden")


def _summary_tab(page: Page, tab: gr.Tab, kb: gr.State) -> None:
    """汇总: what every document of the session's knowledge base requires of a target, grouped
    by document, cited."""
    from assistant.staff.requirements_export import HEADERS
    from assistant.webui.summary import make_summary

    with gr.Row():
        target = gr.Textbox(label="对象", placeholder="如：企业、乡镇、医疗机构、学校、市发改委",
                            scale=3, elem_id="pq-summary-target")
        docs = gr.Dropdown([], multiselect=True, value=[], allow_custom_value=True,
                           label="只在这些文件中（不选 = 全部）", scale=3)
        versions = gr.Checkbox(label="包括旧版本", value=False, scale=1)
        run = gr.Button("汇总", variant="primary", scale=1, min_width=80)
    status = gr.Markdown("")
    table = gr.Dataframe(headers=list(HEADERS), wrap=True, interactive=False, max_height=560,
                         elem_id="pq-summary", column_widths=["5%", "17%", "36%", "9%", "6%",
                                                              "10%", "7%", "10%"])
    files = gr.File(label="下载（Excel / Word）", file_count="multiple", visible=False)

    def on_run(who, sources, old, kb_name, request: gr.Request):
        session = _session(page, request, "read", kb_name)
        outcome = make_summary(session.services, who, bool(old), sources)
        return outcome.rows, outcome.message, gr.File(value=outcome.files or None,
                                                      visible=bool(outcome.files))

    inputs = [target, docs, versions, kb]
    run.click(on_run, inputs, [table, status, files], api_name="requirements")
    target.submit(on_run, inputs, [table, status, files], api_visibility="private")
    tab.select(_choices_for(page), kb, docs, api_visibility="private", show_progress="hidden")


def _calendar_tab(page: Page, tab: gr.Tab, kb: gr.State) -> None:
    """日历: every deadline of the session's knowledge base by month, with its task, unit and
    source; .ics and .xlsx."""
    from assistant.webui.summary import make_calendar

    with gr.Row():
        since = gr.Textbox(label="起（YYYY-MM-DD，不填 = 不限）", scale=2)
        until = gr.Textbox(label="止（不填 = 不限）", scale=2)
        docs = gr.Dropdown([], multiselect=True, value=[], allow_custom_value=True,
                           label="只看这些文件（不选 = 全部）", scale=3)
        run = gr.Button("生成日历", variant="primary", scale=1, min_width=100)
    status = gr.Markdown("")
    files = gr.File(label="下载（日历 .ics / Excel）", file_count="multiple", visible=False)
    body = gr.Markdown("", elem_id="pq-calendar")

    def on_run(low, high, sources, kb_name, request: gr.Request):
        session = _session(page, request, "read", kb_name)
        outcome = make_calendar(session.services, low, high, sources)
        return outcome.markdown, outcome.message, gr.File(value=outcome.files or None,
                                                          visible=bool(outcome.files))

    run.click(on_run, [since, until, docs, kb], [body, status, files], api_name="deadlines")
    tab.select(_choices_for(page), kb, docs, api_visibility="private", show_progress="hidden")


def _choices_for(page: Page):  # noqa: ANN202 — a Gradio handler
    """A tab's document list, from the session's knowledge base (checked like every handler)."""
    def on_select(kb_name, request: gr.Request):
        session = _session(page, request, "read", kb_name)
        return gr.Dropdown(choices=Library(session.services).document_choices())

    return on_select


def _admin_tab(page: Page) -> dict:
    """管理 (admins only; the handlers check it too): knowledge bases and the audit log. Users
    are managed with `policyqa user …` on the server."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=340):
            kbs = gr.Dataframe([], headers=["知识库", "集合", "创建时间"], label="知识库",
                               interactive=False, max_height=260)
            with gr.Row():
                name = gr.Textbox(label="新知识库名称", scale=3)
                create = gr.Button("新建", variant="primary", scale=1, min_width=80)
            with gr.Row():
                drop = gr.Dropdown([], label="删除知识库（连同其中全部文件）", scale=3,
                                   allow_custom_value=True)
                remove = gr.Button("删除", variant="stop", scale=1, min_width=80)
            message = gr.Markdown("")
        with gr.Column(scale=3, min_width=420):
            audit = gr.Dataframe([], headers=AUDIT_HEADERS, label="审计日志（最近 200 条）",
                                 interactive=False, max_height=420, wrap=True)
            reload = gr.Button("刷新审计日志", size="sm")

    def on_create(kb_name, request: gr.Request):
        user = _user(page, request, admin="新建知识库")
        return admin_actions.create_kb(page.services, user, kb_name)

    def on_remove(kb_name, request: gr.Request):
        user = _user(page, request, admin="删除知识库")
        return admin_actions.delete_kb(page.services, user, kb_name)

    def on_audit(request: gr.Request):
        _user(page, request, admin="查看审计日志")
        return admin_actions.audit_rows(page.services)

    admin: dict[str, Any] = dict(concurrency_limit=1, concurrency_id="kb-write")
    created = create.click(on_create, name, message, api_name="create_kb",
                           api_visibility="undocumented", **admin)
    removed = remove.click(on_remove, drop, message, api_name="delete_kb",
                           api_visibility="undocumented", **admin)
    reload.click(on_audit, None, audit, api_visibility="private")
    return dict(kbs=kbs, drop=drop, audit=audit, events=[created, removed])


def _wire_refresh(app: gr.Blocks, page: Page, header: dict, chat: dict, library: dict,
                  admin: dict) -> None:
    """What a user sees follows their session and every change to the store: the knowledge
    bases they may read, the current one's documents, the chat's filters and examples (from
    every knowledge base they may read), the 管理 tab for admins."""
    def refresh(kb_name, request: gr.Request):
        session = _session(page, request, "read", kb_name)
        names = page.gate.readable(session.user)
        current = Library(session.services)
        choices = current.document_choices()
        admin_view = admin_actions.admin_view(page.services, session.user)
        return (session.kb, gr.Dropdown(choices=names, value=session.kb, visible=len(names) > 1),
                who_label(session.user, page.gate.login_required), current.document_rows(),
                gr.Dropdown(choices=choices, value=None),
                gr.Dropdown(choices=_all_documents(page, names)),
                gr.Chatbot(examples=_examples(current.example_questions())),
                gr.Tab(visible=admin_view.visible), admin_view.kb_rows,
                gr.Dropdown(choices=admin_view.deletable, value=None), admin_view.audit_rows)

    outputs = [header["kb"], header["kb_select"], header["who"], library["documents"],
               library["victim"], chat["docs"], chat["chatbot"], header["admin_tab"],
               admin["kbs"], admin["drop"], admin["audit"]]
    quiet: dict[str, Any] = dict(show_progress="hidden", api_visibility="private")
    for event in library["events"] + admin["events"]:
        event.then(refresh, header["kb"], outputs, **quiet)
    app.load(refresh, header["kb"], outputs, **quiet)

    def on_select_kb(kb_name, request: gr.Request):
        """Make `kb_name` the session's knowledge base (for upload, delete, lists, 命中测试,
        任务清单 and 文件对比; the chat always searches every one the user may read)."""
        session = _session(page, request, "read", (kb_name or "").strip() or "default")
        return session.kb, f"当前知识库：{session.kb}"

    selected = header["kb_select"].input(on_select_kb, header["kb_select"],
                                         [header["kb"], header["who"]], api_name="select_kb")
    selected.then(refresh, header["kb"], outputs, **quiet)


def _all_documents(page: Page, names: list[str]) -> list[tuple[str, str]]:
    """The chat's document filter: documents of every knowledge base the user may read."""
    choices: list[tuple[str, str]] = []
    for name in names:
        label = f" · {name}" if len(names) > 1 else ""
        choices += [(f"{title}{label}", source) for title, source in
                    Library(page.services.for_kb(name)).document_choices()]
    return choices


# --- serving ----------------------------------------------------------------------------------
def launch_options(settings) -> dict:
    """gr.Blocks.launch keyword arguments: bind address, theme; never a share link, and no
    internal error text for callers (messages meant for them are gr.Error)."""
    ui = settings.ui
    return dict(server_name=ui.host, server_port=ui.port, share=False, theme=make_theme(),
                css=CSS, ssr_mode=False, max_file_size=f"{MAX_UPLOAD_MB}mb",
                footer_links=["api"], show_error=False, quiet=True)


def warm_up(services: Services) -> None:
    """Pay the one-off costs (LangChain import, jieba, BM25 load) before `ready`, not on the
    first question."""
    services.chain().runnable()  # LangChain's runnables: ≈1 s of imports

    try:
        services.search("预热", 1)
    except PolicyQAError as exc:
        logger.warning("warm-up search failed reason=%s", exc)


def start(services: Services, **overrides: Any) -> tuple[gr.Blocks, str]:
    """Build, queue and launch without blocking; the URL the page is served on. Refuses to
    serve beyond this machine with nobody logging in, unless ui.allow_anonymous."""
    options = launch_options(services.settings) | overrides
    login = login_options(services)
    warning = exposure_warning(options["server_name"], bool(login))
    if warning:
        print(warning, file=sys.stderr, flush=True)
        if not services.settings.ui.allow_anonymous:
            raise ConfigError(f"refusing to serve on {options['server_name']} without users")
    warm_up(services)
    app = build_app(services, login_required=bool(login))
    app.queue(default_concurrency_limit=CONCURRENCY)
    app.launch(prevent_thread_lock=True, **(options | login))
    host = "127.0.0.1" if options["server_name"] in ("0.0.0.0", "") else options["server_name"]
    return app, f"http://{host}:{app.server_port}"


def serve(services: Services) -> None:
    app, url = start(services)
    print(f"ready: {url}", flush=True)
    try:
        app.block_thread()
    finally:
        app.close()
