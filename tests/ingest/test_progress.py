"""Ingest says what it is doing while it runs (files and chunks, rate, a long file announced
before it embeds), embeds in batches sorted by length, and parses the next files on a second
thread without changing what is stored."""

import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from bad_input_corpus import unpunctuated_text

from assistant.cli.main import main
from assistant.core.errors import PolicyQAError
from assistant.core.settings import Settings
from assistant.core.types import indexed_text
from assistant.services import Services
from ingest.progress import Progress
from vectorstore.embeddings.hashing import HashEmbeddings

DATA = Path(__file__).resolve().parents[1] / "data"
LONG_NAME = "无标点长文.txt"


@pytest.fixture
def long_file(tmp_path) -> Path:
    path = tmp_path / "docs" / LONG_NAME
    path.parent.mkdir()
    path.write_text(unpunctuated_text(240_000), encoding="utf-8")
    return path


class Recorder(Progress):
    def __init__(self):
        super().__init__()
        self.events: list[tuple] = []

    def chunked(self, name, chunks):
        super().chunked(name, chunks)
        self.events.append(("chunked", name, chunks))

    def embedded(self, chunks, seconds):
        super().embedded(chunks, seconds)
        self.events.append(("embedded", chunks, self.status()))

    def notice(self, text):
        super().notice(text)
        self.events.append(("notice", text))

    def file_done(self, result):
        super().file_done(result)
        self.events.append(("done", Path(result.source).name, result.status))


def hash_services(store: Path, embeddings=None, batch_size: int = 16, **ingest) -> Services:
    settings = Settings(store={"path": store}, ingest=ingest,
                        embedding={"mode": "hash", "cache": False, "batch_size": batch_size})
    return Services(settings, embeddings=embeddings or HashEmbeddings())


def test_a_long_file_is_announced_then_its_chunks_counted_as_they_embed(tmp_path, long_file):
    progress = Recorder()
    report = hash_services(tmp_path / "kb").ingest([long_file], progress=progress)
    chunks = report.chunks
    assert chunks >= 200  # long enough to be announced
    kinds = [e[0] for e in progress.events]
    assert progress.events[0] == ("chunked", LONG_NAME, chunks)
    assert kinds.count("embedded") >= chunks // 16  # one step per batch, not one per file
    notice = next(e[1] for e in progress.events if e[0] == "notice")
    assert re.fullmatch(rf"{LONG_NAME}：{chunks:,} 段，预计 \d+ (秒|分钟)", notice)
    assert kinds.index("notice") < len(kinds) - 2  # said while most chunks were still to embed
    statuses = [e[2] for e in progress.events if e[0] == "embedded"]
    assert statuses[0].startswith(f"文件 0/1 · 段落 16/{chunks:,} · ")
    assert "段/秒 · 约剩" in statuses[0]
    assert progress.events[-1] == ("done", LONG_NAME, "ingested")


def test_the_cli_shows_chunk_progress_of_a_long_file_before_it_ends(tmp_path, long_file,
                                                                   monkeypatch, capsys):
    monkeypatch.setenv("POLICYQA_EMBEDDING__MODE", "hash")
    hashing = HashEmbeddings.embed_documents

    def as_slow_as_a_model(self, texts):  # tqdm draws at most every 0.1 s
        time.sleep(0.12)
        return hashing(self, texts)

    monkeypatch.setattr(HashEmbeddings, "embed_documents", as_slow_as_a_model)
    assert main(["ingest", str(long_file), "--store", str(tmp_path / "kb")]) == 0
    out, err = capsys.readouterr()
    chunks = int(re.search(r"chunks (\d+)", out).group(1))
    total = f"/{chunks}"
    assert re.search(rf"chunks: +\d+%.*\| 16{total} \[", err), err[-500:]
    notice = err.index(f"{LONG_NAME}：{chunks:,} 段，预计")
    assert notice < err.index(f"{chunks}{total} [")
    assert re.search(r"files : +\d+%.*\| 0/1 \[", err)


class Recording(HashEmbeddings):
    batch_size = 4

    def __init__(self):
        super().__init__()
        self.calls: list[list[str]] = []

    def embed_documents(self, texts):
        self.calls.append(list(texts))
        return super().embed_documents(texts)


