"""Gradio front end: `build_app(services) -> gr.Blocks`, `serve(services)` (policyqa serve).

Tabs — 对话, 知识库, 命中测试, 任务清单, 文件对比 — over one Services object. The page loads
nothing from outside the machine (system fonts, no analytics, no share link). This is the only
module that imports gradio: what the controls do lives in assistant/webui/ (chat, library,
tasks, compare), the markup in assistant/webui/render.py.
"""

import logging
import os
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant.core.errors import ConfigError, PolicyQAError  # noqa: E402
from assistant.core.types import DOC_TYPES  # noqa: E402
from assistant.services import Services  # noqa: E402
from assistant.staff.forms import FORM_TITLES  # noqa: E402
from assistant.webui.chat import ALL_TYPES, Chat, make_filter  # noqa: E402
from assistant.webui.files import MAX_UPLOAD_MB, UPLOAD_TYPES  # noqa: E402
from assistant.webui.library import Library  # noqa: E402
from assistant.webui.render import (  # noqa: E402
    DOC_HEADERS,
    REPORT_HEADERS,
    RETRIEVAL_HEADERS,
    backend_label,
    sources_panel,
)

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
"""


def make_theme() -> gr.themes.Base:
    """System CJK fonts only: nothing is fetched from a font CDN."""
    cjk = ["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei"]
    return gr.themes.Default(
        font=[gr.themes.Font(name) for name in cjk] + ["system-ui", "sans-serif"],
        font_mono=[gr.themes.Font("WenQuanYi Micro Hei Mono"), "ui-monospace", "monospace"])


@dataclass
class Page:
    """What the page's controls call."""

    services: Services
    chat: Chat
    library: Library


def build_app(services: Services) -> gr.Blocks:
    page = Page(services, Chat(services), Library(services))
    with gr.Blocks(title="政策问答助手", analytics_enabled=False, fill_width=True) as app:
        with gr.Row(elem_classes="pq-header"):
            gr.Markdown("## 政策问答助手")
            gr.Markdown(backend_label(page.chat.backend_name), elem_id="pq-backend")
        with gr.Tabs():
            with gr.Tab("对话", id="chat"):
                chat = _chat_tab(page)
            with gr.Tab("知识库", id="kb"):
                kb = _kb_tab(page)
            with gr.Tab("命中测试", id="retrieval"):
                _retrieval_tab(page, chat)
            with gr.Tab("任务清单", id="tasks") as tasks_tab:
                _tasks_tab(page, tasks_tab)
            with gr.Tab("文件对比", id="compare") as compare_tab:
                _compare_tab(page, compare_tab)
        _wire_refresh(app, page, chat, kb)

        def chat_api(question: str) -> str:
            """Answer one question (问答, no memory): Markdown answer, then 来源."""
            return page.chat.api_chat(question)

        gr.api(chat_api, api_name="chat")
    return app


def _chat_tab(page: Page) -> dict:
    turns = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            chatbot = gr.Chatbot(
                label="对话", height="calc(100vh - 330px)", min_height=260, latex_delimiters=[],
                placeholder=PLACEHOLDER,
                examples=_examples(page), elem_id="pq-chat", buttons=["copy"])
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
                docs = gr.Dropdown(page.library.document_choices(), multiselect=True, value=[],
                                   label="只在这些文件中查找（不选 = 全部）",
                                   allow_custom_value=True)
                doc_type = gr.Dropdown([ALL_TYPES, *DOC_TYPES], value=ALL_TYPES, label="文件类型")
            sources = gr.HTML(sources_panel([]), label="来源", elem_id="pq-sources")
    parts = dict(turns=turns, chatbot=chatbot, question=question, form=form, docs=docs,
                 doc_type=doc_type, sources=sources, status=status, files=files)
    _wire_chat(page, parts, send, new_chat, export)
    return parts


def _examples(page: Page) -> list[Any]:
    """Example questions as Chatbot example messages ({text, display_text} dicts)."""
    return [{"text": q, "display_text": q} for q in page.library.example_questions()]


