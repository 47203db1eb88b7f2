"""Server mode: a real `chroma run` process on a free loopback port; ingest, search, delete,
and a second app instance whose BM25 side index notices the first one's changes."""

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
