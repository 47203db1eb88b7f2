"""The `policyqa` argument parser: every subcommand, its options and their help."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, get_args

from assistant.core.dates import parse_date
from assistant.core.errors import ConfigError
from assistant.core.settings import EmbeddingSettings
from assistant.core.types import DOC_TYPES, STATUSES, SearchFilter

STORE_HELP = ("knowledge-base folder (default: settings store.path, 'kb'); with --chroma-url it "
              "holds only the BM25 side index and caches")
BACKENDS = ["extractive", "local", "openai"]
EMBEDDINGS = list(get_args(EmbeddingSettings.model_fields["mode"].annotation))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policyqa",
                                     description="政策问答助手：离线、可溯源的政策文件问答")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = _command(sub, "ingest", "add or update documents (txt/md/pdf/docx, folders walked)")
    ingest.add_argument("paths", nargs="+", type=Path, help="files or folders")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")

    reindex = _command(sub, "reindex", "re-embed the stored chunks with another embedding "
                                       "model (no re-parsing); the store switches atomically")
    reindex.add_argument("--embedding", choices=EMBEDDINGS, help="the model to switch to "
                         "(default: embedding.mode, e5-onnx-int8 unless set)")
    reindex.add_argument("--no-progress", action="store_true", help="no progress bar")

    ask = _command(sub, "ask", "answer a question with cited passages")
    ask.add_argument("question")
    ask.add_argument("--llm", choices=BACKENDS, help="answer backend")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--mode", choices=["qa", "outline", "draft"], default="qa",
                     help="qa 问答 (default), outline 学习提纲, draft 起草 (the question is the "
                          "topic; with one --doc and an empty topic, the whole document)")
    ask.add_argument("--out", type=Path, help="also export the answer to FILE.md or FILE.docx")
    _filters(ask)

    search = _command(sub, "search", "hybrid search: ranked passages")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5, help="passages to return (default 5)")
    search.add_argument("--json", action="store_true", help="print a JSON array")
    _filters(search)

    lst = _command(sub, "list", "documents in the knowledge base")
    lst.add_argument("--json", action="store_true", help="print a JSON array")

    delete = _command(sub, "delete", "remove a document (its source as `list` prints it)")
    delete.add_argument("source")

    meta = _command(sub, "meta", "show or set a document's policy status and effective date")
    meta.add_argument("source", help="the document's source as `list` prints it")
    meta.add_argument("--status", choices=[*STATUSES, "未知"],
                      help="policy status (未知 clears it)")
    meta.add_argument("--effective", help="effective date YYYY[-MM[-DD]] ('' clears it)")

    ev = _command(sub, "eval", "retrieval/answer metrics on a QA JSONL file")
    ev.add_argument("qa_file", type=Path)
    ev.add_argument("--out", type=Path, help="write one JSON line per question here")
    ev.add_argument("--llm", choices=BACKENDS, default="extractive",
                    help="answer backend (default: extractive, fast)")
    ev.add_argument("--limit", type=int, default=0, help="only the first N questions")
    _filters(ev)

    serve = _command(sub, "serve", "serve the chat UI")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 7860)")
    serve.add_argument("--llm", choices=BACKENDS, help="answer backend")
    serve.add_argument("--auth", help="require login user:pass")

    cmp = _command(sub, "compare", "compare two documents (two versions, two years): "
                                   "新增/删除/修改 with both passages cited")
    cmp.add_argument("doc_a", metavar="DOC_A",
                     help="the older document (its source as `list` prints it)")
    cmp.add_argument("doc_b", metavar="DOC_B", help="the newer document")
    cmp.add_argument("--out", type=Path, help="also export the comparison to FILE.md or FILE.docx")

    tasks = _command(sub, "tasks", "任务清单: every concrete task of a document (or a section) "
                                   "with 责任单位, 时限 and its cited passage")
    tasks.add_argument("source", help="a document as `list` prints it, or a file to read directly")
    tasks.add_argument("--section", default="", help="only parts whose heading contains this text")
    tasks.add_argument("--llm", choices=BACKENDS,
                       help="extractive = rule-based (default); local/openai = model + checks")
    tasks.add_argument("--out", type=Path, help="write FILE.xlsx, FILE.docx or FILE.md "
                                                "(default: print a Markdown table)")

    _command(sub, "config", "print every setting with its current value and meaning")
    _command(sub, "models", "show the answer models: what is installed and where")
    return parser


def _command(sub: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    cmd = sub.add_parser(name, help=help_text, description=help_text)
    cmd.add_argument("--store", type=Path, help=STORE_HELP)
    cmd.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000")
    return cmd


def _filters(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--doc", action="append", default=[], metavar="SOURCE",
                     help="only this document (repeatable; as `list` prints it)")
    cmd.add_argument("--type", choices=DOC_TYPES, help="only documents of this type")
    cmd.add_argument("--since", help="only documents dated on/after YYYY[-MM[-DD]]")
    cmd.add_argument("--until", help="only documents dated on/before YYYY[-MM[-DD]]")


def filters_from(args: argparse.Namespace, resolve) -> SearchFilter:  # noqa: ANN001
    dates = {}
    for name in ("since", "until"):
        value = getattr(args, name, None)
        if value:
            try:
                dates[name] = parse_date(value)
            except ValueError:
                raise ConfigError(f"--{name} {value!r} is not a date: use YYYY, YYYY-MM or "
                                  f"YYYY-MM-DD") from None
    return SearchFilter(sources=tuple(resolve(d) for d in getattr(args, "doc", []) or []),
                        doc_type=getattr(args, "type", None) or "", **dates)
