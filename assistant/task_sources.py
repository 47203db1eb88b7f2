"""Where a 任务清单's passages come from — a stored document, a file read directly, or one
section of either — and `task_table`, which the CLI and the UI call."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import ConfigError
from assistant.tasks import TaskTable, extract_rules, heading_parts
from assistant.types import Passage

if TYPE_CHECKING:
    from assistant.services import Services
    from assistant.settings import Settings


def in_section(passages: list[Passage], section: str) -> list[Passage]:
    """The passages whose heading path mentions `section` (e.g. 重点任务, 二、, 保障措施)."""
    wanted = "".join(section.split())
    if not wanted:
        return passages
    picked = [p for p in passages if wanted in "".join(p.heading.split())]
    if not picked:
        parts = list(dict.fromkeys(heading_parts(p, 1)[0] for p in passages if heading_parts(p, 1)))
        raise ConfigError(f"no section of the document matches --section {section!r}; its "
                          f"parts are: {'；'.join(parts[:12]) or '（无标题结构）'}")
    return picked


def source_passages(services: Services, source: str) -> list[Passage]:
    """A stored document's passages (by source as `policyqa list` prints it, or its path), or a
    file's passages read directly when it is not in the knowledge base."""
    record = _stored(services, source)
    if record is not None:
        return services.kb.document_passages(record.doc_hash)
    path = Path(source)
    if path.is_file():
        return file_passages(path, services.settings)
    raise ConfigError(f"{source!r} is neither a document in the knowledge base nor a file: see "
                      f"`policyqa list`, or give the path of a .txt/.md/.docx/.pdf file")


def _stored(services: Services, source: str):  # noqa: ANN202
    store = services.settings.store
    if not store.chroma_url and not (Path(store.path) / "chroma").is_dir():
        return None
    for candidate in dict.fromkeys((source, str(Path(source).resolve()))):
        record = services.kb.find_source(candidate)
        if record is not None:
            return record
    return None


def file_passages(path: Path, settings: Settings) -> list[Passage]:
    """Chunk a file the way ingest does, without storing or embedding it."""
    from ingest.chunking import ChunkSizes, chunk_text
    from ingest.loaders import load_document
    from ingest.metadata import extract_metadata

    ing = settings.ingest
    text = load_document(path, max_text_chars=int(ing.max_text_mb * 1_000_000)).page_content
    meta = extract_metadata(text, path.name)
    sizes = ChunkSizes(ing.target_chars, ing.max_chars, ing.min_chars, ing.overlap_chars)
    return [Passage(chunk_id=f"file-{i:05d}", text=c.text, source=str(path), title=meta.title,
                    heading_path=c.heading_path, page=c.page, score=0.0, doc_type=meta.doc_type,
                    doc_no=meta.doc_no, date=meta.date, start=c.start, end=c.end)
            for i, c in enumerate(chunk_text(text, sizes))]


def task_table(services: Services, source: str, section: str = "",
               mode: str | None = None) -> TaskTable:
    """The task breakdown of one document (or one section of it)."""
    passages = in_section(source_passages(services, source), section)
    title = passages[0].title if passages else Path(source).stem
    mode = mode or services.settings.llm.mode
    if mode == "extractive":
        return TaskTable(title, tuple(extract_rules(passages)), section, "rules")
    from assistant.tasks_llm import extract_llm

    budget = (services.settings.llm.local_context_chars if mode == "local"
              else services.settings.retrieval.context_chars)
    rows, notes = extract_llm(passages, services.chat_model(mode), budget)
    if not rows:
        rows = extract_rules(passages)
        notes += ("模型没有给出可核对的任务行，改用规则抽取。",)
    return TaskTable(title, tuple(rows), section, mode, tuple(notes))
