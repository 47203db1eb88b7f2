"""Which stored document a user means, and the changes a user may make to one.

A document is named by its source as `policyqa list` prints it, or by a path that resolves to
it; `find_record` is the one place that says "no document with source …". A file that is not
stored can still be read the way ingest reads it (`document_passages`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.core.dates import parse_date
from assistant.core.errors import ConfigError, StoreError
from assistant.core.settings import Settings
from assistant.core.types import DocRecord, Passage, chunk_id
from assistant.documents.catalog import STATUS_BY_META

if TYPE_CHECKING:
    from vectorstore.knowledge_base import KnowledgeBase


def lookup(kb: KnowledgeBase, source: str) -> DocRecord | None:
    """The stored document listed under `source`, or under the path it resolves to."""
    for candidate in dict.fromkeys((source, str(Path(source).resolve()))):
        record = kb.find_source(candidate)
        if record is not None:
            return record
    return None


def find_record(kb: KnowledgeBase, source: str) -> DocRecord:
    record = lookup(kb, source)
    if record is None:
        raise ConfigError(f"no document with source {source!r} in the knowledge base: "
                          f"see `policyqa list`")
    return record


def resolve_source(kb: KnowledgeBase, source: str) -> str:
    """The source string a document is stored under (a --doc / delete argument, resolved)."""
    if kb.find_source(source):
        return source
    resolved = str(Path(source).resolve())
    if kb.find_source(resolved):
        return resolved
    find_record(kb, source)  # raises, naming the source
    return source


def store_exists(settings: Settings) -> bool:
    store = settings.store
    return bool(store.chroma_url) or (Path(store.path) / "chroma").is_dir()


def require_store(settings: Settings) -> None:
    if not store_exists(settings):
        path = Path(settings.store.path)
        raise StoreError(f"no knowledge base at {path}: run `policyqa ingest <files> --store "
                         f"{path}` first")


def document_passages(kb: KnowledgeBase, settings: Settings, source: str) -> list[Passage]:
    """A stored document's passages (by source or path), or a file's passages read directly
    when it is not in the knowledge base."""
    record = lookup(kb, source) if store_exists(settings) else None
    if record is not None:
        return kb.document_passages(record.doc_hash)
    path = Path(source)
    if path.is_file():
        return file_passages(path, settings)
    raise ConfigError(f"{source!r} is neither a document in the knowledge base nor a file: see "
                      f"`policyqa list`, or give the path of a .txt/.md/.docx/.pdf file")


def file_passages(path: Path, settings: Settings) -> list[Passage]:
    """Chunk a file the way ingest does, without storing or embedding it."""
    from ingest.document import parse_document

    parsed = parse_document(path, settings.ingest)
    meta = parsed.meta
    return [Passage(chunk_id=chunk_id("file", i), text=c.text, source=str(path),
                    title=meta.title, heading_path=c.heading_path, page=c.page, score=0.0,
                    doc_type=meta.doc_type, doc_no=meta.doc_no, date=meta.date, start=c.start,
                    end=c.end)
            for i, c in enumerate(parsed.chunks)]


def set_meta(kb: KnowledgeBase, source: str, status: str | None,
             effective: str | None) -> DocRecord:
    """Set a stored document's status / effective date under the write lock and publish the
    change (generation bump), so other processes see it; returns the record as stored."""
    changes: dict[str, Any] = {}
    if status is not None:
        changes["status"] = "" if status == "未知" else status
    if effective is not None:
        try:
            changes["effective"] = parse_date(effective) if effective.strip() else ""
        except ValueError:
            raise ConfigError(f"--effective {effective!r} is not a date: use YYYY, YYYY-MM or "
                              f"YYYY-MM-DD, or '' to clear it") from None
    with kb.write_lock():
        record = find_record(kb, source)
        if not changes:
            return record
        if "status" in changes:
            changes["extra"] = record.extra | {"status_by": STATUS_BY_META}
        record = replace(record, **changes)
        kb.set_record(record)
        kb.commit()
    return record
