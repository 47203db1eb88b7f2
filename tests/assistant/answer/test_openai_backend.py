"""mode=openai end to end against a real OpenAI-compatible HTTP server on loopback: the request
the client sends, blocking and streamed (SSE) answers, no key leaks, and the fallback on 500."""

import json
import logging
import re
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.answer.backend import Delta
from assistant.answer.gate import Retrieval
from assistant.answer.generative import FALLBACK_NOTE
from assistant.core.settings import Settings
from assistant.core.types import Answer
from assistant.services import Services

DATA = Path(__file__).resolve().parents[2] / "data"
KEY_ENV = "POLICYQA_TEST_KEY"
KEY = "sk-policyqa-test-5f3a9c1e7b2d4086"
QUESTION = "到今年年底，全市农村卫生厕所普及率要达到多少？"
PIECE = 4  # characters per SSE chunk
_PASSAGE = re.compile(r"(?m)^\[(\d+)\] ")


def canned_answer(messages: list[dict]) -> str:
    """Cite the numbered passage that holds 85% in the last user message."""
    user = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    parts = _PASSAGE.split(user)  # [before, n1, text1, n2, text2, …]
    for n, text in zip(parts[1::2], parts[2::2], strict=True):
        if "85%" in text:
            return f"全市农村卫生厕所普及率要达到85%以上[{n}]。"
    return "文件中未提及。"


class _Handler(BaseHTTPRequestHandler):
    server: "FakeOpenAI"

    def log_message(self, format, *args):  # noqa: A002 - keep pytest output quiet
        pass

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.requests.append(
            {"path": self.path, "body": body,
             "headers": {k.lower(): v for k, v in self.headers.items()}})
        if self.path != "/v1/chat/completions":
            return self._json(404, {"error": {"message": "not found", "type": "invalid_request"}})
        if self.server.fail:
            return self._json(500, {"error": {"message": "boom", "type": "server_error"}})
        text = canned_answer(body.get("messages", []))
        model = body.get("model", "")
        if body.get("stream"):
            return self._sse(model, text)
        return self._json(200, {
            "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}})

    def _json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, model: str, text: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()  # HTTP/1.0: the body ends when the connection closes
        pieces = [text[i:i + PIECE] for i in range(0, len(text), PIECE)]
        deltas = [{"role": "assistant", "content": ""}] + [{"content": p} for p in pieces]
        for i, delta in enumerate(deltas + [{}]):
            chunk = {"id": "chatcmpl-test", "object": "chat.completion.chunk",
                     "created": int(time.time()), "model": model,
                     "choices": [{"index": 0, "delta": delta,
                                  "finish_reason": "stop" if i == len(deltas) else None}]}
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


class FakeOpenAI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)  # port 0: the OS picks a free one
        self.requests: list[dict] = []
        self.fail = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@pytest.fixture(scope="module")
def server():
    httpd = FakeOpenAI()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("openai")
    shutil.copy(DATA / "speech.txt", folder / "乡村振兴推进会讲话.txt")
    return folder


@pytest.fixture
def services(server, corpus, tmp_path, monkeypatch):
    """A fresh Services per test (the client reads the key when it is built), mode=openai."""
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server.requests.clear()
    server.fail = False
    settings = Settings(store={"path": tmp_path / "kb"}, embedding={"mode": "hash"},
                        llm={"mode": "openai", "base_url": server.base_url,
                             "model": "qwen-test", "api_key_env": KEY_ENV})
    built = Services(settings)
    built.ingest([corpus / "乡村振兴推进会讲话.txt"])
    return built


def chat_requests(server) -> list[dict]:
    return [r for r in server.requests if r["path"] == "/v1/chat/completions"]


def test_ask_goes_to_the_server_and_comes_back_cited(server, services):
    answer = services.ask(QUESTION, backend="openai")
    assert answer.backend == "openai", answer.text
    assert "85%" in answer.text and "[1]" in answer.text
    assert not answer.text.startswith(FALLBACK_NOTE)
    first = answer.citations[0]
    assert first.n == 1 and "85%" in first.passage.text
    sent = chat_requests(server)
    assert len(sent) == 1
    body, headers = sent[0]["body"], sent[0]["headers"]
    assert body["model"] == "qwen-test"
    assert any(m["role"] == "system" and "只依据" in m["content"] for m in body["messages"])
    assert body["messages"][-1]["role"] == "user" and QUESTION in body["messages"][-1]["content"]
    assert headers["authorization"] == f"Bearer {KEY}"


def test_stream_sends_sources_then_many_deltas_then_a_verified_answer(server, services):
    events = list(services.chain("openai").stream(QUESTION))
    assert isinstance(events[0], Retrieval) and events[0].passages
    deltas = [e for e in events if isinstance(e, Delta)]
    assert len(deltas) > 2
    assert "85%" in "".join(d.text for d in deltas)
    final = events[-1]
    assert isinstance(final, Answer) and final.backend == "openai"
    assert final.citations and not final.text.startswith(FALLBACK_NOTE)
    assert [c.n for c in final.citations] == list(range(1, len(final.citations) + 1))
    assert all(c.passage in events[0].passages for c in final.citations)
    assert any("85%" in c.passage.text for c in final.citations)
    assert chat_requests(server)[0]["body"]["stream"] is True


def test_server_answers_a_blocking_request_too(server):
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(base_url=server.base_url, model="qwen-test", api_key=KEY,
                       streaming=False, max_retries=0)
    reply = model.invoke("参考段落：\n[1] 《讲话》\n普及率要达到85%以上。")
    assert reply.content.endswith("[1]。")
    assert chat_requests(server)[-1]["body"].get("stream") in (None, False)


@pytest.mark.parametrize("fail", [False, True], ids=["ok", "server-error"])
def test_the_key_never_reaches_answers_or_logs(server, services, caplog, fail):
    server.fail = fail
    with caplog.at_level(logging.DEBUG):
        answer = services.ask(QUESTION, backend="openai")
    assert chat_requests(server), "the server was never called"
    assert answer.text.startswith(FALLBACK_NOTE) is fail
    assert KEY not in answer.text
    assert not any(KEY in note for note in answer.notes)
    assert caplog.records  # DEBUG logging was really captured
    for record in caplog.records:
        assert KEY not in record.getMessage(), record.name
    assert KEY not in caplog.text


def test_server_error_falls_back_to_quotes(server, services):
    server.fail = True
    start = time.perf_counter()
    answer = services.ask(QUESTION, backend="openai")
    assert time.perf_counter() - start < 30
    assert answer.text.startswith(FALLBACK_NOTE)
    assert "85%" in answer.text and answer.citations
    assert any("大模型错误" in note for note in answer.notes)
    assert len(chat_requests(server)) == 2  # the first try and one retry (max_retries=1)
