"""Incremental, atomic ingest and hybrid search over a real Chroma store (hash embeddings)."""

import shutil
from pathlib import Path

import pytest

from assistant.core.errors import StoreError
from assistant.core.settings import Settings
from assistant.core.types import SearchFilter
from assistant.services import Services
from vectorstore.embeddings.hashing import HashEmbeddings

DATA = Path(__file__).parent.parent / "data"

NOTICE = """关于做好秋季森林防火工作的通知
X政办〔2023〕21号
各县（市）人民政府，市直各单位：
一、严格火源管控
各县（市）要在9月底前完成林区火源隐患排查，林业部门负责牵头。
二、加强队伍建设
每个乡镇要组建不少于20人的半专业扑火队伍。
XX市人民政府办公室
2023年9月1日
"""


class CountingEmbeddings(HashEmbeddings):
    def __init__(self):
        super().__init__()
        self.embedded = 0

    def embed_documents(self, texts):
        self.embedded += len(texts)
        return super().embed_documents(texts)


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(DATA / "speech.txt", folder / "乡村振兴推进会讲话.txt")
    (folder / "森林防火通知.txt").write_text(NOTICE, encoding="utf-8")
    return folder


def make_services(tmp_path, embeddings=None):
    settings = Settings(store={"path": tmp_path / "kb"}, embedding={"mode": "hash", "cache": False})
    return Services(settings, embeddings=embeddings or CountingEmbeddings())


def bm25_sources(services):
    services.kb.ensure_bm25()
    hashes = {i.rsplit("-", 1)[0] for i in services.kb.bm25.chunk_ids()}
    return {s for h in hashes for s in services.kb.records()[h].sources}


def test_ingest_then_search_finds_the_passage_with_its_heading(tmp_path, docs):
    services = make_services(tmp_path)
    report = services.ingest([docs])
    assert (report.count("ingested"), report.exit_code) == (2, 0)
    top = services.search("农村卫生厕所普及率要达到多少", k=3)[0]
    assert "85%" in top.text
    assert "（二）改善农村人居环境" in top.heading
    assert top.title == "乡村振兴推进会讲话"
    assert top.bm25_rank is not None and top.dense_rank is not None


def test_unchanged_reingest_embeds_nothing(tmp_path, docs):
    services = make_services(tmp_path)
    services.ingest([docs])
    embedder = services.embeddings
    before = embedder.embedded
    report = make_services(tmp_path, embedder).ingest([docs])
    assert report.count("unchanged") == 2
    assert embedder.embedded == before


def test_changed_document_replaces_its_chunks_in_both_indexes(tmp_path, docs):
    services = make_services(tmp_path)
    services.ingest([docs])
    notice = docs / "森林防火通知.txt"
    notice.write_text(NOTICE.replace("不少于20人", "不少于35人"), encoding="utf-8")
    report = services.ingest([notice])
    assert report.count("ingested") == 1
    assert len(services.kb.records()) == 2
    texts = [p.text for p in services.search("半专业扑火队伍人数", k=10)]
    assert any("35人" in t for t in texts)
    assert not any("20人" in t for t in texts)
    chroma_texts = [body for _, body, _ in services.kb.store.iter_chunks()]
    assert not any("不少于20人" in t for t in chroma_texts)


def test_delete_removes_the_document_from_chroma_and_bm25(tmp_path, docs):
    services = make_services(tmp_path)
    services.ingest([docs])
    source = str((docs / "森林防火通知.txt").resolve())
    assert source in bm25_sources(services)
    assert services.delete(source)
    assert source not in bm25_sources(services)
    assert all("扑火" not in body for _, body, _ in services.kb.store.iter_chunks())
    assert not services.delete(source)


def test_same_content_under_two_paths_is_stored_once(tmp_path, docs):
    services = make_services(tmp_path)
    copy = docs / "副本.txt"
    copy.write_text(NOTICE, encoding="utf-8")
    services.ingest([docs])
    record = services.kb.find_source(str(copy.resolve()))
    assert len(record.sources) == 2
    chunks_before = services.kb.store.chunks.count()
    services.delete(str(copy.resolve()))
    assert services.kb.store.chunks.count() == chunks_before  # the other path keeps them
    services.delete(str((docs / "森林防火通知.txt").resolve()))
    assert services.kb.store.chunks.count() < chunks_before


def test_metadata_filters_restrict_both_rankings(tmp_path, docs):
    services = make_services(tmp_path)
    services.ingest([docs])
    only_notice = SearchFilter(doc_type="通知")
    hits = services.search("县（市）要在什么时候前完成", k=10, filters=only_notice)
    assert hits and all(p.title.startswith("关于做好秋季森林防火") for p in hits)
    assert services.search("扑火队伍", filters=SearchFilter(since="2024")) == []
    dated = services.search("扑火队伍", filters=SearchFilter(since="2023-09", until="2023"))
    assert dated and dated[0].date == "2023-09-01"


def test_crash_between_chunks_and_record_leaves_no_trace(tmp_path, docs):
    services = make_services(tmp_path)
    services.ingest([docs / "乡村振兴推进会讲话.txt"])
    pipeline = services.pipeline()
    path = docs / "森林防火通知.txt"
    record, chunks = pipeline.prepare(path, str(path.resolve()), "deadbeef" * 4)
    vectors = pipeline.embed(record, chunks)
    ids = [f"{record.doc_hash}-{i:05d}" for i in range(len(chunks))]
    services.kb.store.add_chunks(ids, vectors, [c.text for c in chunks],
                                 [{"doc_hash": record.doc_hash}] * len(chunks))  # no record: crash
    assert all("扑火" not in p.text for p in services.search("扑火队伍", k=10))
    services.ingest([docs])  # the next write purges the orphans, then ingests for real
    hashes = {m["doc_hash"] for _, _, m in services.kb.store.iter_chunks()}
    assert "deadbeef" * 4 not in hashes
    assert len(services.kb.records()) == 2


def test_another_process_writing_reaches_the_bm25_index(tmp_path, docs):
    reader = make_services(tmp_path)
    reader.ingest([docs / "乡村振兴推进会讲话.txt"])
    assert not any("扑火" in p.text for p in reader.search("扑火队伍", k=5))
    make_services(tmp_path).ingest([docs / "森林防火通知.txt"])
    assert any("扑火" in p.text for p in reader.search("扑火队伍", k=5))


def test_opening_a_store_with_another_embedding_model_is_refused(tmp_path, docs):
    make_services(tmp_path).ingest([docs])

    class Other(HashEmbeddings):
        identity = "hash:other:512"

    with pytest.raises(StoreError, match="embedding model"):
        _ = make_services(tmp_path, Other()).kb


def test_store_path_that_is_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "kb").write_text("x")
    with pytest.raises(StoreError, match="not a folder"):
        _ = make_services(tmp_path).kb


def test_nothing_ingestable_gives_exit_code_1(tmp_path):
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    (tmp_path / "notes.xyz").write_text("x", encoding="utf-8")
    report = make_services(tmp_path).ingest([tmp_path / "empty.txt", tmp_path / "notes.xyz"])
    assert report.exit_code == 1
    assert report.count("skipped") == 2
    assert "empty.txt" in report.summary() and "notes.xyz" in report.summary()
