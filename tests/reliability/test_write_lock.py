"""Two ingests into one local store: the second waits for the first, nothing is corrupted."""

import os
import subprocess
import sys
import time
from pathlib import Path

from assistant.core.settings import Settings
from assistant.services import Services

ROOT = Path(__file__).resolve().parents[2]


def test_second_ingest_waits_for_the_lock_then_completes(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    text = "关于开展安全检查的通知\n一、检查范围\n各县（市）要在5月底前完成自查。"
    (docs / "通知.txt").write_text(text, encoding="utf-8")
    services = Services(Settings(store={"path": tmp_path / "kb"}, embedding={"mode": "hash"}))
    env = dict(os.environ, PYTHONPATH=str(ROOT), POLICYQA_EMBEDDING__MODE="hash")
    cli = [sys.executable, "-m", "assistant.cli", "ingest", str(docs), "--store",
           str(tmp_path / "kb"), "--no-progress"]
    with services.kb.write_lock():  # another writer holds the store
        proc = subprocess.Popen(cli, env=env, stdout=subprocess.PIPE, text=True)
        time.sleep(8)
        assert proc.poll() is None  # still waiting, has written nothing
        assert services.kb.store.chunks.count() == 0
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "ingested 1" in out
    assert len(Services(services.settings).kb.records()) == 1
