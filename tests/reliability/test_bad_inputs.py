"""The bad-input corpus through the real pipeline, in ONE ingest run next to a document that was
already stored: good files are searchable (no mojibake), every refused file is reported by name
with its reason and leaves nothing in the store, the stored document is untouched."""

from __future__ import annotations

import re
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest
from bad_input_corpus import CASES, Case, available, big_text, build_corpus, ingest_paths
from conftest import speech_services

from assistant.core.errors import StoreError
from assistant.core.settings import Settings
from assistant.services import Services
from ingest.loaders.dispatch import load_document
from ingest.loaders.ocr import ocr_available
from ingest.pipeline import FileResult, IngestReport

MOJIBAKE = re.compile("[\ufffd\u00c0-\u00ff\ue000-\uf8ff]")


@dataclass
class Run:
    services: Services
    folder: Path
    report: IngestReport
    speech_before: tuple[object, list[tuple[str, str]]]

    def result(self, case: Case) -> FileResult:
        path = self.folder / case.file
        source = str(path.resolve()) if path.exists() else str(path)
        found = [r for r in self.report.results if r.source == source]
        assert len(found) == 1, f"{case.file} reported {len(found)} times"
        return found[0]

    def stored_sources(self) -> set[str]:
        return {s for record in self.services.kb.records().values() for s in record.sources}


def doc_chunks(services: Services, doc_hash: str) -> list[tuple[str, str]]:
    return sorted((cid, text) for cid, text, meta in services.kb.store.iter_chunks()
                  if meta.get("doc_hash") == doc_hash)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("bad")
    services = speech_services(root)  # a document stored before the bad inputs arrive
    speech = services.kb.find_source(services.source)
    assert speech is not None
    before = (speech, doc_chunks(services, speech.doc_hash))
    folder = root / "收文"
    cases = build_corpus(folder)
    report = services.ingest(ingest_paths(folder, cases))
    return Run(services, folder, report, before)


def expected_outcome(case: Case) -> str:
    if case.outcome == "ocr":
        return "ingested" if ocr_available() else "skipped"
    return case.outcome


@pytest.mark.parametrize("case", [c for c in CASES if c.outcome != "walked"],
                         ids=lambda c: c.name)
def test_each_bad_input_is_ingested_or_refused_with_its_reason(run: Run, case: Case) -> None:
    if available(case):
        pytest.skip(available(case))
    result = run.result(case)
    outcome = expected_outcome(case)
    if outcome == "skipped":
        pattern = case.expect if case.outcome != "ocr" else "需先OCR|需OCR"
        assert result.status == "skipped" and re.search(pattern, result.reason), result
        assert "\n" not in result.reason
        assert result.source not in run.stored_sources()  # nothing stored for it
        return
    if outcome == "linked":
        assert (result.status, result.reason) == ("unchanged", "linked")
    else:
        assert result.status == "ingested" and result.chunks > 0, result
    record = run.services.kb.find_source(result.source)
    assert record is not None
    hits = [p for p in run.services.search(case.expect, k=5)
            if p.chunk_id.startswith(record.doc_hash) and case.expect in p.text]
    assert hits, f"{case.expect!r} not found after ingesting {case.file}"
    assert not MOJIBAKE.search(hits[0].text), hits[0].text


def test_same_content_under_two_names_is_stored_once_with_both_names(run: Run) -> None:
    first, second = (run.folder / name for name in ("重复-一.txt", "重复-二.txt"))
    record = run.services.kb.find_source(str(first.resolve()))
    assert record is not None
    assert record.sources[-2:] == (str(first.resolve()), str(second.resolve()))
    copies = [doc_hash for doc_hash in run.services.kb.records() if any(
        "两个名字保存只存储一次" in text for _, text in doc_chunks(run.services, doc_hash))]
    assert copies == [record.doc_hash]


def test_a_symlink_loop_is_walked_once(run: Run) -> None:
    sources = [r.source for r in run.report.results]
    assert len(sources) == len(set(sources))
    assert not any("循环" in source for source in sources)


def test_the_store_holds_only_what_was_ingested(run: Run) -> None:
    ok = {r.source for r in run.report.results if r.status in ("ingested", "unchanged")}
    assert run.stored_sources() == ok | {run.services.source}
    records = run.services.kb.records()
    hashes = [meta["doc_hash"] for _, _, meta in run.services.kb.store.iter_chunks(False)]
    assert set(hashes) == set(records)  # no chunk of a refused file, no orphans
    assert len(hashes) == sum(r.chunks for r in records.values())


def test_the_document_stored_before_is_untouched(run: Run) -> None:
    record, chunks = run.speech_before
    assert run.services.kb.find_source(run.services.source) == record
    assert doc_chunks(run.services, record.doc_hash) == chunks  # type: ignore[attr-defined]
    assert run.report.exit_code == 0


def test_long_unpunctuated_lines_are_cut_within_the_chunk_limit(run: Run) -> None:
    record = run.services.kb.find_source(str((run.folder / "无标点长行.txt").resolve()))
    assert record is not None and record.chunks >= 8
    limit = run.services.settings.ingest.max_chars
    assert all(len(text) <= limit for _, text in doc_chunks(run.services, record.doc_hash))


def test_a_50_mb_text_file_is_refused_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "超大文件.txt"
    big_text(50)(path)
    tracemalloc.start()
    try:
        with pytest.raises(Exception, match=r"50\.\d MB.*limit 20\.0 MB.*ingest\.max_text_mb"):
            load_document(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"peak {peak / 1e6:.1f} MB while refusing a 50 MB file"


def test_a_store_path_that_is_a_file_is_refused_with_advice(tmp_path: Path) -> None:
    store = tmp_path / "kb"
    store.write_text("not a folder", encoding="utf-8")
    doc = tmp_path / "通知.txt"
    doc.write_text("关于开展安全检查的通知", encoding="utf-8")
    services = Services(Settings(store={"path": store}, embedding={"mode": "hash"}))
    with pytest.raises(StoreError, match=r"is a file, not a folder: pass a folder path"):
        services.ingest([doc])
    assert store.read_text(encoding="utf-8") == "not a folder"