def _wire_chat(page: Page, c: dict, send, new_chat, export) -> None:
    def on_chat(question, messages, turns, form, docs, doc_type):
        for step in page.chat.chat(question, messages, turns, form, make_filter(docs, doc_type)):
            yield step.messages, step.turns, step.sources_html, ""

    def on_example(evt: gr.SelectData):
        return evt.value["text"] if isinstance(evt.value, dict) else str(evt.value)

    def on_like(turns, data: gr.LikeData):
        return page.chat.feedback(turns, data.index, data.liked)

    def on_export(turns):
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
    c["chatbot"].clear(lambda: ([], sources_panel([])), None, [c["turns"], c["sources"]],
                       **private)  # the chat's own 清空 button: forget the turns too
    new_chat.click(lambda: ([], [], sources_panel([]), "", gr.File(value=None, visible=False)),
                   None, [c["chatbot"], c["turns"], c["sources"], c["status"], c["files"]],
                   **private)
    export.click(on_export, [c["turns"]], [c["files"], c["status"]], **private)


def _kb_tab(page: Page) -> dict:
    types = "、".join(t.lstrip(".") for t in UPLOAD_TYPES)
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=340):
            upload = gr.File(label=f"上传文件（{types}，可多选，一次最多 "
                             f"{page.library.max_files} 个，每个不超过 {MAX_UPLOAD_MB} MB）",
                             file_count="multiple", file_types=list(UPLOAD_TYPES),
                             elem_id="pq-upload", height=140)
            ingest = gr.Button("导入知识库", variant="primary")
            ingest_status = gr.Markdown("")
            report = gr.Dataframe(headers=REPORT_HEADERS, label="导入结果", wrap=True,
                                  interactive=False, max_height=260,
                                  column_widths=["34%", "12%", "24%", "10%", "20%"])
        with gr.Column(scale=3, min_width=420):
            documents = gr.Dataframe(page.library.document_rows(), headers=DOC_HEADERS,
                                     label="已收录文件", wrap=True, interactive=False,
                                     max_height=380, elem_id="pq-documents",
                                     column_widths=["32%", "9%", "17%", "13%", "8%", "21%"])
            with gr.Row():
                victim = gr.Dropdown(page.library.document_choices(), label="删除文件", scale=3,
                                     allow_custom_value=True)
                delete = gr.Button("删除", variant="stop", scale=1, min_width=80)
            delete_status = gr.Markdown("")

    def on_ingest(files):
        outcome = None
        for outcome in page.library.ingest(files):  # streamed while it runs
            yield outcome.rows, outcome.message, gr.skip()
        if outcome is not None:
            yield outcome.rows, outcome.message, None  # done: clear the upload box

    write: dict[str, Any] = dict(concurrency_limit=1, concurrency_id="kb-write")
    ingested = ingest.click(on_ingest, [upload], [report, ingest_status, upload],
                            api_name="ingest", **write)
    deleted = delete.click(page.library.delete, [victim], [delete_status],
                           api_name="delete_document",
                           **write)
    return dict(documents=documents, victim=victim, ingested=ingested, deleted=deleted)


def _retrieval_tab(page: Page, chat: dict) -> None:
    with gr.Row():
        query = gr.Textbox(label="检索词或问题", scale=5, elem_id="pq-probe")
        k = gr.Slider(1, 20, value=page.services.settings.retrieval.k, step=1,
                      label="返回段落数", scale=2)
        run = gr.Button("检索", variant="primary", scale=1, min_width=80)
    gr.Markdown("融合排名由 BM25（关键词）与向量（语义）两路排名按倒数排名融合得出；"
                "“—”表示该路未检索到此段落。检索范围与对话页的设置相同。")
    table = gr.Dataframe(headers=RETRIEVAL_HEADERS, wrap=True, interactive=False,
                         max_height=480, column_widths=["6%", "7%", "7%", "7%", "7%", "7%",
                                                        "14%", "15%", "30%"])

    def on_probe(text, n, docs, doc_type):
        return page.library.retrieval_test(text, n, make_filter(docs, doc_type))

    probe: dict[str, Any] = dict(fn=on_probe, inputs=[query, k, chat["docs"], chat["doc_type"]],
                                 outputs=table, api_visibility="private")
    run.click(**probe)
    query.submit(**probe)


def _compare_tab(page: Page, tab: gr.Tab) -> None:
    """Two documents (or two versions) side by side: 新增/删除/修改, both passages cited."""
    from assistant.webui.compare import compare_export, compare_view

    choices = page.library.document_choices()
    with gr.Row():
        doc_a = gr.Dropdown(choices, label="A：原文件（旧版本/上一年度）", scale=3)
        doc_b = gr.Dropdown(choices, label="B：新文件（新版本/本年度）", scale=3)
        run = gr.Button("对比", variant="primary", scale=1, min_width=80)
        export = gr.Button("导出 .docx", scale=1, min_width=80)
    download = gr.File(label="导出文件", visible=False)
    result = gr.Markdown("", elem_id="pq-compare")
    run.click(lambda a, b: compare_view(page.services, a, b), [doc_a, doc_b], result,
              api_name="compare")

    def on_export(a, b):
        path, message = compare_export(page.services, a, b)
        return gr.File(value=path, visible=bool(path)), message if not path else gr.skip()

    export.click(on_export, [doc_a, doc_b], [download, result], api_visibility="private")
    tab.select(lambda: [gr.Dropdown(choices=page.library.document_choices())] * 2, None,
               [doc_a, doc_b], show_progress="hidden", api_visibility="private")


