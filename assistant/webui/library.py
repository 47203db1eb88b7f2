"""What the 知识库 and 命中测试 tabs do: upload (a per-file report, streamed while it runs), the
document list, delete, and the retrieval test that shows BM25, dense and fused ranks side by
side."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.errors import PolicyQAError
from assistant.core.types import DocRecord, SearchFilter
from assistant.documents.library import set_meta
from assistant.webui.files import save_uploads
from assistant.webui.render import STATUS_LABELS, md_escape, retrieval_rows
from ingest.progress import FileResult, IngestReport, Progress

if TYPE_CHECKING:
    from assistant.services import Services


@dataclass
class IngestOutcome:
    rows: list[list[object]] = field(default_factory=list)
    message: str = ""


def _row(result: FileResult) -> list[object]:
    return [Path(result.source).name, STATUS_LABELS.get(result.status, result.status),
            result.reason, result.chunks, result.title]


class _Watch(Progress):
    """The progress of an upload ingesting on another thread, for the page to poll."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = threading.Event()
        self._done = threading.Event()
        self._finished: list[FileResult] = []
        self._outcome: IngestReport | BaseException | None = None

    def run(self, ingest: Callable[[], IngestReport]) -> None:
        try:
            self._outcome = ingest()
        except BaseException as exc:  # noqa: BLE001 - raised again on the page's thread
            self._outcome = exc
        finally:
            self._done.set()
            self._changed.set()

    def wait(self) -> bool:
        """Block until something changed (or a second passed); False once the run is over."""
        if self._done.is_set():
            return False
        self._changed.wait(timeout=1.0)
        self._changed.clear()
        return not self._done.is_set()

    def report(self) -> IngestReport:
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        assert self._outcome is not None
        return self._outcome

    def rows(self) -> list[list[object]]:
        return [_row(r) for r in list(self._finished)]

    def message(self) -> str:
        return "  \n".join(["正在导入：" + self.status(), *self.notices])

    def chunked(self, name: str, chunks: int) -> None:
        super().chunked(name, chunks)
        self._changed.set()

    def embedded(self, chunks: int, seconds: float) -> None:
        super().embedded(chunks, seconds)
        self._changed.set()

    def file_done(self, result: FileResult) -> None:
        super().file_done(result)
        self._finished.append(result)
        self._changed.set()


class Library:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.max_files = services.settings.ui.max_files

    @property
    def uploads(self) -> Path:
        """Copies of uploaded files: one folder per knowledge base."""
        return self.services.kb.index_folder / "uploads"

    def ingest(self, files: Sequence[str] | None) -> Iterator[IngestOutcome]:
        """The upload's report while it runs (files and chunks done, rate, time left, long
        files announced), then the final per-file report."""
        if not files:
            yield IngestOutcome(message="请先选择要上传的文件。")
            return
        if len(files) > self.max_files:
            yield IngestOutcome(message=f"一次最多上传 {self.max_files} 个文件（本次 {len(files)} "
                                "个），请分批上传（上限见设置 ui.max_files）。")
            return
        saved = save_uploads(files, self.uploads)
        rows: list[list[object]] = [[n, "已拒绝", why, 0, ""] for n, why in saved.rejected]
        if saved.paths:
            watch = _Watch()
            running = threading.Thread(target=watch.run, daemon=True, name="upload-ingest",
                                       args=(lambda: self.services.ingest(saved.paths, watch),))
            running.start()
            while watch.wait():
                yield IngestOutcome(rows + watch.rows(), watch.message())
            running.join()
            rows += [_row(r) for r in watch.report().results]
        counts = {label: sum(1 for r in rows if r[1] == label)
                  for label in ("已导入", "未变化", "已跳过", "已拒绝")}
        message = " · ".join(f"{k} {v}" for k, v in counts.items())
        yield IngestOutcome(rows, message)

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
