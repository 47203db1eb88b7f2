"""Server mode: a real `chroma run` process on a free loopback port; ingest, search, delete,
and a second app instance whose BM25 side index notices the first one's changes."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.services import Services

DATA = Path(__file__).parent.parent / "data"
pytestmark = pytest.mark.server


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    data = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(chroma), "run", "--path", str(data), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={"ANONYMIZED_TELEMETRY": "False",
                                                            "PATH": "/usr/bin:/bin"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    import urllib.request

    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("chroma server did not start within 60 s")
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def services_at(tmp_path, name, url):
    settings = Settings(store={"path": tmp_path / name, "chroma_url": url},
                        embedding={"mode": "hash"})
    return Services(settings)


def test_ingest_search_delete_through_the_server(tmp_path, chroma_url):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DATA / "speech.txt", docs / "乡村振兴推进会讲话.txt")
    first = services_at(tmp_path, "app1", chroma_url)
    second = services_at(tmp_path, "app2", chroma_url)  # another app process, own BM25 folder
    assert first.ingest([docs]).count("ingested") == 1
    top = second.search("农村卫生厕所普及率要达到多少", k=3)[0]
    assert "85%" in top.text and top.bm25_rank is not None  # second rebuilt its BM25 index
    assert second.kb.find_source(str((docs / "乡村振兴推进会讲话.txt").resolve()))
    assert first.delete(str((docs / "乡村振兴推进会讲话.txt").resolve()))
    assert second.search("农村卫生厕所普及率要达到多少", k=3) == []
    assert second.kb.records() == {}  # the registry is re-read when the generation moves
    assert not (tmp_path / "app1" / "chroma").exists()  # no local Chroma data in server mode


def test_bad_server_url_is_a_clear_error(tmp_path):
    from assistant.core.errors import StoreError

    with pytest.raises(StoreError, match="cannot open knowledge base http://127.0.0.1:9"):
        _ = services_at(tmp_path, "app", "http://127.0.0.1:9").kb


NODE_DOC = """关于开展城乡供水设施安全检查的通知

一、检查范围
全市城乡供水厂站、加压泵站和输配水管网均纳入本次检查。

二、工作要求
各县（市）水利局要在11月20日前完成供水设施安全检查，市水务集团负责汇总上报检查结果。
"""
NODE_QUESTION = "城乡供水设施安全检查由谁负责汇总上报检查结果？"


def start_node(tmp_path, name, chroma_url):
    """`policyqa serve` with its own --store folder on the shared Chroma server."""
    root = Path(__file__).resolve().parents[2]
    port = free_port()
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    env = dict(os.environ, PYTHONPATH=str(root), POLICYQA_EMBEDDING__MODE="hash",
               GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False")
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "--verbose", "serve",
                             "--store", str(tmp_path / name), "--chroma-url", chroma_url,
                             "--port", str(port)], cwd=root, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    import urllib.request

    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url, tmp_path / f"{name}.log"
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                tail = (tmp_path / f"{name}.log").read_text()[-3000:]
                pytest.fail(f"{name} did not start:\n{tail}")
            time.sleep(0.5)


def poll(fn, deadline_s=60.0):
    deadline = time.time() + deadline_s
    while True:
        value = fn()
        if value or time.time() > deadline:
            return value
        time.sleep(0.5)


def catch_ups(log: Path) -> list[str]:
    return [line for line in log.read_text(encoding="utf-8").splitlines()
            if "bm25 index at generation" in line]


def test_two_app_nodes_see_each_others_uploads_and_deletions(tmp_path, chroma_url):
    from gradio_client import Client, handle_file

    from assistant.answer.gate import REFUSAL

    nodes = [start_node(tmp_path, name, chroma_url) for name in ("node1", "node2")]
    try:
        (_, url1, _), (_, url2, log2) = nodes
        first, second = Client(url1, verbose=False), Client(url2, verbose=False)
        second.predict(NODE_QUESTION, api_name="/chat")  # node 2 has looked at the store
        upload = tmp_path / "关于开展城乡供水设施安全检查的通知.txt"
        upload.write_text(NODE_DOC, encoding="utf-8")
        report, _, _ = first.predict([handle_file(upload)], api_name="/ingest")
        assert report["data"][0][1] == "已导入"
        chunks = report["data"][0][3]
        found = poll(lambda: "市水务集团负责汇总上报" in second.predict(NODE_QUESTION,
                                                                  api_name="/chat"))
        assert found, "node 2 never found the document node 1 ingested"
        assert f"1 logged changes read, {chunks} chunks indexed, 0 chunks removed" \
            in "\n".join(catch_ups(log2))  # only the new document, no rebuild

        stored = tmp_path / "node1" / "uploads" / upload.name
        assert "已删除" in first.predict(str(stored.resolve()), api_name="/delete_document")
        gone = poll(lambda: REFUSAL in second.predict(NODE_QUESTION, api_name="/chat"))
        assert gone, "node 2 still answers from the deleted document"
        assert f"1 logged changes read, 0 chunks indexed, {chunks} chunks removed" \
            in "\n".join(catch_ups(log2))
    finally:
        for proc, _, _ in nodes:
            proc.terminate()
            proc.wait(timeout=30)