def test_batches_are_sorted_by_length_and_each_vector_lands_on_its_chunk(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DATA / "speech.txt", docs / "乡村振兴推进会讲话.txt")
    recording = Recording()
    services = hash_services(tmp_path / "kb", recording, parse_ahead=0)
    services.ingest([docs])
    lengths = [len(t) for call in recording.calls for t in call]
    assert len(recording.calls) > 1 and all(len(call) <= 4 for call in recording.calls)
    assert lengths == sorted(lengths) and len(set(lengths)) > 1
    got = services.kb.store.chunks.get(include=["embeddings", "documents", "metadatas"])
    for body, meta, vector in zip(got["documents"], got["metadatas"], got["embeddings"],
                                  strict=True):
        text = indexed_text(meta["title"], meta["heading"], body)
        assert np.allclose(vector, HashEmbeddings().embed_query(text), atol=1e-6)


def write_notices(docs: Path, n: int, section: str = "") -> Path:
    """`n` short notices, 通知0.txt …, each with one dated task (`section`: a heading line)."""
    docs.mkdir()
    for i in range(n):
        text = f"关于第{i}批任务的通知\n{section}各县要在{i + 1}月底前完成第{i}批任务。\n"
        (docs / f"通知{i}.txt").write_text(text, encoding="utf-8")
    return docs


def test_parsing_ahead_stores_exactly_what_one_after_the_other_stores(tmp_path):
    docs = write_notices(tmp_path / "docs", 6, section="一、工作要求\n")
    shutil.copy(docs / "通知0.txt", docs / "通知0-副本.txt")  # same content: linked, not parsed

    def stored(services):
        records = services.kb.records().values()
        return sorted((r.doc_hash, r.chunks, sorted(Path(s).name for s in r.sources))
                      for r in records)

    ahead = hash_services(tmp_path / "ahead", parse_ahead=3)
    inline = hash_services(tmp_path / "inline", parse_ahead=0)
    reports = [s.ingest([docs]) for s in (ahead, inline)]
    assert [(r.source, r.status, r.reason) for r in reports[0].results] == \
        [(r.source, r.status, r.reason) for r in reports[1].results]
    assert stored(ahead) == stored(inline) and len(stored(ahead)) == 6


def test_an_error_on_the_parsing_thread_stops_the_ingest_instead_of_hanging(tmp_path,
                                                                          monkeypatch):
    import ingest.pipeline

    def broken(path, settings):
        raise RuntimeError(f"parser bug on {path.name}")

    monkeypatch.setattr(ingest.pipeline, "parse_document", broken)
    (tmp_path / "通知.txt").write_text("关于防汛的通知\n各县要做好准备。\n", encoding="utf-8")
    services = hash_services(tmp_path / "kb", parse_ahead=2)
    with pytest.raises(RuntimeError, match="parser bug on 通知.txt"):
        services.ingest([tmp_path / "通知.txt"])
    assert services.kb.records() == {}


def test_small_documents_are_embedded_together_and_reported_in_file_order(tmp_path):
    docs = write_notices(tmp_path / "docs", 6)
    recording = Recording()  # batches of 4
    report = hash_services(tmp_path / "kb", recording).ingest([docs])
    assert [Path(r.source).name for r in report.results] == [f"通知{i}.txt" for i in range(6)]
    assert report.count("ingested") == 6 and report.chunks == 6
    assert [len(call) for call in recording.calls] == [4, 2]  # one pool, not six calls


class Slow(HashEmbeddings):
    """An embedder that takes a while per call, and fails on a text holding `fail_on`."""

    def __init__(self, fail_on: str = ""):
        super().__init__()
        self.fail_on = fail_on

    def embed_documents(self, texts):
        time.sleep(0.1)
        if self.fail_on and any(self.fail_on in t for t in texts):
            raise PolicyQAError(f"embedder refused {self.fail_on}")
        return super().embed_documents(texts)


def test_a_pool_the_embedder_refuses_is_skipped_and_the_others_are_stored(tmp_path,
                                                                          monkeypatch):
    import ingest.pipeline

    monkeypatch.setattr(ingest.pipeline, "POOL_CHUNKS", 2)
    docs = write_notices(tmp_path / "docs", 6)
    services = hash_services(tmp_path / "kb", Slow(fail_on="第3批"), batch_size=2)
    report = services.ingest([docs])
    status = {Path(r.source).name: (r.status, r.reason) for r in report.results}
    assert status["通知2.txt"] == status["通知3.txt"] == ("skipped", "embedder refused 第3批")
    assert [n for n, (s, _) in status.items() if s == "ingested"] == \
        ["通知0.txt", "通知1.txt", "通知4.txt", "通知5.txt"]
    assert len(services.kb.records()) == 4
