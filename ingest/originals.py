"""原文定位: the original of each stored PDF, kept in the store under its content hash
(`<store>/originals/<doc_hash>.pdf`, and `<doc_hash>.ocr.json` with the OCR boxes of a scan), so
a citation opens on its page even after the source file moved. Written before the document's
record commits; the knowledge base removes it when the document goes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path


def keep_original(path: Path, target: Path, ocr_boxes: list | None) -> None:
    """Copy a PDF (and its OCR boxes) to `target` atomically: a crash leaves no half file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    shutil.copyfile(path, partial)
    os.replace(partial, target)
    boxes = ocr_boxes_path(target)
    if ocr_boxes:
        partial = boxes.with_name(boxes.name + ".part")
        partial.write_text(json.dumps({"unit": "pt", "pages": ocr_boxes}, ensure_ascii=False),
                           encoding="utf-8")
        os.replace(partial, boxes)
    else:
        boxes.unlink(missing_ok=True)


def ocr_boxes_path(original: Path) -> Path:
    return original.with_suffix(".ocr.json")
