"""The BM25 index kept in step with the registry: only changed documents are tokenised, other
processes' commits arrive through the change log, crashes between a record and its index write
heal on the next open, and a store from the bm25s era gets its index built once."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import vectorstore.index_sync as index_sync
from assistant.core.settings import Settings
from assistant.services import Services
from vectorstore.bm25_index import BM25Index
from vectorstore.index_sync import catch_up
from vectorstore.tokenize import Tokenizer

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent.parent / "data"
NOTICE = """关于做好秋季森林防火工作的通知
一、严格火源管控
各县（市）要在9月底前完成林区火源隐患排查，林业部门负责牵头。
二、加强队伍建设
每个乡镇要组建不少于20人的半专业扑火队伍。
"""
QUESTION = "每个乡镇要组建多少人的半专业扑火队伍"


class CountingTokenizer(Tokenizer):
    def __init__(self):
        super().__init__()
        self.texts = []

    def tokens(self, text):
        if text != "预热":  # Services warms jieba up with this word
            self.texts.append(text)
        return super().tokens(text)


def settings_at(store: Path) -> Settings:
    return Settings(store={"path": store}, embedding={"mode": "hash", "cache": False})


def services_at(store: Path, tokenizer: Tokenizer | None = None) -> Services:
    services = Services(settings_at(store))
    if tokenizer is not None:
        services.__dict__["tokenizer"] = tokenizer
    return services


def notices(folder: Path, n: int) -> Path:
    folder.mkdir(exist_ok=True)
    for i in range(n):
        body = "".join(f"（{j}）第{i}批第{j}项工作要在{j % 12 + 1}月底前完成。\n"
                       for j in range(30))
        (folder / f"通知{i}.txt").write_text(f"关于第{i}批工作的通知\n一、工作要求\n{body}",
                                             encoding="utf-8")
    return folder


def test_a_changed_document_is_the_only_one_tokenised(tmp_path):
    docs = notices(tmp_path / "docs", 8)
    services_at(tmp_path / "kb").ingest([docs])
    changed = docs / "通知3.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "（30）新增一项要求。\n", "utf-8")
    tokenizer = CountingTokenizer()
    services = services_at(tmp_path / "kb", tokenizer)  # a new process
    report = services.ingest([docs])
    assert (report.count("ingested"), report.count("unchanged")) == (1, 7)
    assert len(tokenizer.texts) == report.chunks  # the changed document's chunks, no others
    hits = services.search("新增一项要求", k=1)
    assert "新增一项要求" in hits[0].text and hits[0].bm25_rank == 1


def test_another_process_commits_arrive_through_the_change_log(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DATA / "speech.txt", docs / "乡村振兴推进会讲话.txt")
    writer = services_at(tmp_path / "kb")
    writer.ingest([docs])
    kb = writer.kb
    other = BM25Index(tmp_path / "node2" / "bm25.sqlite", writer.tokenizer.fingerprint())
    first = catch_up(other, kb.store, kb.records(), writer.tokenizer.tokens,
                     kb.store.generation())
    assert first.compared and first.indexed == kb.store.chunks.count()  # a new index: built

    (docs / "森林防火通知.txt").write_text(NOTICE, encoding="utf-8")
    report = writer.ingest([docs])
    kb.ensure_bm25()
    later = catch_up(other, kb.store, kb.records(), writer.tokenizer.tokens,
                     kb.store.generation())
    assert (later.changes, later.indexed, later.compared) == (1, report.chunks, False)
    assert other.top(writer.tokenizer.tokens(QUESTION), 1)[0][0] in other.chunk_ids()
    assert writer.delete(str((docs / "森林防火通知.txt").resolve()))
    kb.ensure_bm25()
    gone = catch_up(other, kb.store, kb.records(), writer.tokenizer.tokens,
                    kb.store.generation())
    assert (gone.changes, gone.removed, gone.indexed) == (1, report.chunks, 0)
    assert sorted(other.chunk_ids()) == sorted(kb.bm25.chunk_ids())


CRASH = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from assistant.core.settings import Settings
    from assistant.services import Services
    from vectorstore.chroma_store import ChromaStore

    store, docs, where = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    put, delete = ChromaStore.put_record, ChromaStore.delete_record

    def put_then_die(self, record):
        if where == "before-record":
            os._exit(17)
        put(self, record)
        if where == "after-record":
            os._exit(17)  # the record is committed, the index transaction is not

    def die_before_uncommit(self, doc_hash):
        os._exit(17)  # the index has dropped the document, its record is still there

    ChromaStore.put_record = put_then_die
    ChromaStore.delete_record = die_before_uncommit
    services = Services(Settings(store={"path": store}, embedding={"mode": "hash"}))
    if where == "before-uncommit":
        services.delete(str(docs.resolve()))
    else:
        services.ingest([docs])
""")


