"""What each `policyqa` subcommand does (argument parsing lives in cli.py)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from assistant.citations import sources_block
from assistant.cli import filters_from, print_json
from assistant.doc_catalog import status_note, version_note
from assistant.errors import ConfigError, StoreError
from assistant.services import Services
from assistant.settings import load_settings
from assistant.types import Answer, Passage


def make_services(args: argparse.Namespace) -> Services:
    overrides: dict[str, Any] = {}
    store: dict[str, Any] = {}
    if getattr(args, "store", None):
        store["path"] = args.store
    if getattr(args, "chroma_url", None):
        store["chroma_url"] = args.chroma_url
    settings = load_settings()
    if store:
        overrides["store"] = settings.store.model_copy(update=store)
    if getattr(args, "llm", None):
        overrides["llm"] = settings.llm.model_copy(update={"mode": args.llm})
    return Services(settings.model_copy(update=overrides))


def resolver(services: Services):  # noqa: ANN201
    """Map a --doc / delete argument to a stored source: as listed, or as a path to resolve."""
    def resolve(source: str) -> str:
        if services.kb.find_source(source):
            return source
        resolved = str(Path(source).resolve())
        if services.kb.find_source(resolved):
            return resolved
        raise ConfigError(f"no document with source {source!r} in the knowledge base: "
                          f"see `policyqa list`")
    return resolve


def _require_store(services: Services) -> None:
    path = Path(services.settings.store.path)
    if not services.settings.store.chroma_url and not (path / "chroma").is_dir():
        raise StoreError(f"no knowledge base at {path}: run `policyqa ingest <files> --store "
                         f"{path}` first")


def cmd_ingest(services: Services, args: argparse.Namespace) -> int:
    report = services.pipeline().run(list(args.paths), progress=not args.no_progress)
    print(report.summary())
    return report.exit_code


def cmd_ask(services: Services, args: argparse.Namespace) -> int:
    _require_store(services)
    filters = filters_from(args, resolver(services))
    if args.mode != "qa":
        answer = services.run_mode(args.mode, args.question, filters)
    elif args.json:
        answer = services.ask(args.question, filters)
    else:
        answer = _stream_answer(services, args.question, filters)
    if args.json:
        print_json(answer_json(answer))
    elif args.mode != "qa":
        print(answer.text)
    if not args.json and answer.citations:
        print()
        print(sources_block(answer.citations))
    for note in answer.notes:
        print(f"注：{note}", file=sys.stderr)
    if args.out:
        from assistant.export import export

        print(f"exported {export(answer, args.out)}", file=sys.stderr)
    return 0


def _stream_answer(services: Services, question: str, filters: Any) -> Answer:
    """Print tokens as they come; the verified answer (renumbered, marked) replaces them."""
    from assistant.chain import Retrieval
    from assistant.generation import Delta

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
        elif isinstance(event, Answer):
            marks["done"] = time.perf_counter()
            answer = event
    if "first_token" in marks:
        print("\n——（以上为生成过程；以下为核对引用、重新编号后的回答）——", file=sys.stderr)
    print(stage_times(marks), file=sys.stderr)
    assert answer is not None
    print(answer.text)
    return answer


def stage_times(marks: dict[str, float]) -> str:
    """用时：检索 0.1 s · 等待首字 23.4 s · 生成与核对 9.8 s — where a slow answer spends time."""
    names = (("retrieved", "检索"), ("first_token", "等待首字（含提示处理）"),
             ("done", "生成与核对"))
    parts, last = [], marks["start"]
    for key, label in names:
        if key in marks:
            parts.append(f"{label} {marks[key] - last:.1f} s")
            last = marks[key]
    return "用时：" + " · ".join(parts)


def cmd_search(services: Services, args: argparse.Namespace) -> int:
    _require_store(services)
    filters = filters_from(args, resolver(services))
    passages, scope = services.chain("extractive").search(args.query, args.k, filters)
    if scope and scope.missing:
        print(f"（{scope.missing}）", file=sys.stderr)
    if args.json:
        print_json([passage_json(p, r) for r, p in enumerate(passages, 1)])
        return 0
    for rank, p in enumerate(passages, 1):
        title = p.title + status_note(p) + version_note(p) if p.title else ""
        where = " > ".join(filter(None, [title, p.heading]))
        page = f" 第{p.page}页" if p.page else ""
        print(f"[{rank}] {p.score:.4f} {where}{page}\n    {p.text[:160]}")
    if not passages:
        print("（没有检索到段落）")
    return 0


def cmd_list(services: Services, args: argparse.Namespace) -> int:
    _require_store(services)
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
    _require_store(services)
    source = resolver(services)(args.source)
    services.delete(source)
    print(f"deleted {source}")
    return 0


def cmd_meta(services: Services, args: argparse.Namespace) -> int:
    from assistant.doc_catalog import set_meta

    _require_store(services)
    source = resolver(services)(args.source)
    record = set_meta(services.kb, source, args.status, args.effective)
    print(f"{source}\t《{record.title}》 状态：{record.status or '未知'} · "
          f"施行日期：{record.effective or '未注明'}")
    return 0


def cmd_eval(services: Services, args: argparse.Namespace) -> int:
    from assistant.evaluation import run_eval

    _require_store(services)
    filters = filters_from(args, resolver(services))
    metrics = run_eval(services, args.qa_file, args.out, filters, mode=args.llm,
                       limit=args.limit)
    for name, value in metrics.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{name:<24}{shown}")
    return 0


def cmd_serve(services: Services, args: argparse.Namespace) -> int:
    import ui

    ui_settings = services.settings.ui.model_copy(update={
        k: v for k, v in (("host", args.host), ("port", args.port), ("auth", args.auth)) if v})
    services.settings = services.settings.model_copy(update={"ui": ui_settings})
    ui.serve(services)
    return 0


def cmd_compare(services: Services, args: argparse.Namespace) -> int:
    from assistant.compare_report import compare_documents, export_report

    _require_store(services)
    resolve = resolver(services)
    result = compare_documents(services.kb, resolve(args.doc_a), resolve(args.doc_b))
    print(result.to_markdown())
    if args.out:
        print(f"exported {export_report(result, args.out)}", file=sys.stderr)
    return 0


def cmd_tasks(services: Services, args: argparse.Namespace) -> int:
    from assistant.export import export_tasks, tasks_markdown
    from assistant.task_sources import task_table

    table = task_table(services, args.source, args.section, args.llm)
    if args.out:
        print(f"exported {export_tasks(table, args.out)} ({len(table.rows)} 项任务)")
    else:
        print(tasks_markdown(table))
    return 0


def cmd_config(services: Services, args: argparse.Namespace) -> int:
    from assistant.settings import describe

    for name, value, description in describe(services.settings):
        print(f"{name:<28}{value!s:<28}{description}")
    return 0


def cmd_models(services: Services, args: argparse.Namespace) -> int:
    from assistant.local_model import describe_models

    print(f"answer backend (llm.mode): {services.settings.llm.mode}")
    print(f"embedding: {services.settings.embedding.mode}")
    for row in describe_models(services.settings.llm):
        print("  " + "  ".join(f"{k}={v}" for k, v in row.items()))
    return 0


def passage_json(passage: Passage, rank: int) -> dict[str, Any]:
    from assistant.evaluation import passage_record

    return passage_record(passage, rank) | {"bm25_rank": passage.bm25_rank,
                                            "dense_rank": passage.dense_rank}


def answer_json(answer: Answer) -> dict[str, Any]:
    return {"question": answer.question, "answer": answer.text, "refused": answer.refused,
            "backend": answer.backend,
            "citations": [{"n": c.n, "rank": c.rank, **passage_json(c.passage, c.rank)}
                          for c in answer.citations]}
