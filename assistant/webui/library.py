"""What the 知识库 and 命中测试 tabs do: upload (a per-file report), the document list, delete,
and the retrieval test that shows BM25, dense and fused ranks side by side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.errors import PolicyQAError
from assistant.core.types import DocRecord, SearchFilter
from assistant.documents.library import set_meta
from assistant.webui.files import save_uploads
from assistant.webui.render import STATUS_LABELS, md_escape, retrieval_rows

if TYPE_CHECKING:
    from assistant.services import Services


@dataclass
class IngestOutcome:
    rows: list[list[object]] = field(default_factory=list)
    message: str = ""


class Library:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.max_files = services.settings.ui.max_files

    @property
    def uploads(self) -> Path:
        """Copies of uploaded files: one folder per knowledge base."""
        return self.services.kb.index_folder / "uploads"

    def ingest(self, files: Sequence[str] | None) -> IngestOutcome:
        if not files:
            return IngestOutcome(message="请先选择要上传的文件。")
        if len(files) > self.max_files:
            return IngestOutcome(message=f"一次最多上传 {self.max_files} 个文件（本次 {len(files)} "
                                 "个），请分批上传（上限见设置 ui.max_files）。")
        saved = save_uploads(files, self.uploads)
        rows: list[list[object]] = [[n, "已拒绝", why, 0, ""] for n, why in saved.rejected]
        if saved.paths:
            report = self.services.ingest(saved.paths, progress=True)
            rows += [[Path(r.source).name, STATUS_LABELS.get(r.status, r.status), r.reason,
                      r.chunks, r.title] for r in report.results]
        counts = {label: sum(1 for r in rows if r[1] == label)
                  for label in ("已导入", "未变化", "已跳过", "已拒绝")}
        message = " · ".join(f"{k} {v}" for k, v in counts.items())
        return IngestOutcome(rows, message)

    def delete(self, source: str | None) -> str:
        if not source:
            return "请先选择要删除的文件。"
        record = self.services.kb.find_source(source)
        if not self.services.delete(source):
            return "知识库中没有这个文件。"
        path = Path(source)
        if path.parent.resolve() == self.uploads.resolve() and path.is_file():
            path.unlink()  # our own copy of an upload; files elsewhere are the user's
        title = record.title if record else path.name
        return f"已删除《{title}》。"

    def documents(self) -> list[tuple[str, DocRecord]]:
        rows = [(s, r) for r in self.services.kb.records().values() for s in r.sources]
        return sorted(rows, key=lambda row: (row[1].title, row[0]))

    def document_rows(self) -> list[list[object]]:
        return [[r.title, r.doc_type, r.doc_no, r.date, r.chunks, Path(s).name]
                for s, r in self.documents()]

    def document_choices(self) -> list[tuple[str, str]]:
        return [(f"{r.title}（{Path(s).name}）", s) for s, r in self.documents()]

    def example_questions(self, limit: int = 3) -> list[str]:
        titles = list(dict.fromkeys(r.title for _, r in self.documents() if r.title))
        return [f"《{t}》提出了哪些主要任务？" for t in titles[:limit]]

    def retrieval_test(self, query: str, k: int, filters: SearchFilter) -> list[list[object]]:
        if not (query or "").strip():
            return []
        return retrieval_rows(self.services.search(query.strip(), int(k), filters))

    def set_meta(self, source: str | None, status: str | None, effective: str | None) -> str:
        """Set a document's policy status / 施行日期 (empty fields stay as they are)."""
        if not source:
            return "请先选择文件。"
        date = (effective or "").strip()
        if not status and not date:
            return "请选择政策状态或填写施行日期。"
        try:
            record = set_meta(self.services.kb, source, status or None, date or None)
        except PolicyQAError as exc:
            return md_escape(str(exc))
        return (f"已保存《{md_escape(record.title)}》：状态 {record.status or '未知'} · "
                f"施行日期 {record.effective or '未注明'}。")
