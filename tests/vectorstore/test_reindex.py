"""`policyqa reindex`: the stored chunks re-embedded with another model, switched atomically; a
reindex that fails or is killed at any point leaves the old store answering as before."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from assistant.cli.main import main
from assistant.core.settings import Settings
from assistant.services import Services
from vectorstore.chroma_store import recorded_identity
from vectorstore.embeddings.hashing import HashEmbeddings
from vectorstore.tokenize import Tokenizer

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
QUESTIONS = ("农村卫生厕所普及率要达到多少", "村级集体经济收入", "高标准农田建设任务")


def build_store(folder: Path) -> Path:
    """A store of the test speech embedded with 256-dim hashing (not the 512-dim `hash` mode)."""
    speech = folder / "乡村振兴推进会讲话.txt"
    shutil.copy(DATA / "speech.txt", speech)
    settings = Settings(store={"path": folder / "kb"}, embedding={"mode": "hash"})
    Services(settings, embeddings=HashEmbeddings(dim=256)).ingest([speech])
    return folder / "kb"


def answers(services: Services) -> list[str]:
    return [services.search(q, k=1)[0].chunk_id for q in QUESTIONS]


def old_side(store: Path) -> Services:
    return Services(Settings(store={"path": store}), embeddings=HashEmbeddings(dim=256))


def test_reindex_switches_the_model_and_search_finds_the_same_passages(tmp_path, capsys):
    store = build_store(tmp_path)
    before = answers(old_side(store))
    assert recorded_identity(Settings(store={"path": store}).store) == "hash:bigram:256"

    assert main(["reindex", "--store", str(store), "--embedding", "hash", "--no-progress"]) == 0
    assert "hash:bigram:256 → hash:bigram:512" in capsys.readouterr().out

    assert recorded_identity(Settings(store={"path": store}).store) == "hash:bigram:512"
    services = Services(Settings(store={"path": store}))  # no mode set: the store's new model
    assert services.embedding_settings.mode == "hash"
    assert answers(services) == before
    total = sum(r.chunks for r in services.kb.records().values())
    assert services.kb.store.chunks.count() == total
    assert all(p.dense_rank is not None for p in services.search(QUESTIONS[0], k=3))


def test_reindex_to_the_model_the_store_has_does_nothing(tmp_path, capsys):
    store = build_store(tmp_path)
    assert main(["reindex", "--store", str(store), "--embedding", "hash", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["reindex", "--store", str(store), "--embedding", "hash", "--no-progress"]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_reindex_re_embeds_every_knowledge_base_of_the_store(tmp_path, capsys):
    store = build_store(tmp_path)
    settings = Settings(store={"path": store}, embedding={"mode": "hash"})
    services = Services(settings, embeddings=HashEmbeddings(dim=256))
    services.kb_registry.create("培训")
    services.for_kb("培训").ingest([tmp_path / "乡村振兴推进会讲话.txt"])
    other = services.kb_registry.store_for("培训")
    assert recorded_identity(other) == "hash:bigram:256"

    assert main(["reindex", "--store", str(store), "--embedding", "hash", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "default: reindexed" in out and "培训: reindexed" in out
    assert recorded_identity(other) == "hash:bigram:512"
    again = Services(Settings(store={"path": store}))
    assert answers(again.for_kb("培训")) == answers(again)


class FailingEmbeddings(HashEmbeddings):
    def __init__(self, fail_after: int):
        super().__init__()
        self.left = fail_after

    def embed_documents(self, texts):
        self.left -= len(texts)
        if self.left < 0:
            raise RuntimeError("embedding backend died")
        return super().embed_documents(texts)


def test_a_reindex_that_fails_midway_leaves_the_old_store_answering(tmp_path, monkeypatch):
    from vectorstore import reindex as module

    monkeypatch.setattr(module, "PAGE", 4)  # several pages, so the failure lands after some
    store = build_store(tmp_path)
    before = answers(old_side(store))
    settings, tokenizer = Settings(store={"path": store}), Tokenizer()
    failing = FailingEmbeddings(fail_after=5)
    with pytest.raises(RuntimeError, match="died"):
        module.reindex(settings, tokenizer, failing, failing)
    assert recorded_identity(Settings(store={"path": store}).store) == "hash:bigram:256"
    assert answers(old_side(store)) == before

    module.reindex(settings, tokenizer, HashEmbeddings(), HashEmbeddings())  # starts clean
    after = Services(Settings(store={"path": store}))
    assert answers(after) == before
    names = [c.name for c in after.kb.store._client.list_collections()]
    assert sorted(names) == sorted(["policyqa-docs", "policyqa-changes",
                                    after.kb.store.chunks.name])


WORKER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from assistant.core.settings import Settings
    from vectorstore import reindex as module
    from vectorstore.embeddings.hashing import HashEmbeddings
    from vectorstore.tokenize import Tokenizer

    class Slow(HashEmbeddings):
        def embed_documents(self, texts):
            time.sleep(0.6 * len(texts))  # 6 chunks: ~4 s, pages of 2
            return super().embed_documents(texts)

    module.PAGE = 2
    settings = Settings(store={"path": Path(sys.argv[1])})
    print("start", flush=True)
    module.reindex(settings, Tokenizer(), Slow(), Slow())
    print("done", flush=True)
""")


@pytest.mark.parametrize("kill_after", [0.3, 1.0, 2.0])
def test_a_killed_reindex_leaves_the_old_store_whole(tmp_path, kill_after):
    store = build_store(tmp_path)
    before = answers(old_side(store))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(store)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "start"
    time.sleep(kill_after)
    assert proc.poll() is None, "the reindex finished before the kill: make the worker slower"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)

    assert recorded_identity(Settings(store={"path": store}).store) == "hash:bigram:256"
    assert answers(old_side(store)) == before
    assert main(["reindex", "--store", str(store), "--embedding", "hash", "--no-progress"]) == 0
    assert answers(Services(Settings(store={"path": store}))) == before
