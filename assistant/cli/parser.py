"""The `policyqa` argument parser: every subcommand, its options and their help."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, get_args

from assistant.core.dates import full_day, parse_date
from assistant.core.errors import ConfigError
from assistant.core.settings import EmbeddingSettings
from assistant.core.types import DOC_TYPES, STATUSES, SearchFilter

STORE_HELP = ("knowledge-base folder (default: settings store.path, 'kb'); with --chroma-url it "
              "holds only the BM25 side index and caches")
KB_HELP = "knowledge base to work on (default: settings store.kb, 'default'; see `kb list`)"
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
    serve.add_argument("--auth", help="one admin login user:pass (a shortcut; see `user add`)")
    serve.add_argument("--allow-anonymous", action="store_true",
                       help="serve on a non-loopback --host although no user is configured")

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

    _admin_commands(sub)
    req = _command(sub, "requirements", "汇总: what every stored document requires of a target "
                                        "(企业, 乡镇, 医疗机构, 市发改委 …), grouped by document")
    req.add_argument("target",
                     help="who the requirements are addressed to, e.g. 企业 or 各县（市）")
    req.add_argument("--all-versions", action="store_true",
                     help="also read older versions of documents (default: current ones only)")
    req.add_argument("--json", action="store_true", help="print a JSON array")
    req.add_argument("--out", type=Path, help="write FILE.xlsx, FILE.docx or FILE.md")
    _filters(req)

    dl = _command(sub, "deadlines", "时限日历: every deadline of the stored documents, resolved "
                                    "to a date where the text fixes one")
    dl.add_argument("--from", dest="since_due", metavar="YYYY-MM-DD",
                    help="only deadlines due on/after this date")
    dl.add_argument("--to", dest="until_due", metavar="YYYY-MM-DD",
                    help="only deadlines due on/before this date")
    dl.add_argument("--doc", action="append", default=[], metavar="SOURCE",
                    help="only this document (repeatable; as `list` prints it)")
    dl.add_argument("--json", action="store_true", help="print a JSON array")
    dl.add_argument("--out", type=Path, help="write FILE.ics, FILE.xlsx or FILE.md")

    _command(sub, "config", "print every setting with its current value and meaning")
    _command(sub, "models", "show the answer models: what is installed and where")
    return parser


def _command(sub: Any, name: str, help_text: str, kb: bool = True) -> argparse.ArgumentParser:
    cmd = sub.add_parser(name, help=help_text, description=help_text)
    cmd.add_argument("--store", type=Path, help=STORE_HELP)
    cmd.add_argument("--chroma-url", help="use a Chroma server, e.g. http://127.0.0.1:8000")
    if kb:
        cmd.add_argument("--kb", metavar="NAME", help=KB_HELP)
    return cmd


def _admin_commands(sub: Any) -> None:
    """kb create|list|delete, user add|list|remove|passwd|unlock, audit (no login needed:
    whoever may write the store folder administers it). Options go after the leaf command."""
    kb = sub.add_parser("kb", help="knowledge bases in the store: create, list, delete",
                        description="knowledge bases in the store (names may be Chinese)")
    kbs = kb.add_subparsers(dest="action", required=True, metavar="ACTION")
    _command(kbs, "create", "create an empty knowledge base", kb=False).add_argument("name")
    _command(kbs, "list", "list the knowledge bases", kb=False).add_argument(
        "--json", action="store_true", help="print a JSON array")
    _command(kbs, "delete", "delete a knowledge base with all its documents",
             kb=False).add_argument("name")

    user = sub.add_parser("user", help="users and roles: add, list, remove, passwd, unlock",
                          description="users who log in to `policyqa serve`")
    users = user.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = _command(users, "add", "add a user (reader, editor or admin)", kb=False)
    add.add_argument("name")
    add.add_argument("--role", choices=["reader", "editor", "admin"], required=True,
                     help="reader: ask, search, export, 命中测试; editor: also upload, meta, "
                          "delete; admin: also users and knowledge bases, in every one")
    add.add_argument("--kb", dest="grants", action="append", default=[], metavar="NAME",
                     help="a knowledge base the user may use (repeatable; default: all)")
    _password_flag(add)
    _command(users, "list", "list users, roles and knowledge bases", kb=False).add_argument(
        "--json", action="store_true", help="print a JSON array")
    _command(users, "remove", "remove a user", kb=False).add_argument("name")
    passwd = _command(users, "passwd", "set a user's password", kb=False)
    passwd.add_argument("name")
    _password_flag(passwd)
    _command(users, "unlock", "lift a user's lockout after failed logins",
             kb=False).add_argument("name")

    audit = _command(sub, "audit", "print the audit log: logins, failed logins, writes",
                     kb=False)
    audit.add_argument("--since", help="only lines on/after YYYY[-MM[-DD]]")
    audit.add_argument("--user", help="only lines of this user")
    audit.add_argument("--json", action="store_true", help="print a JSON array")


def _password_flag(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--password-stdin", action="store_true",
                     help="read the password as one line from stdin (else it is asked for)")


def _filters(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--doc", action="append", default=[], metavar="SOURCE",
                     help="only this document (repeatable; as `list` prints it)")
    cmd.add_argument("--type", choices=DOC_TYPES, help="only documents of this type")
    cmd.add_argument("--since", help="only documents dated on/after YYYY[-MM[-DD]]")
    cmd.add_argument("--until", help="only documents dated on/before YYYY[-MM[-DD]]")


def due_range(args: argparse.Namespace) -> tuple[str, str]:
    """--from/--to of `deadlines` as YYYY-MM-DD (a month or a year covers all of it)."""
    bounds = []
    for flag, name, end in (("--from", "since_due", False), ("--to", "until_due", True)):
        value = getattr(args, name, None) or ""
        try:
            bounds.append(full_day(parse_date(value), end) if value else "")
        except ValueError:
            raise ConfigError(f"{flag} {value!r} is not a date: use YYYY-MM-DD, YYYY-MM or "
                              f"YYYY") from None
    return bounds[0], bounds[1]


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