def _tasks_tab(page: Page, tab: gr.Tab) -> None:
    """任务清单: every task of one document (or section) with 责任单位/时限, cited; .xlsx/.docx."""
    from assistant.staff.tasks.export import TASK_HEADERS
    from assistant.webui.tasks import make_task_list

    with gr.Row():
        doc = gr.Dropdown(page.library.document_choices(), label="文件", scale=3,
                          elem_id="pq-tasks-doc")
        section = gr.Textbox(label="只看某一部分（标题中的文字，可不填）", scale=2,
                             placeholder="如：重点任务、保障措施")
        run = gr.Button("生成任务清单", variant="primary", scale=1, min_width=120)
    status = gr.Markdown("")
    table = gr.Dataframe(headers=list(TASK_HEADERS), wrap=True, interactive=False,
                         max_height=520, elem_id="pq-tasks",
                         column_widths=["6%", "36%", "16%", "10%", "32%"])
    files = gr.File(label="下载（Excel / Word）", file_count="multiple", visible=False)

    def on_run(source, part):
        outcome = make_task_list(page.services, source, part)
        return outcome.rows, outcome.message, gr.File(value=outcome.files or None,
                                                      visible=bool(outcome.files))

    run.click(on_run, [doc, section], [table, status, files], api_name="tasks")
    tab.select(lambda: gr.Dropdown(choices=page.library.document_choices()), None, doc,
               api_visibility="private", show_progress="hidden")


def _wire_refresh(app: gr.Blocks, page: Page, chat: dict, kb: dict) -> None:
    """Document lists, filters and example questions follow every change to the store."""
    def refresh():
        choices = page.library.document_choices()
        return (page.library.document_rows(), gr.Dropdown(choices=choices, value=None),
                gr.Dropdown(choices=choices), gr.Chatbot(examples=_examples(page)))

    outputs = [kb["documents"], kb["victim"], chat["docs"], chat["chatbot"]]
    quiet: dict[str, Any] = dict(show_progress="hidden", api_visibility="private")
    kb["ingested"].then(refresh, None, outputs, **quiet)
    kb["deleted"].then(refresh, None, outputs, **quiet)
    app.load(refresh, None, outputs, **quiet)


# --- serving ----------------------------------------------------------------------------------
def launch_options(settings) -> dict:
    """gr.Blocks.launch keyword arguments: bind address, login, theme; never a share link."""
    ui = settings.ui
    options = dict(server_name=ui.host, server_port=ui.port, share=False, theme=make_theme(),
                   css=CSS, ssr_mode=False, max_file_size=f"{MAX_UPLOAD_MB}mb",
                   footer_links=["api"], show_error=True, quiet=True)
    if ui.auth:
        user, sep, password = ui.auth.partition(":")
        if not (sep and user and password):
            raise ConfigError("ui.auth must look like user:pass (set --auth or POLICYQA_UI__AUTH)")
        options.update(auth=(user, password), auth_message="请登录政策问答助手")
    return options


def warm_up(services: Services) -> None:
    """Pay the one-off costs (LangChain import, jieba, BM25 load) before `ready`, not on the
    first question."""
    services.chain().runnable()  # LangChain's runnables: ≈1 s of imports

    try:
        services.search("预热", 1)
    except PolicyQAError as exc:
        logger.warning("warm-up search failed reason=%s", exc)


def start(services: Services, **overrides: Any) -> tuple[gr.Blocks, str]:
    """Build, queue and launch without blocking; the URL the page is served on."""
    warm_up(services)
    app = build_app(services)
    app.queue(default_concurrency_limit=CONCURRENCY)
    options = launch_options(services.settings) | overrides
    app.launch(prevent_thread_lock=True, **options)
    host = "127.0.0.1" if options["server_name"] in ("0.0.0.0", "") else options["server_name"]
    return app, f"http://{host}:{app.server_port}"


def serve(services: Services) -> None:
    app, url = start(services)
    print(f"ready: {url}", flush=True)
    try:
        app.block_thread()
    finally:
        app.close()
