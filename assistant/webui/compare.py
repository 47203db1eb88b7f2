"""The 文件对比 tab's handlers: compare two stored documents and show the result as escaped
Markdown (document text is untrusted; see render.md_escape). No Gradio import here."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.core.errors import PolicyQAError
from assistant.staff.compare.report import CompareReport, compare_documents, export_report
from assistant.webui.render import md_escape

if TYPE_CHECKING:
    from assistant.services import Services

PICK_BOTH = "请选择要对比的两个文件：A 为原文件（或旧版本、上一年度），B 为新文件。"
SAME_FILE = "A 和 B 是同一个文件，请选择另一个文件作为 B。"


def cell_escape(text: str) -> str:
    """One line of literal text, safe in a Markdown table cell."""
    return md_escape(" ".join(text.split()))


def compare_view(services: Services, source_a: str | None, source_b: str | None) -> str:
    """The comparison of A and B as Markdown, or a one-line message saying what to do."""
    result = _compare(services, source_a, source_b)
    if isinstance(result, str):
        return result
    return result.to_markdown(escape=cell_escape)


def compare_export(services: Services, source_a: str | None, source_b: str | None,
                   suffix: str = ".docx") -> tuple[str | None, str]:
    """(path of the exported file or None, status message)."""
    result = _compare(services, source_a, source_b)
    if isinstance(result, str):
        return None, result
    folder = Path(tempfile.mkdtemp(prefix="policyqa-compare-"))
    path = export_report(result, folder / f"文件对比{suffix}")
    return str(path), f"已导出：{path.name}"


def _compare(services: Services, source_a: str | None, source_b: str | None) -> CompareReport | str:
    if not source_a or not source_b:
        return PICK_BOTH
    if source_a == source_b:
        return SAME_FILE
    try:
        return compare_documents(services.kb, source_a, source_b)
    except PolicyQAError as exc:
        return md_escape(str(exc))
