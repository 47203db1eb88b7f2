"""What each `policyqa` subcommand does (the arguments are in parser.py)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from assistant.access.audit import file_sha256
from assistant.answer.backend import Delta
from assistant.answer.gate import Retrieval
from assistant.cli.admin import cmd_audit, cmd_kb, cmd_user, record_write
from assistant.cli.output import answer_json, passage_json, print_json, stage_times
from assistant.cli.parser import filters_from
from assistant.core.errors import PolicyQAError
from assistant.core.settings import load_settings
from assistant.core.sources import sources_block, status_note, version_note
from assistant.core.types import HEADING_SEP, Answer, SearchFilter
from assistant.documents.library import require_store, resolve_source, set_meta
from assistant.services import Services


def make_services(args: argparse.Namespace) -> Services:
    overrides: dict[str, Any] = {}
    store: dict[str, Any] = {}
    if getattr(args, "store", None):
        store["path"] = args.store
    if getattr(args, "chroma_url", None):
        store["chroma_url"] = args.chroma_url
    if isinstance(getattr(args, "kb", None), str):
        store["kb"] = args.kb
    settings = load_settings()
    if store:
        overrides["store"] = settings.store.model_copy(update=store)
    if getattr(args, "llm", None):
        overrides["llm"] = settings.llm.model_copy(update={"mode": args.llm})
    return Services(settings.model_copy(update=overrides))


def _filters(services: Services, args: argparse.Namespace) -> SearchFilter:
    return filters_from(args, lambda source: resolve_source(services.kb, source))


def cmd_ingest(services: Services, args: argparse.Namespace) -> int:
    used, configured = services.embedding_settings.mode, services.settings.embedding.mode
    if used != configured:
        print(f"注：该知识库使用 {used} 嵌入模型；`policyqa reindex --store "
              f"{services.settings.store.path}` 可改用 {configured}", file=sys.stderr)
    report = services.pipeline().run(list(args.paths), progress=not args.no_progress)
    for result in report.results:
        record_write(services, "ingest", file=result.source, result=result.status)
    print(report.summary())
    return report.exit_code


def cmd_reindex(services: Services, args: argparse.Namespace) -> int:
    require_store(services.settings)
    configured = services.settings.embedding
    target = configured.model_copy(update={"mode": args.embedding}) if args.embedding \
        else configured
    for name, report in services.reindex(target, progress=not args.no_progress):
        print(f"{name}: {report.summary()}")
    return 0


def cmd_ask(services: Services, args: argparse.Namespace) -> int:
    require_store(services.settings)
    filters = _filters(services, args)
    form = args.mode  # the CLI flag keeps its name: --mode qa|outline|draft
    from assistant.staff.requirements_export import cross_document_answer

    summary = cross_document_answer(services, args.question, filters) if form == "qa" else None
    if summary is not None:  # “各文件对企业提出了哪些要求？” → 汇总
        answer = summary
        if not args.json:
            print(answer.text)
    elif form != "qa":
        from assistant.staff.forms import run_form

        answer = run_form(services.chain(form=form), services.kb, form, args.question, filters)
        if not args.json:
            print(answer.text)
    elif args.json:
        answer = services.ask(args.question, filters)
    else:
        answer = _stream_answer(services, args.question, filters)
    if args.json:
        print_json(answer_json(answer))
    elif answer.citations:
        print()
        print(sources_block(answer.citations))
    for note in answer.notes:
        print(f"注：{note}", file=sys.stderr)
    if args.out:
        from assistant.export import export

        print(f"exported {export(answer, args.out)}", file=sys.stderr)
    return 0


def _stream_answer(services: Services, question: str, filters: SearchFilter) -> Answer:
    """Print tokens as they come; the verified answer (renumbered, marked) replaces them."""
    answer: Answer | None = None
    marks = {"start": time.perf_counter()}  # stage boundaries, printed at the end
    for event in services.chain().stream(question, filters):
        if isinstance(event, Retrieval):
            marks["retrieved"] = time.perf_counter()
            if event.passages and not event.refusal:
                titles = "、".join(dict.fromkeys(f"《{p.title}》" for p in event.passages[:3]))
                print(f"检索到：{titles}", file=sys.stderr)
        elif isinstance(event, Delta):
            marks.setdefault("first_token", time.perf_counter())
            print(event.text, end="", flush=True, file=sys.stderr)
        else:
            marks["done"] = time.perf_counter()
            answer = event
    if "first_token" in marks:
        print("\n——（以上为生成过程；以下为核对引用、重新编号后的回答）——", file=sys.stderr)
    print(stage_times(marks), file=sys.stderr)
    assert answer is not None
    print(answer.text)
    return answer


def cmd_search(services: Services, args: argparse.Namespace) -> int:
    require_store(services.settings)
    filters = _filters(services, args)
    passages, scope = services.chain("extractive").search(args.query, args.k, filters)
    if scope and scope.missing:
        print(f"（{scope.missing}）", file=sys.stderr)
    if args.json:
        print_json([passage_json(p, r) for r, p in enumerate(passages, 1)])
        return 0
    for rank, p in enumerate(passages, 1):
        title = p.title + status_note(p) + version_note(p) if p.title else ""
        where = HEADING_SEP.join(filter(None, [title, p.heading]))
        page = f" 第{p.page}页" if p.page else ""
        print(f"[{rank}] {p.score:.4f} {where}{page}\n    {p.text[:160]}")
    if not passages:
        print("（没有检索到段落）")
    return 0


def cmd_list(services: Services, args: argparse.Namespace) -> int:
    require_store(services.settings)
    status = {h: d.status for h, d in services.catalog().docs.items()}
    rows = [{"source": s, "title": r.title, "type": r.doc_type, "doc_no": r.doc_no,
             "date": r.date, "status": status[r.doc_hash], "effective": r.effective,
             "chunks": r.chunks, "hash": r.doc_hash}
            for r in services.kb.records().values() for s in r.sources]
    rows.sort(key=lambda row: str(row["source"]))
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        extras = " ".join(str(row[k]) for k in ("type", "doc_no", "date", "status") if row[k])
        print(f"{row['source']}\t《{row['title']}》 {extras} · {row['chunks']} 段")
    print(f"共 {len(rows)} 个文件", file=sys.stderr)
    return 0


def cmd_delete(services: Services, args: argparse.Namespace) -> int:
    require_store(services.settings)
    source = resolve_source(services.kb, args.source)
    digest = file_sha256(source)
    services.delete(source)
    record_write(services, "delete", file=source, sha256=digest)
    print(f"deleted {source}")
    return 0


def cmd_meta(services: Services, args: argparse.Namespace) -> int:
    require_store(services.settings)
    source = resolve_source(services.kb, args.source)
    record = set_meta(services.kb, source, args.status, args.effective)
    record_write(services, "meta", f"状态={record.status or '未知'} 施行日期="
                 f"{record.effective or '未注明'}", file=source)
    print(f"{source}\t《{record.title}》 状态：{record.status or '未知'} · "
          f"施行日期：{record.effective or '未注明'}")
    return 0


def cmd_eval(services: Services, args: argparse.Namespace) -> int:
    from assistant.evaluation import run_eval

    require_store(services.settings)
    filters = _filters(services, args)
    metrics = run_eval(services.chain(args.llm), args.qa_file, args.out, filters,
                       limit=args.limit)
    for name, value in metrics.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{name:<24}{shown}")
    return 0


def cmd_serve(services: Services, args: argparse.Namespace) -> int:
    import ui

    ui_settings = services.settings.ui.model_copy(update={
        k: v for k, v in (("host", args.host), ("port", args.port), ("auth", args.auth),
                          ("allow_anonymous", args.allow_anonymous)) if v})
    services.settings = services.settings.model_copy(update={"ui": ui_settings})
    ui.serve(services)
    return 0


def cmd_compare(services: Services, args: argparse.Namespace) -> int:
    from assistant.staff.compare.report import compare_documents, export_report

    require_store(services.settings)
    resolve = lambda source: resolve_source(services.kb, source)  # noqa: E731
    result = compare_documents(services.kb, resolve(args.doc_a), resolve(args.doc_b))
    print(result.to_markdown())
    if args.out:
        print(f"exported {export_report(result, args.out)}", file=sys.stderr)
    return 0


def cmd_tasks(services: Services, args: argparse.Namespace) -> int:
    from assistant.staff.tasks.export import export_tasks, tasks_markdown
    from assistant.staff.tasks.sources import task_table

    table = task_table(services, args.source, args.section, args.llm)
    if args.out:
        print(f"exported {export_tasks(table, args.out)} ({len(table.rows)} 项任务)")
    else:
        print(tasks_markdown(table))
    return 0


def cmd_requirements(services: Services, args: argparse.Namespace) -> int:
    from assistant.staff.requirements import requirement_table
    from assistant.staff.requirements_export import (
        export_requirements,
        requirement_json,
        requirements_markdown,
        summary_line,
    )

    require_store(services.settings)
    table = requirement_table(services, args.target, _filters(services, args), args.all_versions)
    if args.json:
        print_json([requirement_json(row) for row in table.rows])
        print(summary_line(table), file=sys.stderr)
    else:
        print(requirements_markdown(table))
    if args.out:
        print(f"exported {export_requirements(table, args.out)}", file=sys.stderr)
    return 0


def cmd_deadlines(services: Services, args: argparse.Namespace) -> int:
    from assistant.cli.parser import due_range
    from assistant.staff.deadline_export import deadline_json, deadlines_markdown, export_deadlines
    from assistant.staff.deadline_list import deadline_rows

    require_store(services.settings)
    since, until = due_range(args)
    rows, undated = deadline_rows(services, _filters(services, args), since, until)
    if args.json:
        print_json([deadline_json(row) for row in rows])
    else:
        print(deadlines_markdown(rows))
    dated = sum(1 for r in rows if r.due)
    print(f"共 {len(rows)} 项时限，{dated} 项已定日期" + (
        f"；另有 {undated} 项未能确定日期，不在所选日期范围内列出" if undated else ""),
        file=sys.stderr)
    if args.out:
        print(f"exported {export_deadlines(rows, args.out)}", file=sys.stderr)
    return 0


def cmd_config(services: Services, args: argparse.Namespace) -> int:
    from assistant.core.settings import describe

    for name, value, description in describe(services.settings):
        print(f"{name:<28}{value!s:<28}{description}")
    return 0


def cmd_models(services: Services, args: argparse.Namespace) -> int:
    from assistant.llm.bundled import describe_models

    print(f"answer backend (llm.mode): {services.settings.llm.mode}")
    print(f"embedding: {services.settings.embedding.mode}")
    try:
        print(f"  this store ({services.settings.store.path}): "
              f"{services.embedding_settings.mode}")
    except PolicyQAError as exc:
        print(f"  this store: {exc}")
    for row in describe_models(services.settings.llm):
        print("  " + "  ".join(f"{k}={v}" for k, v in row.items()))
    return 0


COMMANDS: dict[str, Callable[[Services, argparse.Namespace], int]] = {
    "ingest": cmd_ingest, "ask": cmd_ask, "search": cmd_search, "list": cmd_list,
    "delete": cmd_delete, "meta": cmd_meta, "eval": cmd_eval, "serve": cmd_serve,
    "compare": cmd_compare, "tasks": cmd_tasks, "config": cmd_config, "models": cmd_models,
    "kb": cmd_kb, "user": cmd_user, "audit": cmd_audit,
    "requirements": cmd_requirements, "deadlines": cmd_deadlines, "reindex": cmd_reindex,
}
