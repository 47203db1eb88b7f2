"""Files the web page writes: uploaded copies, the feedback log, conversation exports.

An uploaded file's name is never used as a path: it is reduced to a safe base name (Chinese
kept; folders, `..`, control and reserved characters dropped) inside `<store>/uploads/`.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.staff.forms import FORM_TITLES

MAX_UPLOAD_MB = 50
UPLOAD_TYPES = (".txt", ".md", ".pdf", ".docx")
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_MAX_NAME = 120


@dataclass(frozen=True)
class Turn:
    """One question and what the page answered, kept for feedback and export."""

    question: str
    answer: str
    sources: tuple[str, ...] = ()
    form: str = "qa"
    backend: str = ""
    refused: bool = False


@dataclass
class SavedUploads:
    paths: list[Path] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)


def safe_name(name: str) -> str:
    """A file name that stays inside its folder: 《通知》.docx stays, ../../x becomes x."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    base = _UNSAFE.sub("_", base).replace("..", "").strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[: _MAX_NAME - len(suffix) - 1] or "upload"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def save_uploads(files: Sequence[str | Path], folder: Path,
                 max_mb: float = MAX_UPLOAD_MB) -> SavedUploads:
    """Copy uploads (Gradio temp paths) into `folder`; oversize or unknown types are refused."""
    folder.mkdir(parents=True, exist_ok=True)
    saved = SavedUploads()
    for item in files:
        src = Path(item)
        name = safe_name(src.name)
        reason = _refusal(src, name, max_mb)
        if reason:
            saved.rejected.append((name, reason))
            continue
        target = folder / name
        if target.resolve().parent != folder.resolve():  # e.g. a symlink planted in uploads/
            saved.rejected.append((name, "文件名不可用，请改名后重新上传"))
            continue
        shutil.copyfile(src, target)
        saved.paths.append(target)
    return saved


def _refusal(src: Path, name: str, max_mb: float) -> str:
    if Path(name).suffix not in UPLOAD_TYPES:
        return "不支持的文件类型（支持 " + "、".join(UPLOAD_TYPES) + "）"
    if src.stat().st_size > max_mb * 1024 * 1024:
        return f"文件超过 {max_mb:g} MB 上限"
    return ""


class FeedbackLog:
    """👍/👎 with who gave it, the question, answer and sources, one JSON line each (no
    settings, keys or passwords)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def add(self, turn: Turn, liked: bool, user: str = "") -> dict[str, object]:
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "user": user,
                  "rating": "up" if liked else "down", **asdict(turn)}
        record["mode"] = record.pop("form")  # the feedback file's field name since round one
        record["sources"] = list(turn.sources)
        line = json.dumps(record, ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        return record


# --- export -----------------------------------------------------------------------------------


def conversation_markdown(turns: Sequence[Turn]) -> str:
    lines = ["# 政策问答记录", "", f"导出时间：{time.strftime('%Y-%m-%d %H:%M')}", ""]
    for i, turn in enumerate(turns, 1):
        lines += [f"## {i}. {turn.question}", "", f"*{FORM_TITLES.get(turn.form, turn.form)}*",
                  "", turn.answer, ""]
        if turn.sources:
            lines += ["**来源**", ""] + [f"- {s}" for s in turn.sources] + [""]
    return "\n".join(lines)


def conversation_docx(turns: Sequence[Turn], path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.add_heading("政策问答记录", level=0)
    doc.add_paragraph(f"导出时间：{time.strftime('%Y-%m-%d %H:%M')}")
    for i, turn in enumerate(turns, 1):
        doc.add_heading(f"{i}. {turn.question}", level=1)
        for line in turn.answer.splitlines() or [""]:
            doc.add_paragraph(line)
        if turn.sources:
            doc.add_paragraph().add_run("来源").bold = True
            for source in turn.sources:
                doc.add_paragraph(source, style="List Bullet")
    doc.save(str(path))
    return path


def export_conversation(turns: Sequence[Turn]) -> list[str]:
    """Write 政策问答记录-<time>.md and .docx into a fresh temp folder; return both paths."""
    folder = Path(tempfile.mkdtemp(prefix="policyqa-export-"))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    md = folder / f"政策问答记录-{stamp}.md"
    md.write_text(conversation_markdown(turns), encoding="utf-8")
    docx = conversation_docx(turns, folder / f"政策问答记录-{stamp}.docx")
    return [str(md), str(docx)]
