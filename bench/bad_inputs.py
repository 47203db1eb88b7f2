"""The bad-input corpus through the real pipeline: what happened to each file, and OCR speed.

    .venv/bin/python bench/bad_inputs.py [--ocr-repeats 3]

Builds tests/bad_input_corpus.py's cases in a temporary folder, ingests them in one run (hash
embedder) and prints the markdown table "case | file | outcome | message"; then the seconds per
page of OCR (render + RapidOCR) on a full A4 page of Chinese print, median of --ocr-repeats.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bad_input_corpus import CASES, Case, available, build_corpus, ingest_paths  # noqa: E402

from assistant.core.errors import PolicyQAError  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from assistant.services import Services  # noqa: E402
from ingest.loaders.dispatch import load_document  # noqa: E402
from ingest.loaders.ocr import ocr_available  # noqa: E402
from ingest.pipeline import IngestReport  # noqa: E402

A4_LINES = 28


def corpus_rows(work: Path) -> list[tuple[str, str, str, str]]:
    folder = work / "收文"
    built = build_corpus(folder)
    services = Services(Settings(store={"path": work / "kb"}, embedding={"mode": "hash"}))
    start = time.perf_counter()
    report = services.ingest(ingest_paths(folder, built))
    print(f"one ingest run over {len(built)} cases: {time.perf_counter() - start:.1f} s, "
          f"{report.summary().splitlines()[0]}\n")
    rows = [_row(case, folder, report) for case in CASES]
    rows += [_ocr_off_row(case, folder) for case in built if case.outcome == "ocr"]
    rows.append(_store_is_a_file_row(work))
    return rows


def _row(case: Case, folder: Path, report: IngestReport) -> tuple[str, str, str, str]:
    if available(case):
        return case.name, case.file, "not run", available(case)
    path = folder / case.file
    source = str(path.resolve()) if path.exists() else str(path)
    results = [r for r in report.results if r.source == source]
    if case.outcome == "walked":
        walked = sum("循环" in r.source for r in report.results)
        return case.name, case.file, "walked once", f"{walked} files reached through the link"
    result = results[0]
    outcome = "linked" if result.reason == "linked" else result.status
    message = result.reason if result.status == "skipped" else f"{result.chunks} chunks"
    return case.name, case.file, outcome, message


def _ocr_off_row(case: Case, folder: Path) -> tuple[str, str, str, str]:
    try:
        load_document(folder / case.file, ocr="off")
        return f"{case.name}, ingest.ocr=off", case.file, "ingested", ""
    except PolicyQAError as exc:
        return f"{case.name}, no ocr extra / ingest.ocr=off", case.file, "skipped", str(exc)


def _store_is_a_file_row(work: Path) -> tuple[str, str, str, str]:
    store = work / "kb-file"
    store.write_text("x", encoding="utf-8")
    services = Services(Settings(store={"path": store}, embedding={"mode": "hash"}))
    try:
        services.ingest([work / "收文"])
        return "store path is a file", store.name, "ingested?", ""
    except PolicyQAError as exc:
        return "store path is a file", store.name, "refused", str(exc)


def ocr_seconds_per_page(work: Path, repeats: int) -> list[float]:
    from bad_input_corpus import scanned_pdf

    line = "各地区各部门要结合实际认真贯彻落实耕地保护制度严禁耕地非农化"
    path = work / "a4.pdf"
    scanned_pdf("\n".join(f"{n}、{line}" for n in range(1, A4_LINES + 1)))(path)
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        text = load_document(path).page_content
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(f"A4 page OCR read {text.count('耕地保护制度')} of {A4_LINES} lines intact; CPU s per "
          f"page: {', '.join(f'{t:.1f}' for t in cpu)} (wall depends on what else runs)")
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ocr-repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows = corpus_rows(work)
        print("| case | file | outcome | message |\n|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        if ocr_available() and args.ocr_repeats > 0:
            start = time.perf_counter()
            times = ocr_seconds_per_page(work, args.ocr_repeats)
            median = statistics.median(times)
            print(f"\nOCR of one A4-like page ({A4_LINES} lines): median {median:.1f} s"
                  f" (runs {', '.join(f'{t:.1f}' for t in times)}; first includes model load); "
                  f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
