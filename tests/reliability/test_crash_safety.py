"""kill -9 an ingest at several points: rerunning leaves exactly what a clean run leaves."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.services import Services

ROOT = Path(__file__).resolve().parents[2]
WORKER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from assistant.services import Services
    from assistant.core.settings import Settings
    from vectorstore.embeddings.hashing import HashEmbeddings

    class Slow(HashEmbeddings):
        def embed_documents(self, texts):
            out = []
            for text in texts:  # one chunk at a time, so a kill can land between any two
                time.sleep(0.04)
                out += super().embed_documents([text])
            return out

    store, docs = Path(sys.argv[1]), Path(sys.argv[2])
    settings = Settings(store={"path": store}, embedding={"mode": "hash", "cache": False})
    Services(settings, embeddings=Slow()).ingest([docs])
    print("done", flush=True)
""")


def make_docs(folder: Path, n: int = 10) -> Path:
    folder.mkdir()
    for i in range(n):
        body = "".join(f"（{j}）第{i}号文件第{j}项要求：各县（市）要在{j % 12 + 1}月底前完成第{i}批"
                       f"第{j}项任务，并报送进展情况。\n" for j in range(1, 50))
        text = f"关于第{i}批任务的通知\n一、工作要求\n{body}"
        (folder / f"通知{i}.txt").write_text(text, encoding="utf-8")
    return folder


def state(store: Path) -> tuple:
    services = Services(Settings(store={"path": store}, embedding={"mode": "hash", "cache": False}))
    kb = services.kb
    kb.ensure_bm25()
    records = sorted((r.doc_hash, r.chunks, tuple(sorted(Path(s).name for s in r.sources)))
                     for r in kb.records().values())
    chunk_ids = sorted(cid for cid, _, _ in kb.store.iter_chunks(include_docs=False))
    return records, chunk_ids, sorted(kb.bm25.chunk_ids())


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clean")
    docs = make_docs(tmp / "docs")
    run_worker(tmp / "kb", docs)
    return docs, state(tmp / "kb")


def run_worker(store: Path, docs: Path, kill_after: float | None = None) -> bool:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(store), str(docs)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    if kill_after is None:
        assert proc.wait(timeout=300) == 0
        return True
    deadline = time.time() + 120
    while not (store / "chroma").is_dir() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)  # the store exists: the worker is about to write
    time.sleep(kill_after)
    finished = proc.poll() is not None
    if not finished:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return finished


KILLED_MIDWAY: list[float] = []


@pytest.mark.parametrize("kill_after", [0.2, 0.8, 1.5, 2.5, 3.5, 4.5])
def test_rerun_after_kill_matches_a_clean_run(tmp_path, clean, kill_after):
    docs, expected = clean
    store = tmp_path / "kb"
    finished = run_worker(store, docs, kill_after)
    if not finished:
        KILLED_MIDWAY.append(kill_after)
    run_worker(store, docs)  # the rerun
    records, chunk_ids, bm25_ids = state(store)
    exp_records, exp_chunks, exp_bm25 = expected
    assert records == exp_records
    assert chunk_ids == exp_chunks  # no duplicates, none missing
    assert bm25_ids == exp_bm25 == chunk_ids  # BM25 and Chroma agree


def test_several_kills_landed_while_chunks_were_being_written():
    assert len(KILLED_MIDWAY) >= 3, KILLED_MIDWAY