def crash(store: Path, doc: Path, where: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", CRASH, str(store), str(doc), where], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 17, done.stderr[-2000:]


def indexed_docs(store: Path) -> set[str]:
    index = BM25Index(store / "lexical" / "bm25.sqlite", Tokenizer().fingerprint())
    return {cid.rsplit("-", 1)[0] for cid in index.chunk_ids()}


@pytest.fixture
def store_with_speech(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DATA / "speech.txt", docs / "乡村振兴推进会讲话.txt")
    services_at(tmp_path / "kb").ingest([docs])
    notice = docs / "森林防火通知.txt"
    notice.write_text(NOTICE, encoding="utf-8")
    return tmp_path / "kb", notice


def test_crash_before_the_record_leaves_the_document_out_of_the_index(store_with_speech):
    store, notice = store_with_speech
    before = indexed_docs(store)
    crash(store, notice, "before-record")
    assert indexed_docs(store) == before  # the index transaction never committed
    assert all("扑火" not in p.text for p in services_at(store).search(QUESTION, k=5))


def test_crash_between_record_and_index_heals_on_the_next_open(store_with_speech):
    store, notice = store_with_speech
    before = indexed_docs(store)
    crash(store, notice, "after-record")
    services = services_at(store)
    committed = {h for h, r in services.kb.records().items() if str(notice.resolve()) in r.sources}
    assert committed and indexed_docs(store) == before  # committed, but not indexed yet
    top = services.search(QUESTION, k=3)[0]
    assert "不少于20人" in top.text and top.bm25_rank == 1  # healed on open
    assert indexed_docs(store) == set(services.kb.records())


def test_crash_between_index_removal_and_uncommit_heals_on_the_next_open(store_with_speech):
    store, notice = store_with_speech
    services_at(store).ingest([notice])
    crash(store, notice, "before-uncommit")
    services = services_at(store)
    assert services.kb.find_source(str(notice.resolve()))  # still committed
    top = services.search(QUESTION, k=3)[0]
    assert "不少于20人" in top.text and top.bm25_rank == 1  # so back in the index
    assert indexed_docs(store) == set(services.kb.records())


def test_a_store_from_the_bm25s_era_gets_its_index_built_once(tmp_path, monkeypatch, capsys):
    docs = notices(tmp_path / "docs", 3)
    services_at(tmp_path / "kb").ingest([docs])
    store = tmp_path / "kb"
    shutil.rmtree(store / "lexical")  # what such a store has instead: bm25s files
    (store / "bm25" / "index").mkdir(parents=True)
    (store / "bm25" / "index" / "meta.json").write_text('{"generation": 1, "tokenizer": 2}')
    (store / "bm25" / "index" / "tokens.json").write_text('{"version": 2, "tokens": {}}')
    monkeypatch.setattr(index_sync, "PROGRESS_FROM", 1)
    tokenizer = CountingTokenizer()
    services = services_at(store, tokenizer)
    top = services.search("第1批第7项工作要在几月底前完成", k=1)[0]
    assert "第1批第7项工作要在8月底前完成" in top.text and top.bm25_rank == 1
    chunks = services.kb.store.chunks.count()
    assert len(tokenizer.texts) == chunks + 1  # every stored chunk once, then the query
    assert "BM25 index" in capsys.readouterr().err  # the build showed its progress
    assert not (store / "bm25").exists() and (store / "lexical" / "bm25.sqlite").is_file()
    again = CountingTokenizer()
    services_at(store, again).search("第1批第7项工作", k=1)
    assert len(again.texts) == 1  # built once: the next process tokenises only its query
